import request from 'supertest';
import { upsertUser } from '../../domain/admin/users.js';
import type { EmailMessage } from '../../domain/kernel/notifier.js';
import { hashToken } from '../../domain/kernel/secrets.js';
import { DATABASES, openTestStore } from '../../test-support/databases.js';
import { buildTestApp, type TestApp } from '../../test-support/fixtures.js';
import { csrfOf, logInAs } from '../../test-support/web-login.js';
import { inertnessProblems, XSS_CORPUS } from '../xss-corpus.js';

const PASSWORD = 'correct horse battery';
const DAY_MS = 24 * 60 * 60 * 1000;

for (const database of DATABASES) {
  describe(`${database}: invitation pages`, () => {
    let t: TestApp;
    let close: () => Promise<void>;
    let store: Awaited<ReturnType<typeof openTestStore>>['store'];
    let clockOffset = 0;
    const clock = () => Date.now() + clockOffset;
    const mail: EmailMessage[] = [];
    const logged: { to: string[]; link: string }[] = [];

    beforeAll(async () => {
      const opened = await openTestStore(database);
      store = opened.store;
      close = opened.close;
      t = await buildTestApp(store, clock, {
        notifier: { send: async (message) => void mail.push(message) },
        onInvitationSent: (message, link) => void logged.push({ to: message.to, link }),
      });
      for (const [email, role] of [
        ['admin@example.com', 'admin'],
        ['rev@example.com', 'reviewer'],
        ['view@example.com', 'viewer'],
      ] as const) {
        await upsertUser({ store, clock }, { email, password: PASSWORD, role });
      }
      // The admin of a second workspace, the one who must not reach into the first.
      await upsertUser(
        { store, clock },
        { email: 'mallory@example.com', password: PASSWORD, role: 'admin', workspaceSlug: 'other' },
      );
    });
    afterAll(async () => close());
    beforeEach(() => {
      mail.length = 0;
      clockOffset = 0;
    });

    /** Invites through the admin page; returns the link's path from the mail. */
    async function inviteByForm(email: string, role = 'reviewer', name = ''): Promise<string> {
      const { agent, csrf } = await logInAs(t.app, 'admin@example.com', PASSWORD);
      const res = await agent.post('/admin/users/invite').type('form').send({ _csrf: csrf, email, name, role });
      expect(res.status).toBe(303);
      const link = /^ {2}(\S+\/invite\/\S+)$/m.exec(mail[mail.length - 1]?.text ?? '')?.[1] ?? '';
      expect(link).toMatch(/^http:\/\/localhost:3000\/invite\/[\w-]{43}$/);
      return new URL(link).pathname;
    }

    /** Opens the link in a fresh browser and submits its form. */
    async function accept(path: string, password: string, confirm = password) {
      const agent = request.agent(t.app);
      const form = await agent.get(path);
      const res = await agent
        .post(path)
        .type('form')
        .send({ _csrf: csrfOf(form.text), password, confirm });
      return { agent, form, res };
    }

    const loginStatus = async (email: string, password: string) => {
      const agent = request.agent(t.app);
      const form = await agent.get('/login');
      return (
        await agent
          .post('/login')
          .type('form')
          .send({ _csrf: csrfOf(form.text), email, password })
      ).status;
    };

    const invitationOf = async (path: string) =>
      store.read.invitations.findByHash(hashToken(path.replace('/invite/', '')));

    test('admin invites from the users page; the member shows as pending; the file transport hook hears of it', async () => {
      const { agent, csrf } = await logInAs(t.app, 'admin@example.com', PASSWORD);
      const page = await agent.get('/admin/users');
      expect(page.text).toContain('action="/admin/users/invite"');
      // The page never asks an admin for someone else's password.
      expect(page.text).not.toContain('name="password"');
      const res = await agent
        .post('/admin/users/invite')
        .type('form')
        .send({ _csrf: csrf, email: 'Pending@Example.com', name: 'Pat Pending', role: 'viewer' });
      expect([res.status, res.headers.location]).toEqual([
        303,
        `/admin/users?notice=${encodeURIComponent('Invitation sent to pending@example.com')}`,
      ]);
      const after = await agent.get(res.headers.location as string);
      expect(after.text).toContain('Invitation sent to pending@example.com');
      const row = /<tr>\s*<td>pending@example\.com[\s\S]*?<\/tr>/.exec(after.text)?.[0] ?? '';
      expect(row).toContain('invited (pending)');
      const adminRow = /<tr>\s*<td>admin@example\.com[\s\S]*?<\/tr>/.exec(after.text)?.[0] ?? '';
      expect(adminRow).not.toContain('invited (pending)');
      expect(mail.map((m) => m.to)).toEqual([['pending@example.com']]);
      expect(logged[logged.length - 1]).toEqual({
        to: ['pending@example.com'],
        link: expect.stringMatching(/^http:\/\/localhost:3000\/invite\/[\w-]{43}$/),
      });
    });

    test('GET shows the form and changes nothing; POST sets the password, logs in and lands on the board', async () => {
      const path = await inviteByForm('newbie@example.com', 'reviewer', 'Nico Newbie');
      for (let i = 0; i < 3; i++) {
        const page = await request(t.app).get(path);
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
      expect(await store.read.users.findByEmail('newbie@example.com')).toBeNull();
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
      const reopened = await request(t.app).get(path);
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
      const form = await request(t.app).get(path);
      const res = await request(t.app)
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
      const agent = request.agent(t.app);
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
      expect(await store.read.users.findByEmail('cross-site@example.com')).toBeNull();
      expect((await accept(path, PASSWORD)).res.status).toBe(303);
    });

    test('an expired link says so and changes nothing', async () => {
      const path = await inviteByForm('expired@example.com');
      const agent = request.agent(t.app);
      const form = await agent.get(path);
      clockOffset = 7 * DAY_MS + 1;
      const page = await agent.get(path);
      expect(page.status).toBe(410);
      expect(page.text).toContain('expired');
      const res = await agent
        .post(path)
        .type('form')
        .send({ _csrf: csrfOf(form.text), password: PASSWORD, confirm: PASSWORD });
      expect(res.status).toBe(410);
      clockOffset = 0;
      expect(await loginStatus('expired@example.com', PASSWORD)).toBe(401);
    });

    test('inviting again sends a new link and the old one stops working', async () => {
      const old = await inviteByForm('again@example.com', 'viewer');
      const oldBrowser = request.agent(t.app);
      const oldForm = await oldBrowser.get(old);
      const fresh = await inviteByForm('again@example.com', 'reviewer');
      expect(fresh).not.toBe(old);
      const refused = await request(t.app).get(old);
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

    test.each(['rev@example.com', 'view@example.com'])('%s cannot invite', async (email) => {
      const { agent, csrf } = await logInAs(t.app, email, PASSWORD);
      const res = await agent
        .post('/admin/users/invite')
        .type('form')
        .send({ _csrf: csrf, email: 'sneaky@example.com', role: 'admin' });
      expect(res.status).toBe(403);
      expect(await store.read.users.findByEmail('sneaky@example.com')).toBeNull();
      expect(mail).toHaveLength(0);
    });

    test('a refused invitation shows the users page again with the error and the typed values', async () => {
      const { agent, csrf } = await logInAs(t.app, 'admin@example.com', PASSWORD);
      const evil = '"><script>window.__xss=1</script>@example.com';
      const res = await agent
        .post('/admin/users/invite')
        .type('form')
        .send({ _csrf: csrf, email: evil, role: 'viewer' });
      expect(res.status).toBe(400);
      expect(res.text).toContain('Enter a valid e-mail address');
      expect(res.text).toContain('value="&quot;&gt;&lt;script&gt;window.__xss=1&lt;/script&gt;@example.com"');
      expect(res.text).not.toContain('<script>window.__xss');
      const member = await agent
        .post('/admin/users/invite')
        .type('form')
        .send({ _csrf: csrf, email: 'rev@example.com', role: 'admin' });
      expect(member.status).toBe(409);
      expect(member.text).toContain('rev@example.com is already a member of this workspace (reviewer)');
      expect(mail).toHaveLength(0);
    });

    test('two browsers accepting at once: one logs in, the other is told the link no longer works', async () => {
      const path = await inviteByForm('race@example.com');
      const browsers = await Promise.all(
        [0, 1].map(async () => {
          const agent = request.agent(t.app);
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
        { store, clock },
        { email: 'member-elsewhere@example.com', password: PASSWORD, role: 'viewer', workspaceSlug: 'other' },
      );
      const path = await inviteByForm('member-elsewhere@example.com', 'reviewer');
      const agent = request.agent(t.app);
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

    test('an admin withdraws an open invitation from the users page; the link then says so', async () => {
      const path = await inviteByForm('changed-mind@example.com');
      const { agent, csrf } = await logInAs(t.app, 'admin@example.com', PASSWORD);
      expect((await agent.get('/admin/users')).text).toContain('value="changed-mind@example.com"');
      const res = await agent
        .post('/admin/users/invitations/withdraw')
        .type('form')
        .send({ _csrf: csrf, email: 'changed-mind@example.com' });
      expect([res.status, res.headers.location]).toEqual([
        303,
        `/admin/users?notice=${encodeURIComponent('Invitation to changed-mind@example.com withdrawn')}`,
      ]);
      expect((await agent.get('/admin/users')).text).not.toContain('changed-mind@example.com');
      const link = await request(t.app).get(path);
      expect(link.status).toBe(410);
      expect(link.text).toContain('withdrawn');
      const reviewer = await logInAs(t.app, 'rev@example.com', PASSWORD);
      const refused = await reviewer.agent
        .post('/admin/users/invitations/withdraw')
        .type('form')
        .send({ _csrf: reviewer.csrf, email: 'changed-mind@example.com' });
      expect(refused.status).toBe(403);
    });

    test('unknown and malformed links say so plainly', async () => {
      for (const token of ['x'.repeat(43), '<script>']) {
        const res = await request(t.app).get(`/invite/${encodeURIComponent(token)}`);
        expect(res.status).toBe(410);
        expect(res.text).toContain('not valid');
        expect(res.text).not.toContain('<script>');
      }
    });

    describe('an admin of another workspace cannot take over or even detect an account', () => {
      const MALLORY_PASSWORD = 'mallory chose this one';
      const mailsTo = (email: string) => mail.filter((m) => m.to.includes(email));
      const loginTo = async (email: string, password: string, workspace: string) => {
        const agent = request.agent(t.app);
        const form = await agent.get('/login');
        return (
          await agent
            .post('/login')
            .type('form')
            .send({ _csrf: csrfOf(form.text), email, password, workspace })
        ).status;
      };

      /** What Mallory (admin of "other") sees when she adds `email` through `route`, with the address, times and tokens masked. */
      async function malloryAdds(mallory: Awaited<ReturnType<typeof logInAs>>, route: string, email: string) {
        const res = await mallory.agent
          .post(route)
          .type('form')
          .send({ _csrf: mallory.csrf, email, name: 'Mal Chosen', password: MALLORY_PASSWORD, role: 'admin' });
        const page = (await mallory.agent.get('/admin/users')).text;
        const mask = (text: string) =>
          text
            .split(email)
            .join('<address>')
            .split(encodeURIComponent(email))
            .join('<address>')
            .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/g, '<time>');
        const rows = [...page.matchAll(/<tr>[\s\S]*?<\/tr>/g)].map((m) => m[0]).filter((row) => row.includes(email));
        return {
          status: res.status,
          location: mask(String(res.headers.location ?? '')),
          body: mask(res.text),
          rows: rows.map(mask),
        };
      }

      test.each(['/admin/users', '/admin/users/invite'])(
        'via %s: the invited account keeps no password, its own link still works, Mallory sees the same as for a new address',
        async (route) => {
          const tag = route.endsWith('invite') ? 'inv' : 'add';
          const victim = `victim-${tag}@example.com`;
          const link = await inviteByForm(victim, 'reviewer');
          const known = `known-${tag}@example.com`;
          await upsertUser({ store, clock }, { email: known, password: PASSWORD, role: 'viewer' });
          const legacy = `legacy-${tag}@example.com`;
          // An account as invitations before this fix left it: created, no password yet.
          await store.transaction((tx) =>
            tx.users.insert({
              id: `usr_legacy_${tag}`,
              email: legacy,
              name: null,
              passwordHash: null,
              createdAt: clock(),
            }),
          );
          const fresh = `fresh-${tag}@example.com`;
          mail.length = 0;

          const mallory = await logInAs(t.app, 'mallory@example.com', PASSWORD);
          const seen = [];
          for (const email of [victim, known, legacy, fresh]) seen.push(await malloryAdds(mallory, route, email));
          // Nothing in her answer or on her page tells the four apart.
          for (const view of seen.slice(1)) expect(view).toEqual(seen[0]);
          expect(seen[0]?.status).toBeLessThan(400);

          const other = (await store.read.workspaces.findBySlug('other'))!;
          for (const email of [victim, known, legacy, fresh]) {
            const user = await store.read.users.findByEmail(email);
            // Not silently a member of her workspace: only accepting her invitation would do that.
            if (user) expect(await store.read.users.findMembership(other.id, user.id)).toBeNull();
            // Whatever reached them is an invitation they can ignore, never "you were added".
            for (const message of mailsTo(email)) expect(message.subject).not.toContain('added you');
            expect(await loginTo(email, MALLORY_PASSWORD, 'default')).toBe(401);
            expect(await loginTo(email, MALLORY_PASSWORD, 'other')).toBe(401);
          }
          expect((await store.read.users.findByEmail(victim))?.passwordHash ?? null).toBeNull();
          expect((await store.read.users.findByEmail(legacy))?.passwordHash).toBeNull();

          // The real invitation still works for the victim, and lands them in the workspace that invited them.
          const page = await request(t.app).get(link);
          expect(page.status).toBe(200);
          expect(page.text).not.toContain('already has a password');
          const { agent, res } = await accept(link, PASSWORD);
          expect([res.status, res.headers.location]).toEqual([303, '/board']);
          expect((await agent.get('/board')).text).toContain(`${victim} · reviewer`);
          expect(await loginTo(victim, PASSWORD, 'default')).toBe(303);
          expect(await loginTo(victim, PASSWORD, 'other')).toBe(401);
        },
      );
    });

    describe('hostile names stay inert', () => {
      test.each(XSS_CORPUS)('%s', async (_name, evil) => {
        const email = `xss-${XSS_CORPUS.findIndex(([, value]) => value === evil)}@example.com`;
        const path = await inviteByForm(email, 'viewer', evil);
        const { agent } = await logInAs(t.app, 'admin@example.com', PASSWORD);
        const pages = [(await agent.get('/admin/users')).text, (await request(t.app).get(path)).text];
        expect(pages[0]).toContain(`<td>${email}`);
        expect(pages[1]).toContain('Welcome, ');
        for (const page of pages) expect(inertnessProblems(page, evil)).toEqual([]);
        expect(mail[mail.length - 1]?.subject).not.toMatch(/[\r\n]/);
      });
    });
  });
}
