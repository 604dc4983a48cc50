import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../app.js';
import { ApiKeyAuthenticator } from '../../domain/admin/authenticate.js';
import { InProcessTaskEventBus } from '../../events/in-process-bus.js';
import { DATABASES } from '../../test-support/databases.js';
import { PASSWORD, SUPPORT_DESK, usePageWorld } from '../../test-support/page-world.js';
import { csrfOf } from '../../test-support/web-login.js';

for (const database of DATABASES) {
  describe(`${database}: login pages`, () => {
    const w = usePageWorld(database, SUPPORT_DESK);

    describe('login', () => {
      test.each([
        ['wrong password', 'rev@example.com', 'not the password', 401],
        ['unknown account', 'ghost@example.com', PASSWORD, 401],
      ])('%s is refused with the same message', async (_name, email, password, status) => {
        const agent = request.agent(w.app);
        const form = await agent.get('/login');
        const res = await agent
          .post('/login')
          .type('form')
          .send({ _csrf: csrfOf(form.text), email, password });
        expect(res.status).toBe(status);
        expect(res.text).toContain('The e-mail address or password is not right');
        expect(String(res.headers['set-cookie'] ?? '')).not.toContain('lg_session=');
      });

      test('a login form without its CSRF cookie is refused', async () => {
        const res = await request(w.app)
          .post('/login')
          .type('form')
          .send({ _csrf: 'x'.repeat(43), email: 'rev@example.com', password: PASSWORD });
        expect(res.status).toBe(403);
      });

      test('the session cookie is HttpOnly and SameSite, and pages carry a strict CSP', async () => {
        const agent = request.agent(w.app);
        const form = await agent.get('/login');
        const res = await agent
          .post('/login')
          .type('form')
          .send({ _csrf: csrfOf(form.text), email: 'rev@example.com', password: PASSWORD });
        expect(res.status).toBe(303);
        const cookies = res.headers['set-cookie'] as unknown as string[];
        const cookie = cookies.find((c) => c.startsWith('lg_session='));
        expect(cookie).toMatch(/HttpOnly/);
        expect(cookie).toMatch(/SameSite=Lax/);
        const board = await agent.get('/board');
        expect(board.status).toBe(200);
        const csp = board.headers['content-security-policy'];
        expect(csp).toContain("script-src 'self'");
        expect(csp).not.toContain('unsafe-inline');
        expect(csp).toContain("img-src 'self'");
      });

      test('behind an https public URL the session cookie is Secure', async () => {
        const bus = new InProcessTaskEventBus();
        const https = createApp({
          store: w.store,
          clock: w.clock,
          bus,
          logger: pino({ level: 'silent' }),
          authenticator: new ApiKeyAuthenticator({ store: w.store, clock: w.clock, bus }),
          publicUrl: 'https://lg.example.com',
          bodyLimit: '64kb',
        });
        // Secure cookies are not sent back over plain http, so this test hands the login cookie back itself.
        const form = await request(https).get('/login');
        const loginCookie = (form.headers['set-cookie'] as unknown as string[])[0] ?? '';
        expect(loginCookie).toMatch(
          /^__Host-lg_login_csrf=[\w-]+; Max-Age=\d+; Path=\/; Expires=[^;]+; HttpOnly; Secure; SameSite=Lax$/,
        );
        const res = await request(https)
          .post('/login')
          .set('Cookie', loginCookie.split(';')[0] ?? '')
          .type('form')
          .send({ _csrf: csrfOf(form.text), email: 'rev@example.com', password: PASSWORD });
        expect(res.status).toBe(303);
        const cookies = res.headers['set-cookie'] as unknown as string[];
        // __Host-: Secure, Path=/ and no Domain, so no sibling host can set or shadow it.
        expect(cookies.find((c) => c.startsWith('__Host-lg_session='))).toMatch(/; Path=\/;.*; Secure/);
        expect(cookies.join('\n')).not.toMatch(/Domain=/i);
      });

      describe('login CSRF by cookie tossing', () => {
        // A sibling origin (evil.example.com next to lg.example.com) can set a cookie for the parent
        // domain, and fetch a valid cookie/token pair from /login itself; then it auto-posts a form.
        const tossed = 'x'.repeat(43);
        const attackerLogin = { _csrf: tossed, email: 'rev@example.com', password: PASSWORD };
        const noSession = (res: request.Response) =>
          expect(String(res.headers['set-cookie'] ?? '')).not.toMatch(/lg_session=[\w-]/);

        test.each([
          ['a cross-site Origin', { Origin: 'https://evil.example.com' }],
          ['a sibling Origin', { Origin: 'http://evil.localhost:3000' }],
          ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
          ['Sec-Fetch-Site: same-site (a sibling subdomain)', { 'Sec-Fetch-Site': 'same-site' }],
          ['Origin: null', { Origin: 'null' }],
        ])('a tossed cookie with %s: 403 and no session', async (_name, headers) => {
          const res = await request(w.app)
            .post('/login')
            .set('Cookie', `lg_login_csrf=${tossed}`)
            .set(headers)
            .type('form')
            .send(attackerLogin);
          expect(res.status).toBe(403);
          expect(res.text).toContain('sent from another site');
          noSession(res);
        });

        test.each([
          ['the public origin', { Origin: 'http://localhost:3000', 'Sec-Fetch-Site': 'same-origin' }],
          ['the origin the request came to', { Origin: 'http://lg.internal:8080', Host: 'lg.internal:8080' }],
          ['neither header (not a browser)', {}],
        ])('same origin works: %s', async (_name, headers) => {
          const agent = request.agent(w.app);
          const form = await agent.get('/login');
          const res = await agent
            .post('/login')
            .set(headers)
            .type('form')
            .send({ _csrf: csrfOf(form.text), email: 'rev@example.com', password: PASSWORD });
          expect(res.status).toBe(303);
          expect(String(res.headers['set-cookie'] ?? '')).toMatch(/lg_session=[\w-]/);
        });

        test('behind https a tossed lg_login_csrf is not even read: only the __Host- cookie counts', async () => {
          const httpsBus = new InProcessTaskEventBus();
          const https = createApp({
            store: w.store,
            clock: w.clock,
            bus: httpsBus,
            logger: pino({ level: 'silent' }),
            authenticator: new ApiKeyAuthenticator({ store: w.store, clock: w.clock, bus: httpsBus }),
            publicUrl: 'https://lg.example.com',
            bodyLimit: '64kb',
          });
          const res = await request(https)
            .post('/login')
            .set('Cookie', `lg_login_csrf=${tossed}`)
            .type('form')
            .send(attackerLogin);
          expect(res.status).toBe(403);
          expect(res.text).toContain('The form expired');
          noSession(res);
        });
      });

      test('pages without a session redirect to the login form', async () => {
        const res = await request(w.app).get('/board').set('Accept', 'text/html');
        expect(res.status).toBe(303);
        expect(res.headers.location).toBe('/login?next=%2Fboard');
      });

      test('the login page says how a forgotten password is reset: the operator CLI, not a re-invitation', async () => {
        const res = await request(w.app).get('/login');
        expect(res.status).toBe(200);
        expect(res.text).toContain('Forgot your password?');
        expect(res.text).toContain('npx loopgate user set-password --email you@example.com --password-stdin');
        expect(res.text).toContain('does not change an existing password');
      });

      test('failed logins are rate-limited per account and address', async () => {
        const agent = request.agent(w.app);
        const statuses: number[] = [];
        for (let i = 0; i < 7; i++) {
          const form = await agent.get('/login');
          const res = await agent
            .post('/login')
            .type('form')
            .send({ _csrf: csrfOf(form.text), email: 'limited@example.com', password: `wrong-${i}` });
          statuses.push(res.status);
        }
        expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
      });

      test('logout ends the session in the database', async () => {
        const { agent, csrf } = await w.login('rev2@example.com');
        expect((await agent.post('/logout').type('form').send({ _csrf: csrf })).status).toBe(303);
        expect((await agent.get('/board').set('Accept', 'text/html')).status).toBe(303);
      });
    });
  });
}
