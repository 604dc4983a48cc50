import request from 'supertest';
import { upsertUser } from '../../domain/admin/users.js';
import { DATABASES } from '../../test-support/databases.js';
import {
  INVITING_DESK,
  invitationHelpers,
  PASSWORD,
  SUPPORT_DESK,
  usePageWorld,
} from '../../test-support/page-world.js';
import { csrfOf, type logInAs } from '../../test-support/web-login.js';

for (const database of DATABASES) {
  describe(`${database}: admin users page without a mailer`, () => {
    const w = usePageWorld(database, SUPPORT_DESK);

    describe('admin users page', () => {
      test('an admin changes a role; without mail the page cannot add anyone and sets no password; others may not', async () => {
        const { agent, csrf } = await w.login('admin@example.com');
        // This app has no mailer: adding is inviting, so the page refuses and names the operator's path.
        const add = await agent
          .post('/admin/users')
          .type('form')
          .send({ _csrf: csrf, email: 'New@Example.com', name: 'New', password: PASSWORD, role: 'viewer' });
        expect(add.status).toBe(503);
        expect(add.text).toContain('loopgate user create');
        expect(await w.store.read.users.findByEmail('new@example.com')).toBeNull();
        await upsertUser(
          { store: w.store, clock: w.clock },
          { email: 'new@example.com', password: PASSWORD, role: 'viewer' },
        );
        const page = await agent.get('/admin/users');
        expect(page.text).toContain('new@example.com');
        const fresh = await w.login('new@example.com');
        expect((await fresh.agent.get('/board')).text).toContain('new@example.com · viewer');
        const newId = (await w.store.read.users.findByEmail('new@example.com'))!.id;
        const role = await agent
          .post(`/admin/users/${newId}/role`)
          .type('form')
          .send({ _csrf: csrf, role: 'reviewer' });
        expect(role.status).toBe(303);
        // Roles are read per request: the open session sees the change at once.
        expect((await fresh.agent.get('/board')).text).toContain('new@example.com · reviewer');
        const reviewer = await w.login('rev@example.com');
        expect((await reviewer.agent.get('/admin/users')).status).toBe(403);
      });
    });
  });

  describe(`${database}: admin users page invites`, () => {
    const w = usePageWorld(database, INVITING_DESK);
    const { inviteByForm, accept } = invitationHelpers(w);

    test('admin invites from the users page; the member shows as pending; the file transport hook hears of it', async () => {
      const { agent, csrf } = await w.login('admin@example.com');
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
      const row = /<tr>\s*<td[^>]*>pending@example\.com[\s\S]*?<\/tr>/.exec(after.text)?.[0] ?? '';
      expect(row).toContain('invited (pending)');
      const adminRow = /<tr>\s*<td[^>]*>admin@example\.com[\s\S]*?<\/tr>/.exec(after.text)?.[0] ?? '';
      expect(adminRow).not.toContain('invited (pending)');
      expect(w.mail.map((m) => m.to)).toEqual([['pending@example.com']]);
      expect(w.logged[w.logged.length - 1]).toEqual({
        to: ['pending@example.com'],
        link: expect.stringMatching(/^http:\/\/localhost:3000\/invite\/[\w-]{43}$/),
      });
    });

    test.each(['rev@example.com', 'view@example.com'])('%s cannot invite', async (email) => {
      const { agent, csrf } = await w.login(email);
      const res = await agent
        .post('/admin/users/invite')
        .type('form')
        .send({ _csrf: csrf, email: 'sneaky@example.com', role: 'admin' });
      expect(res.status).toBe(403);
      expect(await w.store.read.users.findByEmail('sneaky@example.com')).toBeNull();
      expect(w.mail).toHaveLength(0);
    });

    test('a refused invitation shows the users page again with the error and the typed values', async () => {
      const { agent, csrf } = await w.login('admin@example.com');
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
      expect(w.mail).toHaveLength(0);
    });

    test('an admin withdraws an open invitation from the users page; the link then says so', async () => {
      const path = await inviteByForm('changed-mind@example.com');
      const { agent, csrf } = await w.login('admin@example.com');
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
      const link = await request(w.app).get(path);
      expect(link.status).toBe(410);
      expect(link.text).toContain('withdrawn');
      const reviewer = await w.login('rev@example.com');
      const refused = await reviewer.agent
        .post('/admin/users/invitations/withdraw')
        .type('form')
        .send({ _csrf: reviewer.csrf, email: 'changed-mind@example.com' });
      expect(refused.status).toBe(403);
    });

    describe('an admin of another workspace cannot take over or even detect an account', () => {
      const MALLORY_PASSWORD = 'mallory chose this one';
      const mailsTo = (email: string) => w.mail.filter((m) => m.to.includes(email));
      const loginTo = async (email: string, password: string, workspace: string) => {
        const agent = request.agent(w.app);
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
          await upsertUser({ store: w.store, clock: w.clock }, { email: known, password: PASSWORD, role: 'viewer' });
          const legacy = `legacy-${tag}@example.com`;
          // An account as invitations before this fix left it: created, no password yet.
          await w.store.transaction((tx) =>
            tx.users.insert({
              id: `usr_legacy_${tag}`,
              email: legacy,
              name: null,
              passwordHash: null,
              createdAt: w.clock(),
            }),
          );
          const fresh = `fresh-${tag}@example.com`;
          w.mail.length = 0;

          const mallory = await w.login('mallory@example.com');
          const seen = [];
          for (const email of [victim, known, legacy, fresh]) seen.push(await malloryAdds(mallory, route, email));
          // Nothing in her answer or on her page tells the four apart.
          for (const view of seen.slice(1)) expect(view).toEqual(seen[0]);
          expect(seen[0]?.status).toBeLessThan(400);

          const other = (await w.store.read.workspaces.findBySlug('other'))!;
          for (const email of [victim, known, legacy, fresh]) {
            const user = await w.store.read.users.findByEmail(email);
            // Not silently a member of her workspace: only accepting her invitation would do that.
            if (user) expect(await w.store.read.users.findMembership(other.id, user.id)).toBeNull();
            // Whatever reached them is an invitation they can ignore, never "you were added".
            for (const message of mailsTo(email)) expect(message.subject).not.toContain('added you');
            expect(await loginTo(email, MALLORY_PASSWORD, 'default')).toBe(401);
            expect(await loginTo(email, MALLORY_PASSWORD, 'other')).toBe(401);
          }
          expect((await w.store.read.users.findByEmail(victim))?.passwordHash ?? null).toBeNull();
          expect((await w.store.read.users.findByEmail(legacy))?.passwordHash).toBeNull();

          // The real invitation still works for the victim, and lands them in the workspace that invited them.
          const page = await request(w.app).get(link);
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
  });
}
