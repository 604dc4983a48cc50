import request from 'supertest';
import { createApiKey } from '../domain/admin/api-keys.js';
import { bearer, useTestApp, validTask } from '../test-support/api-requests.js';
import { DATABASES } from '../test-support/databases.js';

for (const database of DATABASES) {
  describe(`${database}: task API`, () => {
    const d = useTestApp(database);

    test('create stores every field, answers 201 with an id and timestamps, and writes a created event', async () => {
      const before = Date.now();
      const res = await request(d.app).post('/api/v1/tasks').set(bearer(d.keys.reviewer)).send(validTask);
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
      const got = await request(d.app).get(`/api/v1/tasks/${res.body.id}`).set(bearer(d.keys.viewer));
      expect(got.body).toEqual(res.body);
      const events = await d.eventsOf(res.body.id);
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
        const task = await d.createTask({ title: 't', payload });
        const got = await request(d.app).get(`/api/v1/tasks/${task.id}`).set(bearer(d.keys.viewer));
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
        name: 'a form pointer through a list in the payload',
        body: {
          title: 'x',
          payload: { refund: [{ amount: 1 }] },
          form: { type: 'object', properties: { amount: { type: 'number', 'x-loopgate-path': '/refund/amount' } } },
        },
        status: 400,
        code: 'validation_failed',
        errorPaths: ['form.properties.amount.x-loopgate-path'],
      },
      {
        name: 'a form property of a type elicitation has no input for',
        body: { ...validTask, responseForm: { type: 'object', properties: { tags: { type: 'array' } } } },
        status: 400,
        code: 'validation_failed',
        errorPaths: ['responseForm.properties.tags.type'],
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
      const countBefore = (await request(d.app).get('/api/v1/tasks?limit=200').set(bearer(d.keys.admin))).body.data
        .length;
      let req = request(d.app).post('/api/v1/tasks');
      if (scenario.key !== 'none') {
        req = req.set(
          bearer(
            scenario.key === 'bogus'
              ? 'lg_aaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'
              : d.keys[scenario.key ?? 'reviewer'],
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
      const countAfter = (await request(d.app).get('/api/v1/tasks?limit=200').set(bearer(d.keys.admin))).body.data
        .length;
      expect(countAfter).toBe(countBefore);
    });

    test('a task carries form and responseForm: stored, returned as sent, described in OpenAPI', async () => {
      const form = {
        type: 'object',
        properties: {
          amount: { type: 'number', title: 'Refund <b>amount</b>', minimum: 0, 'x-loopgate-path': '/refund/amount' },
          reason: { type: 'string', enum: ['damaged', 'late'], enumNames: ['Damaged', 'Late'] },
          note: { type: 'string', 'x-loopgate-path': '/notes/customer' },
        },
        required: ['amount'],
      };
      const responseForm = {
        type: 'object',
        properties: { reply: { type: 'string', maxLength: 500 }, fraud: { type: 'boolean' } },
        required: ['reply'],
      };
      const res = await request(d.app)
        .post('/api/v1/tasks')
        .set(bearer(d.keys.reviewer))
        .send({ title: 'Refund', payload: { refund: { amount: 480 } }, form, responseForm });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ form, responseForm });
      const got = await request(d.app).get(`/api/v1/tasks/${res.body.id}`).set(bearer(d.keys.viewer));
      expect(got.body.form).toEqual(form);
      expect(got.body.responseForm).toEqual(responseForm);
      const plain = await d.createTask();
      expect(plain).toMatchObject({ form: null, responseForm: null });
      const doc = (await request(d.app).get('/api/openapi.json')).body;
      expect(doc.components.schemas.CreateTaskInput.properties.form).toEqual({ $ref: '#/components/schemas/Form' });
      expect(Object.keys(doc.components.schemas.Form.properties)).toEqual(
        expect.arrayContaining(['type', 'properties', 'required']),
      );
    });

    test('a task names the agent that asked: stored, returned with nulls for what was not given, filterable by agent', async () => {
      const agent = { id: 'refund-bot', name: 'Refund bot', version: '3.1', model: 'gpt-4.1' };
      const full = await request(d.app)
        .post('/api/v1/tasks')
        .set(bearer(d.keys.reviewer))
        .send({ ...validTask, agent });
      expect(full.status).toBe(201);
      expect(full.body.agent).toEqual(agent);
      const bare = await request(d.app)
        .post('/api/v1/tasks')
        .set(bearer(d.keys.reviewer))
        .send({ ...validTask, agent: { id: 'n8n:workflow:7' } });
      expect(bare.body.agent).toEqual({ id: 'n8n:workflow:7', name: null, version: null, model: null });
      const none = await request(d.app).post('/api/v1/tasks').set(bearer(d.keys.reviewer)).send(validTask);
      expect(none.body.agent).toBeNull();

      const listed = await request(d.app).get('/api/v1/tasks?agent=refund-bot').set(bearer(d.keys.viewer));
      expect(listed.body.data.map((t: { id: string }) => t.id)).toEqual([full.body.id]);
      const got = await request(d.app).get(`/api/v1/tasks/${full.body.id}`).set(bearer(d.keys.viewer));
      expect(got.body.agent).toEqual(agent);

      const bad = await request(d.app)
        .post('/api/v1/tasks')
        .set(bearer(d.keys.reviewer))
        .send({ ...validTask, agent: { id: 'has spaces', colour: 'red' } });
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('validation_failed');
      expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['agent.colour', 'agent.id']);
    });

    test('GET /tasks/next: the most urgent task the caller may decide, another once it is decided, 403 for a viewer', async () => {
      const none = await request(d.app).get('/api/v1/tasks/next').set(bearer(d.keys.admin));
      expect(none.status).toBe(200);
      const later = await d.createTask({ title: 'later', payload: {} });
      const soon = await d.createTask({ title: 'soon', payload: {}, slaSeconds: 60 });
      const next = await request(d.app).get('/api/v1/tasks/next').set(bearer(d.keys.admin));
      expect(next.body.data).toMatchObject({ id: soon.id, title: 'soon' });
      await request(d.app)
        .post(`/api/v1/tasks/${soon.id}/decision`)
        .set(bearer(d.keys.admin))
        .send({ action: 'approve' });
      const after = await request(d.app).get('/api/v1/tasks/next').set(bearer(d.keys.admin));
      expect(after.body.data?.id).not.toBe(soon.id);
      await request(d.app).post(`/api/v1/tasks/${later.id}/cancel`).set(bearer(d.keys.admin)).send({});
      const viewer = await request(d.app).get('/api/v1/tasks/next').set(bearer(d.keys.viewer));
      expect(viewer.status).toBe(403);
      expect(viewer.body.code).toBe('forbidden');
    });

    test('another workspace sees nothing: 404 for its ids, absent from its lists', async () => {
      const task = await d.createTask();
      const other = bearer(d.keys.otherWorkspaceAdmin);
      for (const [method, path] of [
        ['get', `/api/v1/tasks/${task.id}`],
        ['get', `/api/v1/tasks/${task.id}/events`],
        ['get', `/api/v1/tasks/${task.id}/wait?timeout=0`],
        ['post', `/api/v1/tasks/${task.id}/decision`],
        ['post', `/api/v1/tasks/${task.id}/cancel`],
      ] as const) {
        const res = await request(d.app)
          [method](path)
          .set(other)
          .send(path.endsWith('/decision') ? { action: 'approve' } : method === 'post' ? {} : undefined);
        expect([path, res.status, res.body.code]).toEqual([path, 404, 'not_found']);
      }
      const list = await request(d.app).get('/api/v1/tasks').set(other);
      expect(list.body.data.map((x: { id: string }) => x.id)).not.toContain(task.id);
      const mine = await request(d.app).get(`/api/v1/tasks/${task.id}`).set(bearer(d.keys.viewer));
      expect(mine.body.status).toBe('pending_review');
    });

    test('a callback URL (it resumes the automation) is shown whole to admins and the creator, its origin to others', async () => {
      const callbackUrl = 'https://n8n.example/webhook-waiting/42?signature=secret';
      const created = await request(d.app)
        .post('/api/v1/tasks')
        .set(bearer(d.keys.reviewer))
        .send({ ...validTask, callbackUrl, externalRef: `callback-${database}-${Date.now()}` });
      expect(created.body).toMatchObject({ callbackUrl, hasCallback: true });
      const other = await createApiKey(
        { store: d.store, clock: Date.now },
        { name: 'other-reviewer', role: 'reviewer' },
      );
      for (const [key, seen] of [
        [d.keys.reviewer, callbackUrl],
        [d.keys.admin, callbackUrl],
        [d.keys.viewer, 'https://n8n.example'],
        [other.key, 'https://n8n.example'],
      ] as const) {
        const one = await request(d.app).get(`/api/v1/tasks/${created.body.id}`).set(bearer(key));
        expect([one.body.callbackUrl, one.body.hasCallback]).toEqual([seen, true]);
        const listed = await request(d.app)
          .get(`/api/v1/tasks?externalRef=${created.body.externalRef}`)
          .set(bearer(key));
        expect(listed.body.data.map((x: { id: string; callbackUrl: string | null }) => [x.id, x.callbackUrl])).toEqual([
          [created.body.id, seen],
        ]);
      }
      const plain = await d.createTask();
      expect((await request(d.app).get(`/api/v1/tasks/${plain.id}`).set(bearer(d.keys.admin))).body).toMatchObject({
        callbackUrl: null,
        hasCallback: false,
      });
    });

    test('listing filters by status, queue, riskLevel, source and time, pages with a cursor, and caps the page size', async () => {
      const source = `list${database}${Date.now()}`;
      for (const name of ['odd', 'even']) {
        const queue = await request(d.app).post('/api/v1/queues').set(bearer(d.keys.admin)).send({ name });
        expect(queue.status).toBe(201);
      }
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        const task = await d.createTask({
          title: `t${i}`,
          payload: i,
          source,
          queue: i % 2 ? 'odd' : 'even',
          riskLevel: i < 3 ? 'low' : 'critical',
        });
        ids.push(task.id);
      }
      await request(d.app)
        .post(`/api/v1/tasks/${ids[0]}/decision`)
        .set(bearer(d.keys.reviewer))
        .send({ action: 'approve' });
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: request.Response = await request(d.app)
          .get('/api/v1/tasks')
          .query({ source, limit: 3, ...(cursor ? { cursor } : {}) })
          .set(bearer(d.keys.viewer));
        expect(res.status).toBe(200);
        expect(res.body.data.length).toBeLessThanOrEqual(3);
        seen.push(...res.body.data.map((x: { id: string }) => x.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual([...ids].reverse());

      const q = async (query: Record<string, string>) =>
        (
          await request(d.app)
            .get('/api/v1/tasks')
            .query({ source, ...query })
            .set(bearer(d.keys.viewer))
        ).body.data.map((x: { id: string }) => x.id);
      expect(await q({ status: 'approved' })).toEqual([ids[0]]);
      expect((await q({ queue: 'odd' })).sort()).toEqual([ids[1], ids[3], ids[5]].sort());
      expect((await q({ riskLevel: 'low' })).sort()).toEqual(ids.slice(0, 3).sort());
      expect(await q({ createdAfter: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
      expect((await q({ createdBefore: new Date(Date.now() + 60_000).toISOString() })).length).toBe(7);

      const tooBig = await request(d.app).get('/api/v1/tasks?limit=201').set(bearer(d.keys.viewer));
      expect(tooBig.status).toBe(400);
      expect(tooBig.body.errors[0].path).toBe('query.limit');
      const badCursor = await request(d.app).get('/api/v1/tasks?cursor=nonsense').set(bearer(d.keys.viewer));
      expect(badCursor.status).toBe(400);
      expect(badCursor.body.errors[0].path).toBe('cursor');
    });

    test("sort=urgency pages through tasks in the board's order: earliest deadline first, none last", async () => {
      const source = `urgency-${database}`;
      const now = Date.now();
      const made: { id: string; dueAt: number | null; riskLevel: string | null }[] = [];
      const shapes = [
        { dueAt: now + 3_600_000, riskLevel: 'low' },
        { dueAt: null, riskLevel: 'critical' },
        { dueAt: now + 600_000, riskLevel: 'medium' },
        { dueAt: now + 600_000, riskLevel: 'critical' },
        { dueAt: null, riskLevel: null },
        { dueAt: now + 7_200_000, riskLevel: null },
        { dueAt: null, riskLevel: 'high' },
      ];
      for (const shape of shapes) {
        const res = await request(d.app)
          .post('/api/v1/tasks')
          .set(bearer(d.keys.reviewer))
          .send({
            title: 'Urgency',
            payload: {},
            source,
            ...(shape.dueAt === null ? {} : { dueAt: new Date(shape.dueAt).toISOString() }),
            ...(shape.riskLevel === null ? {} : { riskLevel: shape.riskLevel }),
          });
        expect(res.status).toBe(201);
        made.push({ id: res.body.id, ...shape });
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: request.Response = await request(d.app)
          .get('/api/v1/tasks')
          .query({ source, sort: 'urgency', limit: 2, ...(cursor ? { cursor } : {}) })
          .set(bearer(d.keys.viewer));
        expect(res.status).toBe(200);
        seen.push(...res.body.data.map((x: { id: string }) => x.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      // Deadlines ascending (a tie by risk), then the tasks without one: critical, high, unknown.
      expect(seen).toEqual([3, 2, 0, 5, 1, 6, 4].map((i) => made[i]?.id));

      const newestCursor = (
        await request(d.app).get('/api/v1/tasks').query({ source, limit: 1 }).set(bearer(d.keys.viewer))
      ).body.nextCursor;
      const mixed = await request(d.app)
        .get('/api/v1/tasks')
        .query({ source, sort: 'urgency', cursor: newestCursor })
        .set(bearer(d.keys.viewer));
      expect([mixed.status, mixed.body.errors?.[0]?.path]).toEqual([400, 'cursor']);
      const badSort = await request(d.app).get('/api/v1/tasks?sort=oldest').set(bearer(d.keys.viewer));
      expect([badSort.status, badSort.body.errors?.[0]?.path]).toEqual([400, 'query.sort']);
    });

    test('sort by a column (risk, due) pages through every task once, in either direction', async () => {
      const source = `columns-${database}`;
      const now = Date.now();
      const shapes = [
        { dueAt: now + 3_600_000, riskLevel: 'low' },
        { dueAt: null, riskLevel: 'critical' },
        { dueAt: now + 600_000, riskLevel: null },
        { dueAt: now + 600_000, riskLevel: 'critical' },
        { dueAt: null, riskLevel: 'high' },
      ];
      const ids: string[] = [];
      for (const shape of shapes) {
        const res = await request(d.app)
          .post('/api/v1/tasks')
          .set(bearer(d.keys.reviewer))
          .send({
            title: 'Columns',
            payload: {},
            source,
            ...(shape.dueAt === null ? {} : { dueAt: new Date(shape.dueAt).toISOString() }),
            ...(shape.riskLevel === null ? {} : { riskLevel: shape.riskLevel }),
          });
        expect(res.status).toBe(201);
        ids.push(res.body.id);
      }
      const pages = async (query: Record<string, string>) => {
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const res: request.Response = await request(d.app)
            .get('/api/v1/tasks')
            .query({ source, limit: 2, ...query, ...(cursor ? { cursor } : {}) })
            .set(bearer(d.keys.viewer));
          expect(res.status).toBe(200);
          seen.push(...res.body.data.map((x: { id: string }) => x.id));
          cursor = res.body.nextCursor;
        } while (cursor);
        return seen;
      };
      const [a, b, c, e, f] = ids as [string, string, string, string, string];
      // Ties (two critical, two without a deadline, two due at once) go by id in the same direction.
      const byId = (x: string, y: string, dir: 1 | -1) => {
        const [lo, hi] = x < y ? [x, y] : [y, x];
        return dir === 1 ? [lo, hi] : [hi, lo];
      };
      expect(await pages({ sort: 'risk' })).toEqual([...byId(b, e, -1), f, a, c]);
      expect(await pages({ sort: 'risk', dir: 'asc' })).toEqual([c, a, f, ...byId(b, e, 1)]);
      expect(await pages({ sort: 'due' })).toEqual([...byId(c, e, 1), a, ...byId(b, f, 1)]);
      expect(await pages({ sort: 'due', dir: 'desc' })).toEqual([...byId(b, f, -1), a, ...byId(c, e, -1)]);

      const dueCursor = (
        await request(d.app).get('/api/v1/tasks').query({ source, sort: 'due', limit: 1 }).set(bearer(d.keys.viewer))
      ).body.nextCursor;
      const flipped = await request(d.app)
        .get('/api/v1/tasks')
        .query({ source, sort: 'due', dir: 'desc', cursor: dueCursor })
        .set(bearer(d.keys.viewer));
      expect([flipped.status, flipped.body.errors?.[0]?.path]).toEqual([400, 'cursor']);
      const badDir = await request(d.app).get('/api/v1/tasks?sort=due&dir=up').set(bearer(d.keys.viewer));
      expect(badDir.status).toBe(400);
    });

    test('unknown routes and ids answer problem+json 404', async () => {
      const route = await request(d.app).get('/api/v1/nothing').set(bearer(d.keys.viewer));
      expect(route.status).toBe(404);
      expect(route.body.code).toBe('not_found');
      const id = await request(d.app).get('/api/v1/tasks/tsk_doesnotexist').set(bearer(d.keys.viewer));
      expect(id.status).toBe(404);
      expect(id.headers['content-type']).toMatch(/problem\+json/);
    });

    test('health, readiness and the OpenAPI document', async () => {
      expect((await request(d.app).get('/healthz')).body).toEqual({ status: 'ok' });
      expect((await request(d.app).get('/readyz')).body).toEqual({ status: 'ready', database });
      const doc = (await request(d.app).get('/api/openapi.json')).body;
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
      const docs = await request(d.app).get('/docs');
      expect(docs.status).toBe(200);
      expect(docs.text).toContain('/docs/init.js');
      expect(docs.headers['content-security-policy']).toContain("script-src 'self'");
      expect((await request(d.app).get('/docs/assets/swagger-ui-bundle.js')).status).toBe(200);
    });
  });
}
