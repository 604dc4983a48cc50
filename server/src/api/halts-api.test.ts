import request from 'supertest';
import type { Store } from '../domain/store.js';
import { DATABASES, openTestStore } from '../test-support/databases.js';
import { buildTestApp, type TestApp } from '../test-support/fixtures.js';

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

for (const database of DATABASES) {
  describe(`${database}: halts API`, () => {
    let store: Store;
    let close: () => Promise<void>;
    let t: TestApp;
    let now = Date.parse('2026-02-10T08:00:00Z');
    const clock = () => now;
    let workspaceId: string;

    beforeAll(async () => {
      const opened = await openTestStore(database);
      store = opened.store;
      close = opened.close;
      t = await buildTestApp(store, clock);
      workspaceId = (await store.read.workspaces.findBySlug('default'))?.id ?? '';
    });
    afterAll(async () => {
      await t.authenticator.settle();
      await close();
    });

    const halt = (body: object, key = t.keys.admin) =>
      request(t.app).post('/api/v1/halts').set(bearer(key)).set('X-Request-Id', 'req-halt').send(body);
    const resume = (id: string, key = t.keys.admin) =>
      request(t.app).post(`/api/v1/halts/${id}/resume`).set(bearer(key)).send();
    const createTask = (body: object = {}) =>
      request(t.app)
        .post('/api/v1/tasks')
        .set(bearer(t.keys.reviewer))
        .send({ title: 'Refund', payload: { amount: 5 }, ...body });
    const haltAudit = async () =>
      (await store.read.audit.list(workspaceId, 0, 10_000)).filter((e) => e.target.type === 'halt');

    test('halt → task creation is 423 problem+json naming the halt → resume → creation works; both audited', async () => {
      const res = await halt({ scope: 'agent', value: 'refund-bot', reason: 'runaway refunds' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^hlt_/),
        scope: 'agent',
        value: 'refund-bot',
        reason: 'runaway refunds',
        createdBy: { type: 'api_key', id: expect.stringMatching(/^key_/), name: 'admin' },
        createdAt: '2026-02-10T08:00:00.000Z',
        resumedBy: null,
        resumedAt: null,
      });
      const refused = await createTask({ agent: { id: 'refund-bot' } });
      expect(refused.status).toBe(423);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.body).toMatchObject({
        type: 'urn:loopgate:problem:halted',
        status: 423,
        code: 'halted',
        detail:
          'New tasks from agent "refund-bot" are halted by admin (api_key) since 2026-02-10T08:00:00.000Z: runaway refunds. Open tasks can still be decided or cancelled.',
      });
      // With an Idempotency-Key, the refusal claims nothing: the retry after the resume is created.
      const keyed = () =>
        request(t.app)
          .post('/api/v1/tasks')
          .set(bearer(t.keys.reviewer))
          .set('Idempotency-Key', 'halted-once')
          .send({ title: 'Refund', payload: { amount: 5 }, agent: { id: 'refund-bot' } });
      expect((await keyed()).status).toBe(423);
      expect((await createTask({ agent: { id: 'another-bot' } })).status).toBe(201);

      const listed = await request(t.app).get('/api/v1/halts').set(bearer(t.keys.admin));
      expect(listed.status).toBe(200);
      expect(listed.body.data[0]).toEqual(res.body);

      now += 60_000;
      const resumed = await resume(res.body.id);
      expect(resumed.status).toBe(200);
      expect(resumed.body).toMatchObject({ resumedAt: '2026-02-10T08:01:00.000Z', resumedBy: { name: 'admin' } });
      expect((await keyed()).status).toBe(201);
      expect((await resume(res.body.id)).status).toBe(409);
      expect((await haltAudit()).map((e) => [e.action, e.target.id])).toEqual([
        ['halt.created', res.body.id],
        ['halt.resumed', res.body.id],
      ]);
    });

    test('halting a halted target answers 200 with the active halt', async () => {
      const first = await halt({ scope: 'workspace' });
      expect(first.status).toBe(201);
      const again = await halt({ scope: 'workspace', reason: 'again' });
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(first.body.id);
      expect((await createTask({ queue: 'default', source: 'n8n' })).body.code).toBe('halted');
      expect((await resume(first.body.id)).status).toBe(200);
    });

    test.each([
      [{ scope: 'queue' }, 'value'],
      [{ scope: 'workspace', value: 'x' }, 'value'],
      [{ scope: 'planet', value: 'x' }, 'scope'],
      [{ scope: 'queue', value: 'a', extra: 1 }, 'extra'],
    ])('bad input %j is a 400 naming %s', async (body, path) => {
      const res = await halt(body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors[0].path).toBe(path);
    });

    test('reviewers and viewers get 403, another workspace 404, and nothing is halted or audited', async () => {
      const target = (await halt({ scope: 'source', value: 'guarded' })).body;
      const before = (await haltAudit()).length;
      for (const key of [t.keys.reviewer, t.keys.viewer]) {
        expect((await halt({ scope: 'workspace' }, key)).status).toBe(403);
        expect((await request(t.app).get('/api/v1/halts').set(bearer(key))).status).toBe(403);
        expect((await resume(target.id, key)).status).toBe(403);
      }
      expect((await resume(target.id, t.keys.otherWorkspaceAdmin)).status).toBe(404);
      const others = await request(t.app).get('/api/v1/halts').set(bearer(t.keys.otherWorkspaceAdmin));
      expect(others.body).toEqual({ data: [] });
      expect((await haltAudit()).length).toBe(before);
      expect((await createTask()).status).toBe(201);
      expect((await resume(target.id)).status).toBe(200);
    });

    test('the OpenAPI document lists the halt routes and 423 on task creation', async () => {
      const doc = (await request(t.app).get('/api/openapi.json')).body;
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/halts', '/api/v1/halts/{id}/resume']));
      expect(doc.paths['/api/v1/tasks'].post.responses['423']).toBeDefined();
    });
  });
}
