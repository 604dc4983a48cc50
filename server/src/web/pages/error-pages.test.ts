import request from 'supertest';
import { DATABASES } from '../../test-support/databases.js';
import { bearer, SUPPORT_DESK, usePageWorld } from '../../test-support/page-world.js';

/*
 * The app's one error handler (http-common/problem.ts) negotiates: a browser (Accept prefers
 * text/html) asking for an unknown page gets an HTML 404 in the layout with a link home; the API
 * and scripts keep application/problem+json.
 */
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

for (const database of DATABASES) {
  describe(`${database}: error pages for browsers, problem+json for programs`, () => {
    const w = usePageWorld(database, SUPPORT_DESK);

    test('a browser asking for an unknown page gets an HTML 404 in the layout, with a link home', async () => {
      const res = await request(w.app).get('/no/such/page').set('Accept', BROWSER_ACCEPT);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.text).toContain('<h1>Page not found</h1>');
      expect(res.text).toContain('<a class="skip-link" href="#main">Skip to content</a>');
      expect(res.text).toContain('<a href="/">Go to the start page</a>');
      // The message is for a person: no route or method named.
      expect(res.text).not.toContain('No route for');
    });

    test('signed in, the 404 page has the header and a way back to the board', async () => {
      const { agent } = await w.login('rev@example.com');
      const res = await agent.get('/settings/nothing-here/at-all').set('Accept', BROWSER_ACCEPT);
      expect(res.status).toBe(404);
      expect(res.text).toContain('<span class="who">rev@example.com · reviewer</span>');
      expect(res.text).toContain('<a href="/board">Back to the board</a>');
    });

    test.each([
      ['an unknown API path, even from a browser', '/api/v1/nothing', BROWSER_ACCEPT],
      ['a page path asked for as JSON', '/no/such/page', 'application/json'],
      ['a page path with Accept */* (curl, fetch)', '/no/such/page', '*/*'],
      ['a page path with no Accept at all', '/no/such/page', undefined],
    ])('%s keeps problem+json', async (_name, path, accept) => {
      const req = request(w.app).get(path).set(bearer(w.keys.admin));
      const res = await (accept === undefined ? req.unset('Accept') : req.set('Accept', accept));
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(res.text)).toMatchObject({ status: 404, code: 'not_found' });
    });

    test('an API error a browser runs into (a missing key) stays problem+json', async () => {
      const res = await request(w.app).get('/api/v1/tasks').set('Accept', BROWSER_ACCEPT);
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    });
  });
}
