import request from 'supertest';
import { bearer, useTestApp } from '../test-support/api-requests.js';
import { DATABASES } from '../test-support/databases.js';

/** `{"a":{"a":…{"a":1}…}}` nested `depth` objects deep, written by hand so no serialiser recurses. */
function nestedJson(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

for (const database of DATABASES) {
  describe(`${database}: requests the API refuses cleanly`, () => {
    const d = useTestApp(database);

    const taskBody = (payload: string) => `{"title":"Deep","payload":${payload}}`;

    test.each([2_000, 65])(
      'a body nested %i levels deep is a 400 naming the limit, and nothing is stored',
      async (depth) => {
        const before = await request(d.app).get('/api/v1/tasks').set(bearer(d.keys.viewer));
        const res = await request(d.app)
          .post('/api/v1/tasks')
          .set({ ...bearer(d.keys.reviewer), 'Content-Type': 'application/json' })
          .send(taskBody(nestedJson(depth)));
        expect(res.status).toBe(400);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.body.code).toBe('validation_failed');
        expect(res.body.detail).toMatch(/64 levels/);
        const after = await request(d.app).get('/api/v1/tasks').set(bearer(d.keys.viewer));
        expect(after.body.data).toHaveLength(before.body.data.length);
      },
    );

    test('a body at the depth limit is accepted', async () => {
      // The payload sits one level below the body object, so 63 levels of payload make 64 in all.
      const res = await request(d.app)
        .post('/api/v1/tasks')
        .set({ ...bearer(d.keys.reviewer), 'Content-Type': 'application/json' })
        .send(taskBody(nestedJson(63)));
      expect(res.status).toBe(201);
    });

    test('a malformed percent-encoding in a path is a 400, not a 500', async () => {
      const res = await request(d.app).get('/api/v1/tasks/%ZZ').set(bearer(d.keys.viewer));
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('validation_failed');
    });

    test.each([
      ['a lone high surrogate in a value', '{"title":"x\\ud800","payload":{}}'],
      ['a lone low surrogate in a payload key', '{"title":"x","payload":{"\\udc00":1}}'],
      ['a lone surrogate deep in a payload', '{"title":"x","payload":{"a":["ok","\\ud83d"]}}'],
    ])('%s is refused with 400 and nothing is stored', async (_name, body) => {
      const before = await request(d.app).get('/api/v1/tasks').set(bearer(d.keys.viewer));
      const res = await request(d.app)
        .post('/api/v1/tasks')
        .set({ ...bearer(d.keys.reviewer), 'Content-Type': 'application/json' })
        .send(body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.detail).toMatch(/surrogate/i);
      const after = await request(d.app).get('/api/v1/tasks').set(bearer(d.keys.viewer));
      expect(after.body.data).toHaveLength(before.body.data.length);
    });

    test('a whole surrogate pair (an emoji) is stored exactly as sent', async () => {
      const res = await request(d.app)
        .post('/api/v1/tasks')
        .set({ ...bearer(d.keys.reviewer), 'Content-Type': 'application/json' })
        .send('{"title":"ok \\ud83d\\ude00","payload":{"note":"\\ud83d\\ude00"}}');
      expect(res.status).toBe(201);
      const stored = await request(d.app).get(`/api/v1/tasks/${res.body.id}`).set(bearer(d.keys.viewer));
      expect(stored.body.title).toBe('ok 😀');
      expect(stored.body.payload).toEqual({ note: '😀' });
    });

    test.each([
      ['an unknown task', 'tsk_0000000000000000000000000'],
      ['a task of another workspace', 'OTHER'],
    ])('the event stream of %s is a 404 like every other foreign id', async (_name, which) => {
      let taskId = which;
      if (which === 'OTHER') {
        const created = await request(d.app)
          .post('/api/v1/tasks')
          .set(bearer(d.keys.otherWorkspaceAdmin))
          .send({ title: 'Theirs', payload: {} });
        expect(created.status).toBe(201);
        taskId = created.body.id;
      }
      const res = await request(d.app).get(`/api/v1/events?taskId=${taskId}`).set(bearer(d.keys.viewer));
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('not_found');
    });

    test('the event stream of an own task still opens', async () => {
      const created = await request(d.app)
        .post('/api/v1/tasks')
        .set(bearer(d.keys.reviewer))
        .send({ title: 'Mine', payload: {} });
      const controller = new AbortController();
      const address = await new Promise<string>((resolve) => {
        const server = d.app.listen(0, '127.0.0.1', () => {
          const port = (server.address() as { port: number }).port;
          controller.signal.addEventListener('abort', () => server.close());
          resolve(`http://127.0.0.1:${port}`);
        });
      });
      const res = await fetch(`${address}/api/v1/events?taskId=${created.body.id}`, {
        headers: bearer(d.keys.viewer),
        signal: controller.signal,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      controller.abort();
    });
  });
}
