import request from 'supertest';
import { DATABASES, openTestStore } from '../test-support/databases.js';
import { buildTestApp, type TestApp } from '../test-support/fixtures.js';

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

for (const database of DATABASES) {
  describe(`${database}: GET /api/v1/me`, () => {
    let close: () => Promise<void>;
    let t: TestApp;

    beforeAll(async () => {
      const opened = await openTestStore(database);
      close = opened.close;
      t = await buildTestApp(opened.store);
    });
    afterAll(async () => close());

    test.each([
      ['admin', 'default'],
      ['reviewer', 'default'],
      ['viewer', 'default'],
      ['otherWorkspaceAdmin', 'other'],
    ] as const)('a %s key learns its workspace (%s), role and identity', async (which, slug) => {
      const res = await request(t.app).get('/api/v1/me').set(bearer(t.keys[which]));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        workspace: { id: expect.stringMatching(/^wsp_/), slug, name: expect.any(String) },
        role: which === 'otherWorkspaceAdmin' ? 'admin' : which,
        actor: { type: 'api_key', id: expect.any(String), name: which === 'otherWorkspaceAdmin' ? 'other' : which },
      });
    });

    test('the OpenAPI document describes it with the Caller schema', async () => {
      const doc = (await request(t.app).get('/api/openapi.json')).body;
      expect(JSON.stringify(doc.paths['/api/v1/me'].get.responses['200'])).toContain('Caller');
    });

    test('no key or a bad key answers 401 problem+json with code unauthorized', async () => {
      for (const headers of [{}, bearer('lg_nope')]) {
        const res = await request(t.app).get('/api/v1/me').set(headers);
        expect(res.status).toBe(401);
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(res.body.code).toBe('unauthorized');
      }
    });
  });
}
