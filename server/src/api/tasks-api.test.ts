import request from 'supertest';
import { createApp } from '../app.js';
import { createApiKey } from '../domain/admin/api-keys.js';
import { ApiKeyAuthenticator } from '../domain/admin/authenticate.js';
import type { Store } from '../domain/store.js';
import { createLogger } from '../logger.js';
import { DATABASES, openTestStore } from '../test-support/databases.js';
import { buildTestApp, type TestApp } from '../test-support/fixtures.js';

const validTask = {
  title: 'Refund order 1234',
  description: 'Customer says the parcel arrived damaged',
  payload: { orderId: 1234, amount: 42.5 },
  context: { reasoning: 'photo shows a crushed box' },
  confidence: 0.62,
  riskLevel: 'high',
  tags: ['refund'],
  source: 'n8n',
  externalRef: 'order-1234',
  slaSeconds: 3600,
};

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

for (const database of DATABASES) {
  describe(`${database}: task API`, () => {
    let store: Store;
    let close: () => Promise<void>;
    let t: TestApp;

    beforeAll(async () => {
      const opened = await openTestStore(database);
      store = opened.store;
      close = opened.close;
      t = await buildTestApp(store);
    });
    afterAll(async () => close());

    async function createTask(body: object = validTask, key = t.keys.reviewer) {
      const res = await request(t.app).post('/api/v1/tasks').set(bearer(key)).send(body);
      expect(res.status).toBe(201);
      return res.body as { id: string; status: string; version: number };
    }

    async function eventsOf(id: string) {
      const res = await request(t.app).get(`/api/v1/tasks/${id}/events`).set(bearer(t.keys.viewer));
      expect(res.status).toBe(200);
      return res.body.data as {
        type: string;
        fromStatus: string | null;
        toStatus: string;
        actor: { type: string; name: string };
      }[];
    }

    test('create stores every field, answers 201 with an id and timestamps, and writes a created event', async () => {
      const before = Date.now();
      const res = await request(t.app).post('/api/v1/tasks').set(bearer(t.keys.reviewer)).send(validTask);
      expect(res.status).toBe(201);
      expect(res.headers.location).toBe(`/api/v1/tasks/${res.body.id}`);
      const { slaSeconds: _sla, ...stored } = validTask;
      expect(res.body).toMatchObject({
        ...stored,
        status: 'pending_review',
        queue: 'default',
        decision: null,
        version: 1,
      });
      expect(res.body.id).toMatch(/^tsk_[0-9a-z]{25}$/);
      const dueAt = Date.parse(res.body.dueAt);
      expect(dueAt).toBeGreaterThanOrEqual(before + 3600_000);
      expect(dueAt).toBeLessThanOrEqual(Date.now() + 3600_000);
      const got = await request(t.app).get(`/api/v1/tasks/${res.body.id}`).set(bearer(t.keys.viewer));
      expect(got.body).toEqual(res.body);
      const events = await eventsOf(res.body.id);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        type: 'created',
        fromStatus: null,
        toStatus: 'pending_review',
        actor: { type: 'api_key', name: 'reviewer' },
      });
    });

    test('JSON payloads of any shape round-trip unchanged, including unicode and nulls', async () => {
      for (const payload of [
        'plain text ✓ ünïcödé 🚀',
        17,
        null,
        [1, { a: [null, true] }],
        { nested: { deep: { x: '<script>' } } },
      ]) {
        const task = await createTask({ title: 't', payload });
        const got = await request(t.app).get(`/api/v1/tasks/${task.id}`).set(bearer(t.keys.viewer));
        expect(got.body.payload).toEqual(payload);
      }
    });

    type Scenario = {
      name: string;
      key?: 'admin' | 'reviewer' | 'viewer' | 'none' | 'bogus';
      body?: unknown;
      rawBody?: string;
      contentType?: string;
      status: number;
      code: string;
      errorPaths?: string[];
    };
    const createScenarios: Scenario[] = [
      { name: 'no key', key: 'none', body: validTask, status: 401, code: 'unauthorized' },
      { name: 'unknown key', key: 'bogus', body: validTask, status: 401, code: 'unauthorized' },
      { name: 'viewer may not create', key: 'viewer', body: validTask, status: 403, code: 'forbidden' },
      {
        name: 'missing title and payload',
        body: {},
        status: 400,
        code: 'validation_failed',
        errorPaths: ['title', 'payload'],
      },
      {
        name: 'confidence above 1',
        body: { ...validTask, confidence: 1.5 },
        status: 400,
        code: 'validation_failed',
        errorPaths: ['confidence'],
      },
      {
        name: 'unknown risk level',
        body: { ...validTask, riskLevel: 'extreme' },
        status: 400,
        code: 'validation_failed',
        errorPaths: ['riskLevel'],
      },
      {
        name: 'unknown field',
        body: { ...validTask, colour: 'red' },
        status: 400,
        code: 'validation_failed',
        errorPaths: ['colour'],
      },
      {
        name: 'both dueAt and slaSeconds',
        body: { ...validTask, dueAt: '2099-01-01T00:00:00Z' },
        status: 400,
        code: 'validation_failed',
        errorPaths: ['dueAt'],
      },
      {
        name: 'dueAt in the past',
        body: { title: 'x', payload: 1, dueAt: '2001-01-01T00:00:00Z' },
        status: 400,
        code: 'validation_failed',
        errorPaths: ['dueAt'],
      },
      {
        name: 'callbackUrl not http',
        body: { ...validTask, callbackUrl: 'javascript:alert(1)' },
        status: 400,
        code: 'validation_failed',
        errorPaths: ['callbackUrl'],
      },
      {
        name: 'malformed JSON',
        rawBody: '{"title":',
        contentType: 'application/json',
        status: 400,
        code: 'malformed_json',
      },
      {
        name: 'not JSON',
        rawBody: 'title=x',
        contentType: 'application/x-www-form-urlencoded',
        status: 415,
        code: 'unsupported_media_type',
      },
      {
        name: 'body over the limit',
        body: { title: 'big', payload: 'x'.repeat(70_000) },
        status: 413,
        code: 'payload_too_large',
      },
    ];

    test.each(createScenarios)('create rejects: $name → $status $code, and stores nothing', async (scenario) => {
      const countBefore = (await request(t.app).get('/api/v1/tasks?limit=200').set(bearer(t.keys.admin))).body.data
        .length;
      let req = request(t.app).post('/api/v1/tasks');
      if (scenario.key !== 'none') {
        req = req.set(
          bearer(
            scenario.key === 'bogus'
              ? 'lg_aaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'
              : t.keys[scenario.key ?? 'reviewer'],
          ),
        );
      }
      const res =
        scenario.rawBody !== undefined
          ? await req.set('Content-Type', scenario.contentType ?? 'application/json').send(scenario.rawBody)
          : await req.send(scenario.body as object);
      expect(res.status).toBe(scenario.status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({
        status: scenario.status,
        code: scenario.code,
        type: `urn:loopgate:problem:${scenario.code}`,
      });
      expect(typeof res.body.title).toBe('string');
      if (scenario.errorPaths) {
        expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(
          expect.arrayContaining(scenario.errorPaths),
        );
      }
      const countAfter = (await request(t.app).get('/api/v1/tasks?limit=200').set(bearer(t.keys.admin))).body.data
        .length;
      expect(countAfter).toBe(countBefore);
    });

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
        const task = await createTask();
        const res = await request(t.app)
          .post(`/api/v1/tasks/${task.id}/decision`)
          .set(bearer(t.keys.reviewer))
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
        const again = await request(t.app).get(`/api/v1/tasks/${task.id}`).set(bearer(t.keys.viewer));
        expect(again.body).toEqual(res.body);
        const events = await eventsOf(task.id);
        expect(events.map((e) => e.type)).toEqual(['created', 'decided']);
        expect(events[1]).toMatchObject({ fromStatus: 'pending_review', toStatus: s.status });

        const second = await request(t.app)
          .post(`/api/v1/tasks/${task.id}/decision`)
          .set(bearer(t.keys.admin))
          .send({ action: 'reject' });
        expect(second.status).toBe(409);
        expect(second.body.code).toBe('task_already_decided');
        expect((await eventsOf(task.id)).length).toBe(2);
      },
    );

    test.each([
      [{ action: 'approve_with_modifications' }, 'modifiedPayload'],
      [{ action: 'approve', modifiedPayload: { a: 1 } }, 'modifiedPayload'],
      [{ action: 'maybe' }, 'action'],
    ])('decision %j is refused with a field error on %s and changes nothing', async (body, path) => {
      const task = await createTask();
      const res = await request(t.app)
        .post(`/api/v1/tasks/${task.id}/decision`)
        .set(bearer(t.keys.reviewer))
        .send(body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
      const got = await request(t.app).get(`/api/v1/tasks/${task.id}`).set(bearer(t.keys.viewer));
      expect(got.body.status).toBe('pending_review');
      expect(got.body.version).toBe(1);
    });

    test('a viewer may read but not decide or cancel', async () => {
      const task = await createTask();
      expect((await request(t.app).get(`/api/v1/tasks/${task.id}`).set(bearer(t.keys.viewer))).status).toBe(200);
      const decide = await request(t.app)
        .post(`/api/v1/tasks/${task.id}/decision`)
        .set(bearer(t.keys.viewer))
        .send({ action: 'approve' });
      expect(decide.status).toBe(403);
      expect(decide.body.code).toBe('forbidden');
      const cancel = await request(t.app).post(`/api/v1/tasks/${task.id}/cancel`).set(bearer(t.keys.viewer)).send({});
      expect(cancel.status).toBe(403);
      expect((await eventsOf(task.id)).length).toBe(1);
    });

    test('another workspace sees nothing: 404 for its ids, absent from its lists', async () => {
      const task = await createTask();
      const other = bearer(t.keys.otherWorkspaceAdmin);
      for (const [method, path] of [
        ['get', `/api/v1/tasks/${task.id}`],
        ['get', `/api/v1/tasks/${task.id}/events`],
        ['get', `/api/v1/tasks/${task.id}/wait?timeout=0`],
        ['post', `/api/v1/tasks/${task.id}/decision`],
        ['post', `/api/v1/tasks/${task.id}/cancel`],
      ] as const) {
        const res = await request(t.app)
          [method](path)
          .set(other)
          .send(path.endsWith('/decision') ? { action: 'approve' } : method === 'post' ? {} : undefined);
        expect([path, res.status, res.body.code]).toEqual([path, 404, 'not_found']);
      }
      const list = await request(t.app).get('/api/v1/tasks').set(other);
      expect(list.body.data.map((x: { id: string }) => x.id)).not.toContain(task.id);
      const mine = await request(t.app).get(`/api/v1/tasks/${task.id}`).set(bearer(t.keys.viewer));
      expect(mine.body.status).toBe('pending_review');
    });

    test('cancel closes an open task once, with a reason in its history', async () => {
      const task = await createTask();
      const res = await request(t.app)
        .post(`/api/v1/tasks/${task.id}/cancel`)
        .set(bearer(t.keys.reviewer))
        .send({ reason: 'order withdrawn' });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('cancelled');
      const again = await request(t.app).post(`/api/v1/tasks/${task.id}/cancel`).set(bearer(t.keys.reviewer)).send({});
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('task_already_decided');
      const noBody = await createTask();
      expect((await request(t.app).post(`/api/v1/tasks/${noBody.id}/cancel`).set(bearer(t.keys.reviewer))).status).toBe(
        200,
      );
      const events = await eventsOf(task.id);
      expect(events[1]).toMatchObject({ type: 'cancelled', toStatus: 'cancelled' });
    });

    test('Idempotency-Key: a replay returns the first response, another body gets 422, keys are per workspace', async () => {
      const key = `idem-${database}-${Date.now()}`;
      const first = await request(t.app)
        .post('/api/v1/tasks')
        .set(bearer(t.keys.reviewer))
        .set('Idempotency-Key', key)
        .send(validTask);
      expect(first.status).toBe(201);
      const reordered = Object.fromEntries(Object.entries(validTask).reverse());
      const replay = await request(t.app)
        .post('/api/v1/tasks')
        .set(bearer(t.keys.reviewer))
        .set('Idempotency-Key', key)
        .send(reordered);
      expect(replay.status).toBe(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toEqual(first.body);
      const mismatch = await request(t.app)
        .post('/api/v1/tasks')
        .set(bearer(t.keys.reviewer))
        .set('Idempotency-Key', key)
        .send({ ...validTask, title: 'something else' });
      expect(mismatch.status).toBe(422);
      expect(mismatch.body.code).toBe('idempotency_key_reused');
      const otherWorkspace = await request(t.app)
        .post('/api/v1/tasks')
        .set(bearer(t.keys.otherWorkspaceAdmin))
        .set('Idempotency-Key', key)
        .send({ ...validTask, title: 'something else' });
      expect(otherWorkspace.status).toBe(201);
      expect(otherWorkspace.body.id).not.toBe(first.body.id);
      const list = await request(t.app).get('/api/v1/tasks?externalRef=order-1234&limit=200').set(bearer(t.keys.admin));
      expect(list.body.data.filter((x: { id: string }) => x.id === first.body.id)).toHaveLength(1);
    });

    test('Idempotency-Key: concurrent duplicates create one task; the others replay it or get 409 in flight', async () => {
      const key = `race-${database}-${Date.now()}`;
      const responses = await Promise.all(
        Array.from({ length: 10 }, () =>
          request(t.app)
            .post('/api/v1/tasks')
            .set(bearer(t.keys.reviewer))
            .set('Idempotency-Key', key)
            .send({ title: 'race', payload: key }),
        ),
      );
      const created = responses.filter((r) => r.status === 201);
      const inFlight = responses.filter((r) => r.status === 409);
      expect(created.length + inFlight.length).toBe(10);
      expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
      for (const r of inFlight) expect(r.body.code).toBe('idempotency_request_in_flight');
      const list = await request(t.app).get('/api/v1/tasks?limit=200').set(bearer(t.keys.admin));
      expect(list.body.data.filter((x: { payload: unknown }) => x.payload === key)).toHaveLength(1);
    });

    test('a failed create with an Idempotency-Key leaves the key free for a corrected retry', async () => {
      const key = `retry-${database}-${Date.now()}`;
      const bad = await request(t.app)
        .post('/api/v1/tasks')
        .set(bearer(t.keys.reviewer))
        .set('Idempotency-Key', key)
        .send({ title: 'x' });
      expect(bad.status).toBe(400);
      const good = await request(t.app)
        .post('/api/v1/tasks')
        .set(bearer(t.keys.reviewer))
        .set('Idempotency-Key', key)
        .send({ title: 'x', payload: 1 });
      expect(good.status).toBe(201);
    });

    test('a callback URL (it resumes the automation) is shown whole to admins and the creator, its origin to others', async () => {
      const callbackUrl = 'https://n8n.example/webhook-waiting/42?signature=secret';
      const created = await request(t.app)
        .post('/api/v1/tasks')
        .set(bearer(t.keys.reviewer))
        .send({ ...validTask, callbackUrl, externalRef: `callback-${database}-${Date.now()}` });
      expect(created.body).toMatchObject({ callbackUrl, hasCallback: true });
      const other = await createApiKey({ store, clock: Date.now }, { name: 'other-reviewer', role: 'reviewer' });
      for (const [key, seen] of [
        [t.keys.reviewer, callbackUrl],
        [t.keys.admin, callbackUrl],
        [t.keys.viewer, 'https://n8n.example'],
        [other.key, 'https://n8n.example'],
      ] as const) {
        const one = await request(t.app).get(`/api/v1/tasks/${created.body.id}`).set(bearer(key));
        expect([one.body.callbackUrl, one.body.hasCallback]).toEqual([seen, true]);
        const listed = await request(t.app)
          .get(`/api/v1/tasks?externalRef=${created.body.externalRef}`)
          .set(bearer(key));
        expect(listed.body.data.map((x: { id: string; callbackUrl: string | null }) => [x.id, x.callbackUrl])).toEqual([
          [created.body.id, seen],
        ]);
      }
      const plain = await createTask();
      expect((await request(t.app).get(`/api/v1/tasks/${plain.id}`).set(bearer(t.keys.admin))).body).toMatchObject({
        callbackUrl: null,
        hasCallback: false,
      });
    });

    test('listing filters by status, queue, riskLevel, source and time, pages with a cursor, and caps the page size', async () => {
      const source = `list${database}${Date.now()}`;
      for (const name of ['odd', 'even']) {
        const queue = await request(t.app).post('/api/v1/queues').set(bearer(t.keys.admin)).send({ name });
        expect(queue.status).toBe(201);
      }
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        const task = await createTask({
          title: `t${i}`,
          payload: i,
          source,
          queue: i % 2 ? 'odd' : 'even',
          riskLevel: i < 3 ? 'low' : 'critical',
        });
        ids.push(task.id);
      }
      await request(t.app)
        .post(`/api/v1/tasks/${ids[0]}/decision`)
        .set(bearer(t.keys.reviewer))
        .send({ action: 'approve' });
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: request.Response = await request(t.app)
          .get('/api/v1/tasks')
          .query({ source, limit: 3, ...(cursor ? { cursor } : {}) })
          .set(bearer(t.keys.viewer));
        expect(res.status).toBe(200);
        expect(res.body.data.length).toBeLessThanOrEqual(3);
        seen.push(...res.body.data.map((x: { id: string }) => x.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual([...ids].reverse());

      const q = async (query: Record<string, string>) =>
        (
          await request(t.app)
            .get('/api/v1/tasks')
            .query({ source, ...query })
            .set(bearer(t.keys.viewer))
        ).body.data.map((x: { id: string }) => x.id);
      expect(await q({ status: 'approved' })).toEqual([ids[0]]);
      expect((await q({ queue: 'odd' })).sort()).toEqual([ids[1], ids[3], ids[5]].sort());
      expect((await q({ riskLevel: 'low' })).sort()).toEqual(ids.slice(0, 3).sort());
      expect(await q({ createdAfter: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
      expect((await q({ createdBefore: new Date(Date.now() + 60_000).toISOString() })).length).toBe(7);

      const tooBig = await request(t.app).get('/api/v1/tasks?limit=201').set(bearer(t.keys.viewer));
      expect(tooBig.status).toBe(400);
      expect(tooBig.body.errors[0].path).toBe('query.limit');
      const badCursor = await request(t.app).get('/api/v1/tasks?cursor=nonsense').set(bearer(t.keys.viewer));
      expect(badCursor.status).toBe(400);
      expect(badCursor.body.errors[0].path).toBe('cursor');
    });

    test('wait answers the moment the task is decided, and with the open task at the timeout', async () => {
      const task = await createTask();
      const timedOut = await request(t.app).get(`/api/v1/tasks/${task.id}/wait?timeout=0.2`).set(bearer(t.keys.viewer));
      expect(timedOut.status).toBe(200);
      expect(timedOut.body.status).toBe('pending_review');

      const waiting = request(t.app)
        .get(`/api/v1/tasks/${task.id}/wait?timeout=20`)
        .set(bearer(t.keys.viewer))
        .then((r) => r);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const decided = await request(t.app)
        .post(`/api/v1/tasks/${task.id}/decision`)
        .set(bearer(t.keys.reviewer))
        .send({ action: 'reject' });
      const waited = await waiting;
      expect(waited.status).toBe(200);
      expect(waited.body).toEqual(decided.body);

      const already = await request(t.app).get(`/api/v1/tasks/${task.id}/wait?timeout=20`).set(bearer(t.keys.viewer));
      expect(already.body.status).toBe('rejected');
      const bad = await request(t.app).get(`/api/v1/tasks/${task.id}/wait?timeout=9999`).set(bearer(t.keys.viewer));
      expect(bad.status).toBe(400);
    });

    test('100 concurrent decisions on one task: exactly one wins, 99 get task_already_decided, one decided event', async () => {
      const task = await createTask();
      const actions = ['approve', 'reject'] as const;
      const responses = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          request(t.app)
            .post(`/api/v1/tasks/${task.id}/decision`)
            .set(bearer(t.keys.reviewer))
            .send({ action: actions[i % 2], comment: `vote ${i}` }),
        ),
      );
      const winners = responses.filter((r) => r.status === 200);
      expect(winners).toHaveLength(1);
      expect(responses.filter((r) => r.status === 409 && r.body.code === 'task_already_decided')).toHaveLength(99);
      const final = await request(t.app).get(`/api/v1/tasks/${task.id}`).set(bearer(t.keys.viewer));
      expect(final.body.decision.comment).toBe(winners[0]?.body.decision.comment);
      expect(final.body.version).toBe(2);
      const decided = (await eventsOf(task.id)).filter((e) => e.type === 'decided');
      expect(decided).toHaveLength(1);
    });

    // Distinct reviewers each insert a vote row of their own, so InnoDB has no duplicate key to
    // serialise them on: this is where the vote insert and the task's compare-and-set once deadlocked.
    test.each([10, 20, 50])(
      '%i reviewers deciding one task at once: one winner, every other answer 409 task_already_decided, no 500',
      async (count) => {
        const task = await createTask();
        const reviewers = await Promise.all(
          Array.from(
            { length: count },
            async (_, i) =>
              (await createApiKey({ store, clock: Date.now }, { name: `racer-${count}-${i}`, role: 'reviewer' })).key,
          ),
        );
        const actions = ['approve', 'reject', 'approve_with_modifications'] as const;
        const responses = await Promise.all(
          reviewers.map((key, i) =>
            request(t.app)
              .post(`/api/v1/tasks/${task.id}/decision`)
              .set(bearer(key))
              .send({
                action: actions[i % 3],
                comment: `vote ${i}`,
                ...(actions[i % 3] === 'approve_with_modifications' ? { modifiedPayload: { amount: i } } : {}),
              }),
          ),
        );
        const outcomes = responses.map((r) => `${r.status} ${r.body.code ?? ''}`.trim());
        expect(outcomes.filter((o) => o !== '200' && o !== '409 task_already_decided')).toEqual([]);
        expect(outcomes.filter((o) => o === '200')).toHaveLength(1);
        const winner = responses.find((r) => r.status === 200);
        const final = await request(t.app).get(`/api/v1/tasks/${task.id}`).set(bearer(t.keys.viewer));
        expect(final.body.decision.comment).toBe(winner?.body.decision.comment);
        expect(final.body.version).toBe(2);
        expect((await eventsOf(task.id)).filter((e) => e.type === 'decided')).toHaveLength(1);
        const votes = await request(t.app).get(`/api/v1/tasks/${task.id}/votes`).set(bearer(t.keys.viewer));
        expect(votes.body.data).toHaveLength(1);
      },
    );

    test('a decision whose SQL fails answers 500; its logged error names the statement but none of its values', async () => {
      const task = await createTask();
      // Every event is written for a task that does not exist: a real foreign-key failure on either
      // database, raised by the driver with the reviewer's comment and edit among its parameters.
      const failingStore: Store = {
        ...store,
        transaction: (work) =>
          store.transaction((tx) =>
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
        bus: t.bus,
        clock: Date.now,
        logger: createLogger('error', 'test', { write: (line: string) => void lines.push(line) }),
        authenticator: new ApiKeyAuthenticator({ store, clock: Date.now, bus: t.bus }),
        publicUrl: 'http://localhost:3000',
        bodyLimit: '64kb',
      });
      const res = await request(app)
        .post(`/api/v1/tasks/${task.id}/decision`)
        .set(bearer(t.keys.reviewer))
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
      expect((await request(t.app).get(`/api/v1/tasks/${task.id}`).set(bearer(t.keys.viewer))).body.status).toBe(
        'pending_review',
      );
    });

    test('unknown routes and ids answer problem+json 404', async () => {
      const route = await request(t.app).get('/api/v1/nothing').set(bearer(t.keys.viewer));
      expect(route.status).toBe(404);
      expect(route.body.code).toBe('not_found');
      const id = await request(t.app).get('/api/v1/tasks/tsk_doesnotexist').set(bearer(t.keys.viewer));
      expect(id.status).toBe(404);
      expect(id.headers['content-type']).toMatch(/problem\+json/);
    });

    test('health, readiness and the OpenAPI document', async () => {
      expect((await request(t.app).get('/healthz')).body).toEqual({ status: 'ok' });
      expect((await request(t.app).get('/readyz')).body).toEqual({ status: 'ready', database });
      const doc = (await request(t.app).get('/api/openapi.json')).body;
      expect(doc.openapi).toBe('3.1.0');
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          '/api/v1/tasks',
          '/api/v1/tasks/{id}',
          '/api/v1/tasks/{id}/decision',
          '/api/v1/tasks/{id}/wait',
          '/api/v1/tasks/{id}/events',
          '/api/v1/tasks/{id}/cancel',
        ]),
      );
      const create = doc.paths['/api/v1/tasks'].post;
      expect(create.requestBody.content['application/json'].schema).toEqual({
        $ref: '#/components/schemas/CreateTaskInput',
      });
      expect(doc.components.schemas.CreateTaskInput.required).toEqual(['title', 'payload']);
      expect(doc.components.schemas.CreateTaskInput.properties.riskLevel.enum).toEqual([
        'low',
        'medium',
        'high',
        'critical',
      ]);
      expect(JSON.stringify(doc)).not.toContain('__shared');
      const docs = await request(t.app).get('/docs');
      expect(docs.status).toBe(200);
      expect(docs.text).toContain('/docs/init.js');
      expect(docs.headers['content-security-policy']).toContain("script-src 'self'");
      expect((await request(t.app).get('/docs/assets/swagger-ui-bundle.js')).status).toBe(200);
    });
  });
}
