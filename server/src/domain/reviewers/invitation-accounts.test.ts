import { DATABASES } from '../../test-support/databases.js';
import { LINK, PASSWORD, useInvitationsWorld } from '../../test-support/invitations-world.js';
import { refusal } from '../../test-support/outcomes.js';
import { upsertUser } from '../admin/users.js';
import { createWorkspace } from '../admin/workspaces.js';
import { hashToken } from '../kernel/secrets.js';
import { acceptInvitation, INVITATION_TTL_MS, inviteMember, openInvitation } from './invitations.js';
import { authenticateSession } from './sessions.js';

for (const database of DATABASES) {
  describe(`${database}: invitations to existing accounts`, () => {
    const w = useInvitationsWorld(database);

    test('someone with a password elsewhere gets the same invitation; accepting asks for that password and never sets one', async () => {
      const elsewhere = await createWorkspace(w.base, `elsewhere-${database}`, 'Elsewhere');
      await upsertUser(w.base, {
        email: 'known@example.com',
        password: PASSWORD,
        role: 'viewer',
        workspaceSlug: elsewhere.slug,
      });
      const known = await w.invite('known@example.com', 'reviewer', 'Typed By Admin');
      const fresh = await w.invite('unknown-yet@example.com', 'reviewer', 'Typed By Admin');
      // The admin's answer and the mail are the same as for a new address.
      const masked = (text: string | undefined, email: string, token: string) =>
        (text ?? '').split(email).join('<address>').split(token).join('<token>');
      expect({ ...known.result, email: '' }).toEqual({ ...fresh.result, email: '' });
      expect(masked(known.message?.text, 'known@example.com', known.token)).toBe(
        masked(fresh.message?.text, 'unknown-yet@example.com', fresh.token),
      );
      expect(known.message?.subject).toBe(fresh.message?.subject);
      const user = await w.store.read.users.findByEmail('known@example.com');
      expect(await w.store.read.users.findMembership(w.workspace.id, user?.id ?? '')).toBeNull();

      expect(await openInvitation(w.base, known.token)).toMatchObject({
        email: 'known@example.com',
        name: null,
        hasPassword: true,
      });
      // Choosing a new password is not accepting: the account's password is asked for, and stays.
      const wrong = await refusal(acceptInvitation(w.acceptDeps(), known.token, 'a brand new password', 'x'));
      expect(wrong).toMatchObject({ code: 'unauthorized', status: 401 });
      expect(await w.canLogIn('known@example.com', 'a brand new password')).toBe(false);
      expect(await w.canLogIn('known@example.com', PASSWORD)).toBe(true);
      expect(await w.store.read.users.findMembership(w.workspace.id, user?.id ?? '')).toBeNull();
      expect((await w.store.read.invitations.findByHash(hashToken(known.token)))?.usedAt).toBeNull();

      const login = await acceptInvitation(w.acceptDeps(), known.token, PASSWORD, 'x');
      expect((await authenticateSession(w.base, login.token))?.principal).toMatchObject({
        workspaceId: w.workspace.id,
        role: 'reviewer',
      });
      expect(await w.store.read.users.findById(user?.id ?? '')).toEqual(user);
      expect(await w.store.read.users.findMembership(elsewhere.id, user?.id ?? '')).toMatchObject({ role: 'viewer' });

      const again = await refusal(
        inviteMember(w.deps, w.principals.admin, { email: 'known@example.com', role: 'admin' }),
      );
      expect(again).toMatchObject({ code: 'conflict', status: 409 });
      expect(await w.store.read.users.findMembership(w.workspace.id, user?.id ?? '')).toMatchObject({
        role: 'reviewer',
      });
      const self = await refusal(
        inviteMember(w.deps, w.principals.admin, { email: 'admin@example.com', role: 'viewer' }),
      );
      expect(self).toMatchObject({ code: 'conflict' });
      expect(await w.store.read.users.findMembership(w.workspace.id, w.principals.admin.actor.id ?? '')).toMatchObject({
        role: 'admin',
      });
    });

    test("another workspace's invitation cannot set the password of an account that has none", async () => {
      // An account as invitations before this fix left it: created, no password, invited by this workspace.
      await w.store.transaction((tx) =>
        tx.users.insert({
          id: 'usr_legacy_victim',
          email: 'victim@example.com',
          name: null,
          passwordHash: null,
          createdAt: w.now,
        }),
      );
      const own = await w.invite('victim@example.com', 'reviewer');
      const mallory = await w.otherAdmin('mallory');
      const theirs = await inviteMember(w.deps, mallory, { email: 'victim@example.com', role: 'admin' });
      expect(theirs).toEqual({ email: 'victim@example.com', role: 'admin', expiresAt: w.now + INVITATION_TTL_MS });
      expect((await w.store.read.users.findByEmail('victim@example.com'))?.passwordHash).toBeNull();
      expect(await w.store.read.users.findMembership(mallory.workspaceId, 'usr_legacy_victim')).toBeNull();
      expect(w.mail.filter((m) => m.subject.includes('added you'))).toEqual([]);

      // The victim's own link still works; once they chose a password, the other invitation asks for it.
      await acceptInvitation(w.acceptDeps(), own.token, PASSWORD, 'x');
      expect(await w.store.read.users.findMembership(w.workspace.id, 'usr_legacy_victim')).toMatchObject({
        role: 'reviewer',
      });
      const otherToken = LINK.exec(w.mail[w.mail.length - 1]?.text ?? '')?.[2] ?? '';
      expect((await openInvitation(w.base, otherToken)).hasPassword).toBe(true);
      expect(await w.store.read.users.findMembership(mallory.workspaceId, 'usr_legacy_victim')).toBeNull();
    });

    test("the operator's CLI may give an account without a password its first one; its invitation then asks for it", async () => {
      const { token } = await w.invite('operator-set@example.com');
      await w.store.transaction((tx) =>
        tx.users.insert({
          id: 'usr_legacy_op',
          email: 'operator-set@example.com',
          name: null,
          passwordHash: null,
          createdAt: w.now,
        }),
      );
      await upsertUser(w.base, { email: 'operator-set@example.com', password: PASSWORD, role: 'viewer' });
      expect(await w.canLogIn('operator-set@example.com', PASSWORD)).toBe(true);
      expect((await openInvitation(w.base, token)).hasPassword).toBe(true);
      const refused = await refusal(acceptInvitation(w.acceptDeps(), token, 'a different password', 'x'));
      expect(refused).toMatchObject({ code: 'unauthorized' });
      expect(await w.canLogIn('operator-set@example.com', 'a different password')).toBe(false);
      // Already a member through the CLI: accepting keeps that role.
      await acceptInvitation(w.acceptDeps(), token, PASSWORD, 'x');
      expect(await w.store.read.users.findMembership(w.workspace.id, 'usr_legacy_op')).toMatchObject({
        role: 'viewer',
      });
    });

    test('accepting one invitation ends the other open ones of that address to the same workspace', async () => {
      const { token } = await w.invite('double@example.com');
      // Two open invitations can exist when two admins invite at the same instant.
      const twin = 'twin-token-of-double-invitation-0000000';
      const stored = await w.store.read.invitations.findByHash(hashToken(token));
      await w.store.transaction((tx) => tx.invitations.insert({ ...stored!, tokenHash: hashToken(twin) }));
      await acceptInvitation(w.acceptDeps(), token, PASSWORD, 'x');
      const refused = await refusal(openInvitation(w.base, twin));
      expect(refused.message).toContain('another one to this workspace was accepted');
    });
  });
}
