import request from 'supertest';
import { bearer, useTestApp, validTask } from '../test-support/api-requests.js';
import { DATABASES } from '../test-support/databases.js';

for (const database of DATABASES) {
  describe(`${database}: Idempotency-Key on task creation`, () => {
    const d = useTestApp(database);

    test('Idempotency-Key: a replay returns the first response, another body gets 422, keys are per workspace', async () => {
      const key = `idem-${database}-${Date.now()}`;
      const first = await request(d.app)
        .post('/api/v1/tasks')
        .set(bearer(d.keys.reviewer))
        .set('Idempotency-Key', key)
        .send(validTask);
      expect(first.status).toBe(201);
      const reordered = Object.fromEntries(Object.entries(validTask).reverse());
      const replay = await request(d.app)
        .post('/api/v1/tasks')
        .set(bearer(d.keys.reviewer))
        .set('Idempotency-Key', key)
        .send(reordered);
      expect(replay.status).toBe(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toEqual(first.body);
      const mismatch = await request(d.app)
        .post('/api/v1/tasks')
        .set(bearer(d.keys.reviewer))
        .set('Idempotency-Key', key)
        .send({ ...validTask, title: 'something else' });
      expect(mismatch.status).toBe(422);
      expect(mismatch.body.code).toBe('idempotency_key_reused');
      const otherWorkspace = await request(d.app)
        .post('/api/v1/tasks')
        .set(bearer(d.keys.otherWorkspaceAdmin))
        .set('Idempotency-Key', key)
        .send({ ...validTask, title: 'something else' });
      expect(otherWorkspace.status).toBe(201);
      expect(otherWorkspace.body.id).not.toBe(first.body.id);
      const list = await request(d.app).get('/api/v1/tasks?externalRef=order-1234&limit=200').set(bearer(d.keys.admin));
      expect(list.body.data.filter((x: { id: string }) => x.id === first.body.id)).toHaveLength(1);
    });

    test('Idempotency-Key: concurrent duplicates create one task; the others replay it or get 409 in flight', async () => {
      const key = `race-${database}-${Date.now()}`;
      const responses = await Promise.all(
        Array.from({ length: 10 }, () =>
          request(d.app)
            .post('/api/v1/tasks')
            .set(bearer(d.keys.reviewer))
            .set('Idempotency-Key', key)
            .send({ title: 'race', payload: key }),
        ),
      );
      const created = responses.filter((r) => r.status === 201);
      const inFlight = responses.filter((r) => r.status === 409);
      expect(created.length + inFlight.length).toBe(10);
      expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
      for (const r of inFlight) expect(r.body.code).toBe('idempotency_request_in_flight');
      const list = await request(d.app).get('/api/v1/tasks?limit=200').set(bearer(d.keys.admin));
      expect(list.body.data.filter((x: { payload: unknown }) => x.payload === key)).toHaveLength(1);
    });

    test('a failed create with an Idempotency-Key leaves the key free for a corrected retry', async () => {
      const key = `retry-${database}-${Date.now()}`;
      const bad = await request(d.app)
        .post('/api/v1/tasks')
        .set(bearer(d.keys.reviewer))
        .set('Idempotency-Key', key)
        .send({ title: 'x' });
      expect(bad.status).toBe(400);
      const good = await request(d.app)
        .post('/api/v1/tasks')
        .set(bearer(d.keys.reviewer))
        .set('Idempotency-Key', key)
        .send({ title: 'x', payload: 1 });
      expect(good.status).toBe(201);
    });
  });
}
