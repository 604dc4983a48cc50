import request from 'supertest';
import { bearer, useTestApp } from '../test-support/api-requests.js';
import { DATABASES } from '../test-support/databases.js';

for (const database of DATABASES) {
  describe(`${database}: GET /api/v1/me`, () => {
    const d = useTestApp(database);

    test.each([
      ['admin', 'default'],
      ['reviewer', 'default'],
      ['viewer', 'default'],
      ['otherWorkspaceAdmin', 'other'],
    ] as const)('a %s key learns its workspace (%s), role and identity', async (which, slug) => {
      const res = await request(d.app).get('/api/v1/me').set(bearer(d.keys[which]));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        workspace: { id: expect.stringMatching(/^wsp_/), slug, name: expect.any(String) },
        role: which === 'otherWorkspaceAdmin' ? 'admin' : which,
        actor: { type: 'api_key', id: expect.any(String), name: which === 'otherWorkspaceAdmin' ? 'other' : which },
      });
    });

    test('the OpenAPI document describes it with the Caller schema', async () => {
      const doc = (await request(d.app).get('/api/openapi.json')).body;
      expect(JSON.stringify(doc.paths['/api/v1/me'].get.responses['200'])).toContain('Caller');
    });

    test('no key or a bad key answers 401 problem+json with code unauthorized', async () => {
      for (const headers of [{}, bearer('lg_nope')]) {
        const res = await request(d.app).get('/api/v1/me').set(headers);
        expect(res.status).toBe(401);
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(res.body.code).toBe('unauthorized');
      }
    });
  });
}
