import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import type { Store } from '../domain/store.js';
import type { TaskEventRecord } from '../domain/tasks/task-record.js';
import { DATABASES, openTestStore } from '../test-support/databases.js';
import { buildTestApp, type TestApp } from '../test-support/fixtures.js';

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
const HOUR = 3_600_000;

/** docs/approvals.md's standing-approval example, sent as the doc shows it: the doc is the fixture. */
function docsGrantDecision(): { action: string; grant: { scope: string; hours: number } } {
  const doc = readFileSync(join(__dirname, '../../../docs/approvals.md'), 'utf8');
  const block = /```json\nPOST \/api\/v1\/tasks\/\{id\}\/decision \(standing approval\)\n([\s\S]*?)```/.exec(doc)?.[1];
  if (!block) throw new Error('docs/approvals.md lost its standing-approval example');
  return JSON.parse(block);
}

for (const database of DATABASES) {
  describe(`${database}: standing approvals API`, () => {
    let store: Store;
    let close: () => Promise<void>;
    let t: TestApp;
    let now = Date.parse('2026-03-02T09:00:00Z');
    const clock = () => now;
    let workspaceId: string;
    const changes: { taskId: string; type: string; actorId: string | null; data: unknown }[] = [];

    beforeAll(async () => {
      const opened = await openTestStore(database);
      store = opened.store;
      close = opened.close;
      t = await buildTestApp(store, clock, {
        // What the delivery hook sees: a grant's approval must reach it like the policy's does.
        onTaskChange: async (_tx, { task, event }: { task: { id: string }; event: TaskEventRecord }) => {
          changes.push({ taskId: task.id, type: event.type, actorId: event.actor.id, data: event.data });
        },
      });
      workspaceId = (await store.read.workspaces.findBySlug('default'))?.id ?? '';
    });
    afterAll(async () => {
      await t.authenticator.settle();
      await close();
    });

    const createTask = (body: object = {}) =>
      request(t.app)
        .post('/api/v1/tasks')
        .set(bearer(t.keys.reviewer))
        .send({
          title: 'Refund order 1001',
          payload: { order: 1001, amount: 40 },
          agent: { id: 'refund-bot' },
          ...body,
        });
    const decide = (id: string, body: object, key = t.keys.reviewer) =>
      request(t.app).post(`/api/v1/tasks/${id}/decision`).set(bearer(key)).send(body);
    const grants = (key = t.keys.reviewer) => request(t.app).get('/api/v1/grants').set(bearer(key));
    const revoke = (id: string, body: object = {}, key = t.keys.reviewer) =>
      request(t.app).post(`/api/v1/grants/${id}/revoke`).set(bearer(key)).send(body);
    const grantAudit = async () =>
      (await store.read.audit.list(workspaceId, 0, 10_000)).filter((e) => e.target.type === 'grant');
    const queue = (name: string, config: object) =>
      request(t.app).post('/api/v1/queues').set(bearer(t.keys.admin)).send({ name, config });

    test('a payload grant approves the second identical task, not a different one, and stops at its expiry', async () => {
      const first = (await createTask()).body;
      expect(first.status).toBe('pending_review');
      const example = docsGrantDecision();
      expect(example.grant).toEqual({ scope: 'payload', hours: 8 });
      const approved = await decide(first.id, example);
      expect(approved.status).toBe(200);
      expect(approved.body.status).toBe('approved');
      const [grant] = (await grants()).body.data;
      expect(grant).toEqual({
        id: expect.stringMatching(/^grt_/),
        queue: 'default',
        agentId: 'refund-bot',
        scope: 'payload',
        payloadDigest: approved.body.decision.payloadDigest,
        title: null,
        createdBy: { type: 'api_key', id: expect.stringMatching(/^key_/), name: 'reviewer' },
        fromTaskId: first.id,
        createdAt: '2026-03-02T09:00:00.000Z',
        expiresAt: '2026-03-02T17:00:00.000Z',
        revokedAt: null,
        revokedBy: null,
        revokeReason: null,
        uses: 0,
        active: true,
      });

      now += 4 * HOUR;
      const second = await createTask({ title: 'Another title, same payload' });
      expect(second.status).toBe(201);
      expect(second.body.status).toBe('approved');
      expect(second.body.decision.decidedBy).toEqual({ type: 'policy', id: grant.id, name: 'standing-approval' });
      expect(second.body.workflow).toMatchObject({
        routingRule: 'grant',
        routingReason: `Approved by the standing approval ${grant.id} from reviewer until 2026-03-02T17:00:00.000Z`,
        levels: 0,
      });
      // The same task.decided change a policy auto-approval makes, naming the grant and its giver.
      expect(changes.filter((c) => c.taskId === second.body.id).map((c) => c.type)).toEqual(['created', 'decided']);
      expect(changes.find((c) => c.taskId === second.body.id && c.type === 'decided')).toMatchObject({
        actorId: grant.id,
        data: { action: 'approve', rule: 'grant', grantId: grant.id, grantedBy: { name: 'reviewer' } },
      });

      const different = await createTask({ payload: { order: 1001, amount: 4000 } });
      expect(different.body.status).toBe('pending_review');
      const otherAgent = await createTask({ agent: { id: 'other-bot' } });
      expect(otherAgent.body.status).toBe('pending_review');
      const noAgent = await createTask({ agent: undefined });
      expect(noAgent.body.status).toBe('pending_review');

      now += 4 * HOUR - 1; // a millisecond before expiresAt: still active
      expect((await createTask({ title: 'Just in time' })).body.status).toBe('approved');
      now += 1; // exactly at expiresAt: ended
      const late = await createTask();
      expect(late.body.status).toBe('pending_review');
      const [after] = (await grants()).body.data;
      expect(after).toMatchObject({ id: grant.id, uses: 2, active: false });
      expect((await grantAudit()).map((e) => [e.action, e.actor.name])).toEqual([
        ['grant.created', 'reviewer'],
        ['grant.used', 'standing-approval'],
        ['grant.used', 'standing-approval'],
      ]);
    });

    test('a title grant matches the same agent and title with another payload; revoked, it stops', async () => {
      const first = (await createTask({ title: 'Weekly report', payload: { week: 1 } })).body;
      await decide(first.id, { action: 'approve', grant: { scope: 'title', hours: 24 } });
      const grant = (await grants()).body.data.find((g: { fromTaskId: string }) => g.fromTaskId === first.id);
      expect(grant).toMatchObject({ scope: 'title', title: 'Weekly report', payloadDigest: null });
      expect((await createTask({ title: 'Weekly report', payload: { week: 2 } })).body.status).toBe('approved');
      expect((await createTask({ title: 'Monthly report', payload: { week: 2 } })).body.status).toBe('pending_review');

      expect((await revoke(grant.id, { reason: 'agent changed' }, t.keys.viewer)).status).toBe(403);
      const revoked = await revoke(grant.id, { reason: 'agent changed' });
      expect(revoked.status).toBe(200);
      expect(revoked.body).toMatchObject({
        active: false,
        revokeReason: 'agent changed',
        revokedBy: { name: 'reviewer' },
      });
      expect((await revoke(grant.id)).status).toBe(409);
      expect((await createTask({ title: 'Weekly report', payload: { week: 3 } })).body.status).toBe('pending_review');
      expect((await grantAudit()).filter((e) => e.target.id === grant.id).map((e) => e.action)).toEqual([
        'grant.created',
        'grant.used',
        'grant.revoked',
      ]);
    });

    test('a halt covering the task stops the grant: creation is refused, nothing is used', async () => {
      const first = (await createTask({ title: 'Halted', agent: { id: 'halt-bot' } })).body;
      await decide(first.id, { action: 'approve', grant: { scope: 'title', hours: 24 } });
      const halt = await request(t.app)
        .post('/api/v1/halts')
        .set(bearer(t.keys.admin))
        .send({ scope: 'agent', value: 'halt-bot' });
      expect((await createTask({ title: 'Halted', agent: { id: 'halt-bot' } })).status).toBe(423);
      await request(t.app).post(`/api/v1/halts/${halt.body.id}/resume`).set(bearer(t.keys.admin)).send();
      const grant = (await grants()).body.data.find((g: { fromTaskId: string }) => g.fromTaskId === first.id);
      expect(grant.uses).toBe(0);
    });

    test('refusals write nothing: no agent, a queue that forbids grants, too many hours, modifications, more levels', async () => {
      const before = (await grantAudit()).length;
      const noAgent = (await createTask({ agent: undefined })).body;
      const refused = await decide(noAgent.id, { action: 'approve', grant: { scope: 'payload', hours: 1 } });
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('grant_refused');
      expect((await request(t.app).get(`/api/v1/tasks/${noAgent.id}`).set(bearer(t.keys.reviewer))).body.status).toBe(
        'pending_review',
      );

      expect((await queue('no-grants', { grants: { allowed: false } })).status).toBe(201);
      const forbidden = (await createTask({ queue: 'no-grants' })).body;
      const inForbidden = await decide(forbidden.id, { action: 'approve', grant: { scope: 'title', hours: 1 } });
      expect(inForbidden.body).toMatchObject({
        code: 'grant_refused',
        detail: 'Queue "no-grants" does not allow standing approvals',
      });

      const long = await decide(forbidden.id, { action: 'approve', grant: { scope: 'title', hours: 200 } });
      expect(long.status).toBe(400);
      expect(long.body.errors[0].path).toBe('grant.hours');
      const tooLong = await decide(noAgent.id, { action: 'approve', grant: { scope: 'title', hours: 25 } });
      expect(tooLong.body).toMatchObject({ code: 'grant_refused' });

      const agentTask = (await createTask({ title: 'Long', agent: { id: 'long-bot' } })).body;
      const overMax = await decide(agentTask.id, { action: 'approve', grant: { scope: 'title', hours: 25 } });
      expect(overMax.status).toBe(400);
      expect(overMax.body.errors).toEqual([{ path: 'grant.hours', message: 'At most 24 hours in queue "default"' }]);
      const modified = await decide(agentTask.id, {
        action: 'approve_with_modifications',
        modifiedPayload: { x: 1 },
        grant: { scope: 'payload', hours: 1 },
      });
      expect(modified.status).toBe(400);
      expect(modified.body.errors[0].path).toBe('grant');

      expect((await queue('two-levels', { levels: [{ name: 'first' }, { name: 'second' }] })).status).toBe(201);
      const twoLevels = (await createTask({ queue: 'two-levels' })).body;
      const early = await decide(twoLevels.id, { action: 'approve', grant: { scope: 'payload', hours: 1 } });
      expect(early.body.code).toBe('grant_refused');
      expect((await request(t.app).get(`/api/v1/tasks/${twoLevels.id}`).set(bearer(t.keys.reviewer))).body.status).toBe(
        'pending_review',
      );
      expect((await grantAudit()).length).toBe(before);
    });

    test('another workspace sees none and cannot revoke; the OpenAPI document lists the routes', async () => {
      const [grant] = (await grants()).body.data;
      expect((await grants(t.keys.otherWorkspaceAdmin)).body).toEqual({ data: [] });
      expect((await revoke(grant.id, {}, t.keys.otherWorkspaceAdmin)).status).toBe(404);
      const doc = (await request(t.app).get('/api/openapi.json')).body;
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/grants', '/api/v1/grants/{id}/revoke']));
    });
  });
}
