import request from 'supertest';
import { sendReviewMails } from '../../domain/reviewers/review-mail.js';
import { DATABASES } from '../../test-support/databases.js';
import {
  invitationHelpers,
  PASSWORD,
  type PageWorldSetup,
  taskHelpers,
  usePageWorld,
} from '../../test-support/page-world.js';
import { inertnessProblems, XSS_CORPUS } from '../xss-corpus.js';

/** A desk where members are managed: two admins at first, reviewers in the "ops" group, and a mailer. */
const DESK: PageWorldSetup = {
  users: [
    ['admin@example.com', 'admin'],
    ['boss@example.com', 'admin'],
    ['rev@example.com', 'reviewer'],
    ['rev2@example.com', 'reviewer'],
    ['leaver@example.com', 'reviewer'],
    ['view@example.com', 'viewer'],
    ['shared@example.com', 'viewer'],
    ['shared@example.com', 'viewer', 'other'],
  ],
  groups: [['ops', ['rev@example.com', 'rev2@example.com', 'leaver@example.com']]],
  queues: [['support', { reviewerGroups: ['ops'] }]],
  mailer: true,
};

for (const database of DATABASES) {
  describe(`${database}: managing members on the users page`, () => {
    const w = usePageWorld(database, DESK);
    const { createTask } = taskHelpers(w);
    const { inviteByForm, loginStatus } = invitationHelpers(w);
    const workspaceId = async () => (await w.store.read.workspaces.findBySlug('default'))!.id;
    const audit = async () => (await w.store.read.audit.list(await workspaceId(), 0, 1000)).map((e) => e.action);
    const rowOf = (html: string, email: string) =>
      new RegExp(`<tr data-user-id="[^"]*">\\s*<td[^>]*>${email.replace('.', '\\.')}[\\s\\S]*?</tr>`).exec(html)?.[0] ??
      '';
    const post = (agent: request.Agent, path: string, body: object) => agent.post(path).type('form').send(body);

    test("a deactivated member's session ends, their review links answer 410, they cannot log in; reactivated they can", async () => {
      const task = await createTask({ title: 'For the leaver' });
      const mails: { to: string[]; text: string }[] = [];
      await sendReviewMails(
        {
          store: w.store,
          clock: w.clock,
          notifier: { send: async (m) => void mails.push(m) },
          publicUrl: 'https://lg.example.com/',
        },
        await workspaceId(),
        task.id,
      );
      const text = mails.find((m) => m.to[0] === 'leaver@example.com')?.text ?? '';
      const approve = new URL(/Approve:\s+(\S+)/.exec(text)?.[1] ?? 'http://x/').pathname;
      expect(approve).toMatch(/^\/review\//);
      expect((await request(w.app).get(approve)).status).toBe(200);

      const leaver = await w.login('leaver@example.com');
      expect((await leaver.agent.get('/board')).status).toBe(200);
      const { agent, csrf } = await w.login('admin@example.com');
      const userId = w.users['leaver@example.com']!;
      const res = await post(agent, `/admin/users/${userId}/deactivate`, { _csrf: csrf });
      expect(res.status).toBe(303);
      const page = await agent.get(res.headers.location as string);
      expect(page.text).toContain('leaver@example.com deactivated');
      expect(rowOf(page.text, 'leaver@example.com')).toContain('deactivated');
      expect(rowOf(page.text, 'leaver@example.com')).toContain('>Reactivate</button>');

      // The open session is gone at once; the link says it no longer applies; logging in is refused.
      const after = await leaver.agent.get('/board');
      expect([after.status, after.headers.location]).toEqual([303, '/login?next=%2Fboard']);
      expect((await request(w.app).get(approve)).status).toBe(410);
      expect(await loginStatus('leaver@example.com', PASSWORD)).toBe(401);
      // Their account and name stay, for the history that names them.
      expect(await w.store.read.users.findById(userId)).not.toBeNull();

      const back = await post(agent, `/admin/users/${userId}/reactivate`, { _csrf: csrf });
      expect(back.status).toBe(303);
      expect(await loginStatus('leaver@example.com', PASSWORD)).toBe(303);
      expect(await audit()).toEqual(expect.arrayContaining(['member.deactivated', 'member.reactivated']));
    });

    test('the last active admin cannot be demoted, deactivated or removed: disabled with the reason, and refused', async () => {
      const { agent, csrf } = await w.login('admin@example.com');
      const boss = w.users['boss@example.com']!;
      const me = w.users['admin@example.com']!;
      let page = (await agent.get('/admin/users')).text;
      expect(rowOf(page, 'boss@example.com')).not.toContain('disabled');
      // Another admin may demote boss; then admin is the last one.
      expect((await post(agent, `/admin/users/${boss}/role`, { _csrf: csrf, role: 'reviewer' })).status).toBe(303);
      page = (await agent.get('/admin/users')).text;
      const mine = rowOf(page, 'admin@example.com');
      expect(mine).toContain('The only active admin: make someone else admin first');
      expect(mine).toMatch(/<button type="submit" class="danger" disabled/);
      // Nor may the last admin remove themselves.
      const refused = await post(agent, `/admin/users/${me}/remove`, { _csrf: csrf });
      expect(refused.status).toBe(403);
      expect(await w.store.read.users.findMembership(await workspaceId(), me)).not.toBeNull();
      expect((await post(agent, `/admin/users/${boss}/role`, { _csrf: csrf, role: 'admin' })).status).toBe(303);
      expect(await audit()).toEqual(expect.arrayContaining(['member.role_changed']));
    });

    test('remove a member: their session ends and they are gone from the list; reviewers cannot remove anyone', async () => {
      const view = await w.login('view@example.com');
      const reviewer = await w.login('rev@example.com');
      const viewId = w.users['view@example.com']!;
      const sneaky = await post(reviewer.agent, `/admin/users/${viewId}/remove`, { _csrf: reviewer.csrf });
      expect(sneaky.status).toBe(403);
      const { agent, csrf } = await w.login('admin@example.com');
      const res = await post(agent, `/admin/users/${viewId}/remove`, { _csrf: csrf });
      expect(res.status).toBe(303);
      expect((await agent.get('/admin/users')).text).not.toContain('<td>view@example.com');
      expect((await view.agent.get('/board')).status).toBe(303);
      expect(await audit()).toEqual(expect.arrayContaining(['member.removed']));
    });

    test('edit a display name; an account shared with another workspace cannot be renamed here (disabled, and refused)', async () => {
      const { agent, csrf } = await w.login('admin@example.com');
      const rev2 = w.users['rev2@example.com']!;
      expect((await post(agent, `/admin/users/${rev2}/name`, { _csrf: csrf, name: 'Rita Reviewer' })).status).toBe(303);
      expect((await w.store.read.users.findById(rev2))?.name).toBe('Rita Reviewer');
      const page = (await agent.get('/admin/users')).text;
      const shared = rowOf(page, 'shared@example.com');
      expect(shared).toContain('This account also belongs to another workspace');
      expect(shared).toMatch(/name="name"[^>]*disabled/);
      const sharedId = w.users['shared@example.com']!;
      expect((await post(agent, `/admin/users/${sharedId}/name`, { _csrf: csrf, name: 'Hijack' })).status).toBe(403);
      expect(await audit()).toEqual(expect.arrayContaining(['member.renamed']));
    });

    test('resend an open invitation: a new link, the old one ends; withdraw still works', async () => {
      const first = await inviteByForm('later@example.com', 'viewer');
      const { agent, csrf } = await w.login('admin@example.com');
      expect((await agent.get('/admin/users')).text).toContain('action="/admin/users/invitations/resend"');
      const res = await post(agent, '/admin/users/invitations/resend', { _csrf: csrf, email: 'later@example.com' });
      expect(res.status).toBe(303);
      expect(decodeURIComponent(String(res.headers.location))).toContain('Invitation sent again to later@example.com');
      expect(w.mail.map((m) => m.to[0])).toEqual(['later@example.com', 'later@example.com']);
      expect((await request(w.app).get(first)).status).toBe(410);
      const withdrawn = await post(agent, '/admin/users/invitations/withdraw', {
        _csrf: csrf,
        email: 'later@example.com',
      });
      expect(withdrawn.status).toBe(303);
      const log = await w.store.read.audit.list(await workspaceId(), 0, 1000);
      const entries = log.filter((e) => e.action.startsWith('invitation.'));
      expect(entries.map((e) => e.action)).toEqual(['invitation.sent', 'invitation.sent', 'invitation.withdrawn']);
      // The entry names the invitation by a piece of its hash: nothing in the log opens the link.
      expect(JSON.stringify(entries)).not.toContain(first.split('/').pop());
    });

    test.each(XSS_CORPUS)('a display name with %s is shown as text on the users page', async (_name, evil) => {
      const { agent, csrf } = await w.login('admin@example.com');
      const rev = w.users['rev@example.com']!;
      expect((await post(agent, `/admin/users/${rev}/name`, { _csrf: csrf, name: evil })).status).toBe(303);
      expect(inertnessProblems((await agent.get('/admin/users')).text, evil.trim())).toEqual([]);
    });
  });
}
