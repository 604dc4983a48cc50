import type { Role } from '@loopgate/shared';
import { DATABASES } from '../../test-support/databases.js';
import { LINK, PASSWORD, useInvitationsWorld } from '../../test-support/invitations-world.js';
import { refusal } from '../../test-support/outcomes.js';
import { XSS_CORPUS } from '../../web/xss-corpus.js';
import type { Principal } from '../kernel/access.js';
import { hashToken } from '../kernel/secrets.js';
import {
  acceptInvitation,
  INVITATION_TTL_MS,
  type InvitationDeps,
  inviteMember,
  listInvitations,
  openInvitation,
  withdrawInvitation,
} from './invitations.js';
import { listMembers } from './members.js';
import { authenticateSession } from './sessions.js';

for (const database of DATABASES) {
  describe(`${database}: invitations`, () => {
    const w = useInvitationsWorld(database);

    test('an invitation stores the address, role and token hash only, creates nothing else, and mails a plain-text link', async () => {
      const { result, message, link, token } = await w.invite('  New.Person@Example.com ', 'reviewer', 'Nia New');
      expect(result).toEqual({
        email: 'new.person@example.com',
        role: 'reviewer',
        expiresAt: w.now + INVITATION_TTL_MS,
      });
      expect(w.mail).toHaveLength(1);
      expect(message?.to).toEqual(['new.person@example.com']);
      expect(message?.subject).toBe('[Loopgate] Ada Admin invited you to Default workspace');
      expect(message?.text).toContain(
        'Ada Admin invited you to the Loopgate workspace "Default workspace" (default) as reviewer.',
      );
      expect(link).toBe(`https://lg.example.com/invite/${token}`);
      expect(message?.text).toContain(`expires on ${new Date(w.now + INVITATION_TTL_MS).toISOString()}`);

      const stored = await w.store.read.invitations.findByHash(hashToken(token));
      expect(stored).toEqual({
        tokenHash: hashToken(token),
        workspaceId: w.workspace.id,
        email: 'new.person@example.com',
        role: 'reviewer',
        name: 'Nia New',
        invitedBy: w.principals.admin.actor.id,
        createdAt: w.now,
        expiresAt: w.now + INVITATION_TTL_MS,
        usedAt: null,
        revokedAt: null,
      });
      expect(await w.store.read.invitations.findByHash(token)).toBeNull();
      // No account and no membership until the invitee accepts.
      expect(await w.store.read.users.findByEmail('new.person@example.com')).toBeNull();
      const members = await listMembers(w.base, w.principals.admin);
      expect(members.map((m) => m.email)).not.toContain('new.person@example.com');
      expect(await listInvitations(w.base, w.principals.admin)).toContainEqual({
        email: 'new.person@example.com',
        role: 'reviewer',
        name: 'Nia New',
        createdAt: w.now,
        expiresAt: w.now + INVITATION_TTL_MS,
        expired: false,
      });
    });

    test('opening the link changes nothing: still unused, still no password, still no login', async () => {
      const { token } = await w.invite('opener@example.com', 'viewer');
      for (let i = 0; i < 3; i++) {
        expect(await openInvitation(w.base, token)).toEqual({
          email: 'opener@example.com',
          name: null,
          role: 'viewer',
          workspace: { slug: 'default', name: 'Default workspace' },
          expiresAt: w.now + INVITATION_TTL_MS,
          hasPassword: false,
        });
      }
      expect((await w.store.read.invitations.findByHash(hashToken(token)))?.usedAt).toBeNull();
      expect(await w.store.read.users.findByEmail('opener@example.com')).toBeNull();
      expect(await w.canLogIn('opener@example.com', '')).toBe(false);
      expect(await w.canLogIn('opener@example.com', PASSWORD)).toBe(false);
    });

    test('accepting sets the password, starts a session, and works once', async () => {
      const { token } = await w.invite('accepter@example.com', 'reviewer', 'Acey Accepter');
      const login = await acceptInvitation(w.acceptDeps(), token, PASSWORD, '192.0.2.1');
      const user = await w.store.read.users.findByEmail('accepter@example.com');
      expect(user).toMatchObject({ name: 'Acey Accepter', passwordHash: expect.stringMatching(/^scrypt\$/) });
      const session = await authenticateSession(w.base, login.token);
      expect(session?.principal).toEqual({
        workspaceId: w.workspace.id,
        role: 'reviewer',
        actor: { type: 'user', id: user?.id, name: 'Acey Accepter' },
      });
      expect((await w.store.read.invitations.findByHash(hashToken(token)))?.usedAt).toBe(w.now);
      expect(await w.canLogIn('accepter@example.com', PASSWORD)).toBe(true);
      const members = await listMembers(w.base, w.principals.admin);
      expect(members.find((m) => m.userId === user?.id)?.role).toBe('reviewer');
      expect((await listInvitations(w.base, w.principals.admin)).map((i) => i.email)).not.toContain(
        'accepter@example.com',
      );

      const again = await refusal(acceptInvitation(w.acceptDeps(), token, 'another long password', '192.0.2.1'));
      expect(again).toMatchObject({ code: 'invitation_invalid', status: 410 });
      expect(again.message).toContain('already been accepted');
      expect(await w.canLogIn('accepter@example.com', 'another long password')).toBe(false);
      expect(await refusal(openInvitation(w.base, token))).toMatchObject({ code: 'invitation_invalid' });
    });

    test('a too-short password is refused with the usual rule and leaves the link usable', async () => {
      const { token } = await w.invite('short@example.com');
      const short = await refusal(acceptInvitation(w.acceptDeps(), token, 'too short', '192.0.2.1'));
      expect(short).toMatchObject({ code: 'validation_failed', message: 'Passwords need at least 12 characters' });
      expect(await w.store.read.users.findByEmail('short@example.com')).toBeNull();
      await acceptInvitation(w.acceptDeps(), token, PASSWORD, '192.0.2.1');
      expect(await w.canLogIn('short@example.com', PASSWORD)).toBe(true);
    });

    test('a link stops working after 7 days', async () => {
      const { token } = await w.invite('late@example.com');
      const sent = w.now;
      w.now = sent + INVITATION_TTL_MS - 1;
      await expect(openInvitation(w.base, token)).resolves.toMatchObject({ email: 'late@example.com' });
      w.now = sent + INVITATION_TTL_MS;
      const expired = await refusal(acceptInvitation(w.acceptDeps(), token, PASSWORD, '192.0.2.1'));
      expect(expired).toMatchObject({ code: 'invitation_invalid', status: 410 });
      expect(expired.message).toContain('expired');
      expect(await w.store.read.users.findByEmail('late@example.com')).toBeNull();
      expect(
        (await listInvitations(w.base, w.principals.admin)).find((i) => i.email === 'late@example.com'),
      ).toMatchObject({ expired: true });
      expect((await w.store.read.invitations.findByHash(hashToken(token)))?.usedAt).toBeNull();
    });

    test('inviting the same address again sends a new link and ends the old one', async () => {
      const first = await w.invite('twice@example.com', 'viewer');
      const second = await w.invite('TWICE@example.com', 'reviewer');
      expect(second.result.email).toBe(first.result.email);
      expect(second.token).not.toBe(first.token);
      expect(w.mail).toHaveLength(2);
      const old = await refusal(openInvitation(w.base, first.token));
      expect(old).toMatchObject({ code: 'invitation_invalid' });
      expect(old.message).toContain('newer invitation');
      await expect(refusal(acceptInvitation(w.acceptDeps(), first.token, PASSWORD, 'x'))).resolves.toMatchObject({
        code: 'invitation_invalid',
      });
      // The second invitation's role is the one accepting gives.
      expect((await openInvitation(w.base, second.token)).role).toBe('reviewer');
      expect(
        (await listInvitations(w.base, w.principals.admin)).filter((i) => i.email === 'twice@example.com'),
      ).toHaveLength(1);
      await acceptInvitation(w.acceptDeps(), second.token, PASSWORD, 'x');
      expect(await w.canLogIn('twice@example.com', PASSWORD)).toBe(true);
    });

    test.each(['reviewer', 'viewer'] as const)('a %s cannot invite', async (role) => {
      const refused = await refusal(
        inviteMember(w.deps, w.principals[role], { email: `by-${role}@example.com`, role: 'admin' }),
      );
      expect(refused).toMatchObject({ code: 'forbidden', status: 403 });
      expect(await w.store.read.users.findByEmail(`by-${role}@example.com`)).toBeNull();
      expect(w.mail).toHaveLength(0);
    });

    test.each([
      ['an invalid address', { email: 'not-an-address', role: 'viewer' as Role }, 'Enter a valid e-mail address'],
      [
        'markup as an address',
        { email: '<script>@example.com', role: 'viewer' as Role },
        'Enter a valid e-mail address',
      ],
      ['a too-long name', { email: 'long@example.com', name: 'x'.repeat(201), role: 'viewer' as Role }, 'at most 200'],
      ['an unknown role', { email: 'role@example.com', role: 'owner' as Role }, 'expected one of'],
    ])('%s is refused', async (_name, input, words) => {
      const refused = await refusal(inviteMember(w.deps, w.principals.admin, input));
      expect(refused).toMatchObject({ code: 'validation_failed', status: 400 });
      expect(refused.message).toContain(words);
      expect(w.mail).toHaveLength(0);
    });

    test('an admin withdraws an invitation: its link stops working; reviewers may not', async () => {
      const { token } = await w.invite('withdrawn@example.com');
      await expect(
        refusal(withdrawInvitation(w.base, w.principals.reviewer, 'withdrawn@example.com')),
      ).resolves.toMatchObject({ code: 'forbidden' });
      expect(await withdrawInvitation(w.base, w.principals.admin, ' Withdrawn@Example.com')).toBe(1);
      expect(await withdrawInvitation(w.base, w.principals.admin, 'withdrawn@example.com')).toBe(0);
      const refused = await refusal(openInvitation(w.base, token));
      expect(refused).toMatchObject({ code: 'invitation_invalid' });
      expect(refused.message).toContain('withdrawn');
      expect((await listInvitations(w.base, w.principals.admin)).map((i) => i.email)).not.toContain(
        'withdrawn@example.com',
      );
      await expect(refusal(listInvitations(w.base, w.principals.viewer))).resolves.toMatchObject({
        code: 'forbidden',
      });
    });

    test('unknown and malformed tokens are refused plainly', async () => {
      for (const token of ['x'.repeat(43), '<script>', '']) {
        const refused = await refusal(openInvitation(w.base, token));
        expect(refused).toMatchObject({ code: 'invitation_invalid', status: 410 });
        expect(refused.message).toContain('not valid');
      }
    });

    test('when the mail cannot be sent the admin is told, and inviting again sends a new link', async () => {
      const errors: unknown[] = [];
      const failing: InvitationDeps = {
        ...w.deps,
        notifier: {
          send: async () => {
            throw new Error('SMTP down');
          },
        },
        onSendError: (error) => errors.push(error),
      };
      const refused = await refusal(
        inviteMember(failing, w.principals.admin, { email: 'unlucky@example.com', role: 'viewer' }),
      );
      expect(refused).toMatchObject({ code: 'service_unavailable' });
      expect(refused.message).toContain('could not be sent');
      expect(errors).toEqual([new Error('SMTP down')]);
      const { token } = await w.invite('unlucky@example.com', 'viewer');
      await acceptInvitation(w.acceptDeps(), token, PASSWORD, 'x');
      expect(await w.canLogIn('unlucky@example.com', PASSWORD)).toBe(true);
    });

    test.each(XSS_CORPUS)('hostile text in names stays out of mail headers: %s', async (_name, evil) => {
      const admin: Principal = { ...w.principals.admin, actor: { ...w.principals.admin.actor, name: evil } };
      await inviteMember(w.deps, admin, { email: 'hostile@example.com', name: evil, role: 'viewer' });
      const message = w.mail[w.mail.length - 1];
      expect(message?.subject).not.toMatch(/[\r\n]/);
      expect(message?.text).not.toContain('\r');
      expect(message?.text).toMatch(LINK);
    });
  });
}
