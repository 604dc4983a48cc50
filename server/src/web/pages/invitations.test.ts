import request from 'supertest';
import { upsertUser } from '../../domain/admin/users.js';
import { DATABASES } from '../../test-support/databases.js';
import { INVITING_DESK, invitationHelpers, PASSWORD, usePageWorld } from '../../test-support/page-world.js';
import { csrfOf } from '../../test-support/web-login.js';
import { inertnessProblems, XSS_CORPUS } from '../xss-corpus.js';

const DAY_MS = 24 * 60 * 60 * 1000;

for (const database of DATABASES) {
  describe(`${database}: invitation pages`, () => {
    const w = usePageWorld(database, INVITING_DESK);
    const { inviteByForm, accept, loginStatus, invitationOf } = invitationHelpers(w);

    test('GET shows the form and changes nothing; POST sets the password, logs in and lands on the board', async () => {
      const path = await inviteByForm('newbie@example.com', 'reviewer', 'Nico Newbie');
      for (let i = 0; i < 3; i++) {
        const page = await request(w.app).get(path);
        expect(page.status).toBe(200);
        // No Referer leaves for other sites; same-origin posts keep a real Origin for the cross-site check.
        expect(page.headers['referrer-policy']).toBe('same-origin');
        expect(page.text).toContain('Default workspace');
        expect(page.text).toContain('value="newbie@example.com"');
        expect(page.text).toContain('Welcome, Nico Newbie.');
        expect(page.text).toContain('name="confirm"');
      }
      expect((await invitationOf(path))?.usedAt).toBeNull();
      // Nothing exists until the invitee accepts: no account, no membership.
      expect(await w.store.read.users.findByEmail('newbie@example.com')).toBeNull();
      expect(await loginStatus('newbie@example.com', PASSWORD)).toBe(401);

      const { agent, res } = await accept(path, PASSWORD);
      expect([res.status, res.headers.location]).toEqual([303, '/board']);
      const session = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('lg_session='));
      expect(session).toMatch(/HttpOnly/);
      expect(session).toMatch(/SameSite=Lax/);
      const board = await agent.get('/board');
      expect(board.status).toBe(200);
      expect(board.text).toContain('newbie@example.com · reviewer');
      expect((await invitationOf(path))?.usedAt).not.toBeNull();
      expect(await loginStatus('newbie@example.com', PASSWORD)).toBe(303);
    });

    test('a used link is refused plainly and cannot set the password again', async () => {
      const path = await inviteByForm('once@example.com');
      const first = await accept(path, PASSWORD);
      expect(first.res.status).toBe(303);
      const again = await first.agent
        .post(path)
        .type('form')
        .send({ _csrf: csrfOf(first.form.text), password: 'another long password', confirm: 'another long password' });
      expect(again.status).toBe(410);
      expect(again.text).toContain('This link no longer works');
      expect(again.text).toContain('already been accepted');
      const reopened = await request(w.app).get(path);
      expect(reopened.status).toBe(410);
      expect(reopened.text).not.toContain('name="password"');
      expect(await loginStatus('once@example.com', 'another long password')).toBe(401);
    });

    test.each([
      ['mismatched passwords', PASSWORD, 'correct horse batterY', 400, 'The two passwords are not the same.'],
      ['a too-short password', 'short pass', 'short pass', 400, 'Passwords need at least 12 characters'],
    ])(
      '%s: the form again with the error, and the link still works',
      async (_name, password, confirm, status, words) => {
        const path = await inviteByForm(`retry-${status}-${password.length}-${confirm.length}@example.com`);
        const { res } = await accept(path, password, confirm);
        expect(res.status).toBe(status);
        expect(res.text).toContain(words);
        expect(res.text).toContain('name="password"');
        expect(String(res.headers['set-cookie'] ?? '')).not.toContain('lg_session=');
        expect((await invitationOf(path))?.usedAt).toBeNull();
        expect((await accept(path, PASSWORD)).res.status).toBe(303);
      },
    );

    test('a POST without the double-submit CSRF cookie changes nothing', async () => {
      const path = await inviteByForm('csrf@example.com');
      const form = await request(w.app).get(path);
      const res = await request(w.app)
        .post(path)
        .type('form')
        .send({ _csrf: csrfOf(form.text), password: PASSWORD, confirm: PASSWORD });
      expect(res.status).toBe(403);
      expect(res.text).toContain('The form expired');
      expect((await invitationOf(path))?.usedAt).toBeNull();
      expect(await loginStatus('csrf@example.com', PASSWORD)).toBe(401);
    });

    test('an invitation POST from another site is refused and changes nothing', async () => {
      const path = await inviteByForm('cross-site@example.com');
      const agent = request.agent(w.app);
      const form = await agent.get(path);
      const res = await agent
        .post(path)
        .set('Origin', 'https://evil.example.com')
        .type('form')
        .send({ _csrf: csrfOf(form.text), password: PASSWORD, confirm: PASSWORD });
      expect(res.status).toBe(403);
      expect(res.text).toContain('sent from another site');
      expect(String(res.headers['set-cookie'] ?? '')).not.toContain('lg_session=');
      expect((await invitationOf(path))?.usedAt).toBeNull();
      expect(await w.store.read.users.findByEmail('cross-site@example.com')).toBeNull();
      expect((await accept(path, PASSWORD)).res.status).toBe(303);
    });

    test('an expired link says so and changes nothing', async () => {
      const path = await inviteByForm('expired@example.com');
      const agent = request.agent(w.app);
      const form = await agent.get(path);
      w.clockOffset = 7 * DAY_MS + 1;
      const page = await agent.get(path);
      expect(page.status).toBe(410);
      expect(page.text).toContain('expired');
      const res = await agent
        .post(path)
        .type('form')
        .send({ _csrf: csrfOf(form.text), password: PASSWORD, confirm: PASSWORD });
      expect(res.status).toBe(410);
      w.clockOffset = 0;
      expect(await loginStatus('expired@example.com', PASSWORD)).toBe(401);
    });

    test('inviting again sends a new link and the old one stops working', async () => {
      const old = await inviteByForm('again@example.com', 'viewer');
      const oldBrowser = request.agent(w.app);
      const oldForm = await oldBrowser.get(old);
      const fresh = await inviteByForm('again@example.com', 'reviewer');
      expect(fresh).not.toBe(old);
      const refused = await request(w.app).get(old);
      expect(refused.status).toBe(410);
      expect(refused.text).toContain('newer invitation');
      const late = await oldBrowser
        .post(old)
        .type('form')
        .send({ _csrf: csrfOf(oldForm.text), password: PASSWORD, confirm: PASSWORD });
      expect(late.status).toBe(410);
      expect(await loginStatus('again@example.com', PASSWORD)).toBe(401);
      const { agent, res } = await accept(fresh, PASSWORD);
      expect(res.status).toBe(303);
      expect((await agent.get('/board')).text).toContain('again@example.com · reviewer');
    });

    test('two browsers accepting at once: one logs in, the other is told the link no longer works', async () => {
      const path = await inviteByForm('race@example.com');
      const browsers = await Promise.all(
        [0, 1].map(async () => {
          const agent = request.agent(w.app);
          return { agent, csrf: csrfOf((await agent.get(path)).text) };
        }),
      );
      const passwords = ['first racer password', 'second racer password'];
      const results = await Promise.all(
        browsers.map(({ agent, csrf }, i) =>
          agent.post(path).type('form').send({ _csrf: csrf, password: passwords[i], confirm: passwords[i] }),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([303, 410]);
      const winner = results[0]?.status === 303 ? 0 : 1;
      expect(await loginStatus('race@example.com', passwords[winner] ?? '')).toBe(303);
      expect(await loginStatus('race@example.com', passwords[1 - winner] ?? '')).toBe(401);
    });

    test('someone with an account enters its password on the page to join; a wrong one changes nothing', async () => {
      await upsertUser(
        { store: w.store, clock: w.clock },
        { email: 'member-elsewhere@example.com', password: PASSWORD, role: 'viewer', workspaceSlug: 'other' },
      );
      const path = await inviteByForm('member-elsewhere@example.com', 'reviewer');
      const agent = request.agent(w.app);
      const form = await agent.get(path);
      expect(form.status).toBe(200);
      expect(form.text).toContain('id="existing-account"');
      expect(form.text).toContain('autocomplete="current-password"');
      expect(form.text).not.toContain('name="confirm"');
      expect(form.text).not.toContain('new-password');
      const wrong = await agent
        .post(path)
        .type('form')
        .send({ _csrf: csrfOf(form.text), password: 'not my password at all' });
      expect(wrong.status).toBe(401);
      expect(wrong.text).toContain('That is not the password of your Loopgate account');
      expect(wrong.text).toContain('id="existing-account"');
      expect(String(wrong.headers['set-cookie'] ?? '')).not.toContain('lg_session=');
      expect((await invitationOf(path))?.usedAt).toBeNull();
      expect(await loginStatus('member-elsewhere@example.com', 'not my password at all')).toBe(401);
      const joined = await agent
        .post(path)
        .type('form')
        .send({ _csrf: csrfOf(wrong.text), password: PASSWORD });
      expect([joined.status, joined.headers.location]).toEqual([303, '/board']);
      expect((await agent.get('/board')).text).toContain('member-elsewhere@example.com · reviewer');
    });

    test('unknown and malformed links say so plainly', async () => {
      for (const token of ['x'.repeat(43), '<script>']) {
        const res = await request(w.app).get(`/invite/${encodeURIComponent(token)}`);
        expect(res.status).toBe(410);
        expect(res.text).toContain('not valid');
        expect(res.text).not.toContain('<script>');
      }
    });

    describe('hostile names stay inert', () => {
      test.each(XSS_CORPUS)('%s', async (_name, evil) => {
        const email = `xss-${XSS_CORPUS.findIndex(([, value]) => value === evil)}@example.com`;
        const path = await inviteByForm(email, 'viewer', evil);
        const { agent } = await w.login('admin@example.com');
        const pages = [(await agent.get('/admin/users')).text, (await request(w.app).get(path)).text];
        expect(pages[0]).toContain(`<td data-label="E-mail">${email}`);
        expect(pages[1]).toContain('Welcome, ');
        for (const page of pages) expect(inertnessProblems(page, evil)).toEqual([]);
        expect(w.mail[w.mail.length - 1]?.subject).not.toMatch(/[\r\n]/);
      });
    });
  });
}
