import { createHash } from 'node:crypto';
import request from 'supertest';
import { createApp } from '../app.js';
import { ApiKeyAuthenticator } from '../domain/admin/authenticate.js';
import type { Store } from '../domain/store.js';
import { createLogger } from '../logger.js';
import { bearer, useTestApp, validTask } from '../test-support/api-requests.js';
import { DATABASES } from '../test-support/databases.js';

for (const database of DATABASES) {
  describe(`${database}: decisions and cancellation`, () => {
    const d = useTestApp(database);

    const decisionScenarios = [
      { action: 'approve', body: { action: 'approve', comment: 'ok' }, status: 'approved', modified: null },
      { action: 'reject', body: { action: 'reject', comment: 'wrong amount' }, status: 'rejected', modified: null },
      {
        action: 'approve_with_modifications',
        body: { action: 'approve_with_modifications', modifiedPayload: { orderId: 1234, amount: 40 } },
        status: 'approved_with_modifications',
        modified: { orderId: 1234, amount: 40 },
      },
    ];
    test.each(decisionScenarios)(
      'decision $action: stores who decided, original and modified payload, and a decided event',
      async (s) => {
        const task = await d.createTask();
        const res = await request(d.app)
          .post(`/api/v1/tasks/${task.id}/decision`)
          .set(bearer(d.keys.reviewer))
          .send(s.body);
        expect(res.status).toBe(200);
        expect(res.body.status).toBe(s.status);
        expect(res.body.version).toBe(2);
        expect(res.body.closedAt).not.toBeNull();
        expect(res.body.decision).toMatchObject({
          action: s.action,
          originalPayload: validTask.payload,
          modifiedPayload: s.modified,
          decidedBy: { type: 'api_key', name: 'reviewer' },
        });
        expect(res.body.payload).toEqual(validTask.payload);
        // The digest is of the canonical JSON (members sorted, no whitespace) of what may run.
        const approved = s.action === 'reject' ? null : (s.modified ?? validTask.payload);
        expect(res.body.decision.payloadDigest).toBe(approved === null ? null : sha256OfCanonical(approved));
        const again = await request(d.app).get(`/api/v1/tasks/${task.id}`).set(bearer(d.keys.viewer));
        expect(again.body).toEqual(res.body);
        const events = await d.eventsOf(task.id);
        expect(events.map((e) => e.type)).toEqual(['created', 'decided']);
        expect(events[1]).toMatchObject({ fromStatus: 'pending_review', toStatus: s.status });

        const second = await request(d.app)
          .post(`/api/v1/tasks/${task.id}/decision`)
          .set(bearer(d.keys.admin))
          .send({ action: 'reject', comment: 'too late' });
        expect(second.status).toBe(409);
        expect(second.body.code).toBe('task_already_decided');
        expect((await d.eventsOf(task.id)).length).toBe(2);
      },
    );

    test.each([
      [{ action: 'approve_with_modifications' }, 'modifiedPayload'],
      [{ action: 'approve', modifiedPayload: { a: 1 } }, 'modifiedPayload'],
      [{ action: 'maybe' }, 'action'],
      [{ action: 'reject' }, 'comment'],
      [{ action: 'reject', comment: ' ' }, 'comment'],
      [{ action: 'reject', comment: 'no', response: { a: 'b' } }, 'response'],
      [{ action: 'approve', reasonCode: 'fraud' }, 'reasonCode'],
      [{ action: 'approve', response: { note: 'no responseForm on this task' } }, 'response'],
      [{ action: 'approve', response: { nested: { a: 1 } } }, 'response.nested'],
      [{ action: 'reject', comment: 'no', reasonCode: 'x'.repeat(65) }, 'reasonCode'],
    ])('decision %j is refused with a field error on %s and changes nothing', async (body, path) => {
      const task = await d.createTask();
      const res = await request(d.app)
        .post(`/api/v1/tasks/${task.id}/decision`)
        .set(bearer(d.keys.reviewer))
        .send(body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
      const got = await request(d.app).get(`/api/v1/tasks/${task.id}`).set(bearer(d.keys.viewer));
      expect(got.body.status).toBe('pending_review');
      expect(got.body.version).toBe(1);
    });

    test('a viewer may read but not decide or cancel', async () => {
      const task = await d.createTask();
      expect((await request(d.app).get(`/api/v1/tasks/${task.id}`).set(bearer(d.keys.viewer))).status).toBe(200);
      const decide = await request(d.app)
        .post(`/api/v1/tasks/${task.id}/decision`)
        .set(bearer(d.keys.viewer))
        .send({ action: 'approve' });
      expect(decide.status).toBe(403);
      expect(decide.body.code).toBe('forbidden');
      const cancel = await request(d.app).post(`/api/v1/tasks/${task.id}/cancel`).set(bearer(d.keys.viewer)).send({});
      expect(cancel.status).toBe(403);
      expect((await d.eventsOf(task.id)).length).toBe(1);
    });

    test('cancel closes an open task once, with a reason in its history', async () => {
      const task = await d.createTask();
      const res = await request(d.app)
        .post(`/api/v1/tasks/${task.id}/cancel`)
        .set(bearer(d.keys.reviewer))
        .send({ reason: 'order withdrawn' });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('cancelled');
      const again = await request(d.app).post(`/api/v1/tasks/${task.id}/cancel`).set(bearer(d.keys.reviewer)).send({});
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('task_already_decided');
      const noBody = await d.createTask();
      expect((await request(d.app).post(`/api/v1/tasks/${noBody.id}/cancel`).set(bearer(d.keys.reviewer))).status).toBe(
        200,
      );
      const events = await d.eventsOf(task.id);
      expect(events[1]).toMatchObject({ type: 'cancelled', toStatus: 'cancelled' });
    });

    test('wait answers the moment the task is decided, and with the open task at the timeout', async () => {
      const task = await d.createTask();
      const timedOut = await request(d.app).get(`/api/v1/tasks/${task.id}/wait?timeout=0.2`).set(bearer(d.keys.viewer));
      expect(timedOut.status).toBe(200);
      expect(timedOut.body.status).toBe('pending_review');

      const waiting = request(d.app)
        .get(`/api/v1/tasks/${task.id}/wait?timeout=20`)
        .set(bearer(d.keys.viewer))
        .then((r) => r);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const decided = await request(d.app)
        .post(`/api/v1/tasks/${task.id}/decision`)
        .set(bearer(d.keys.reviewer))
        .send({ action: 'reject', comment: 'too late' });
      const waited = await waiting;
      expect(waited.status).toBe(200);
      expect(waited.body).toEqual(decided.body);

      const already = await request(d.app).get(`/api/v1/tasks/${task.id}/wait?timeout=20`).set(bearer(d.keys.viewer));
      expect(already.body.status).toBe('rejected');
      const bad = await request(d.app).get(`/api/v1/tasks/${task.id}/wait?timeout=9999`).set(bearer(d.keys.viewer));
      expect(bad.status).toBe(400);
    });

    test('a decision whose SQL fails answers 500; its logged error names the statement but none of its values', async () => {
      const task = await d.createTask();
      // Every event is written for a task that does not exist: a real foreign-key failure on either
      // database, raised by the driver with the reviewer's comment and edit among its parameters.
      const failingStore: Store = {
        ...d.store,
        transaction: (work) =>
          d.store.transaction((tx) =>
            work({
              ...tx,
              taskEvents: {
                append: (event) => tx.taskEvents.append({ ...event, taskId: 'tsk_gone' }),
                listForTask: (workspaceId, id) => tx.taskEvents.listForTask(workspaceId, id),
              },
            }),
          ),
      };
      const lines: string[] = [];
      const app = createApp({
        store: failingStore,
        bus: d.t.bus,
        clock: Date.now,
        logger: createLogger('error', 'test', { write: (line: string) => void lines.push(line) }),
        authenticator: new ApiKeyAuthenticator({ store: d.store, clock: Date.now, bus: d.t.bus }),
        publicUrl: 'http://localhost:3000',
        bodyLimit: '64kb',
      });
      const res = await request(app)
        .post(`/api/v1/tasks/${task.id}/decision`)
        .set(bearer(d.keys.reviewer))
        .send({
          action: 'approve_with_modifications',
          comment: 'private-comment-8731',
          modifiedPayload: { orderId: 1234, note: 'private-edit-5512' },
        });
      expect(res.status).toBe(500);
      expect(res.body.code).toBe('internal_error');
      const logged = lines.map((line) => JSON.parse(line) as { msg: string; err?: Record<string, unknown> });
      const unhandled = logged.find((line) => line.msg === 'unhandled error');
      expect(unhandled?.err).toMatchObject({
        type: 'QueryFailedError',
        query: expect.stringContaining('INSERT INTO task_events'),
      });
      expect(unhandled?.err).not.toHaveProperty('parameters');
      expect(unhandled?.err).not.toHaveProperty('sql');
      expect(lines.join('\n')).not.toMatch(/private-comment-8731|private-edit-5512/);
      expect((await request(d.app).get(`/api/v1/tasks/${task.id}`).set(bearer(d.keys.viewer))).body.status).toBe(
        'pending_review',
      );
    });
  });
}

/** An independent RFC 8785 rendering for flat and nested objects of strings and integers (what these payloads hold). */
function sha256OfCanonical(value: unknown): string {
  const canonical = (v: unknown): string =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? `{${Object.keys(v)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
          .join(',')}}`
      : Array.isArray(v)
        ? `[${v.map(canonical).join(',')}]`
        : JSON.stringify(v);
  return createHash('sha256').update(canonical(value)).digest('hex');
}
