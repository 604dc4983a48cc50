import type { Role } from '@loopgate/shared';
import { DATABASES, openTestStore } from '../../test-support/databases.js';
import { FakeAttemptLimiter } from '../../test-support/fake-attempt-limiter.js';
import { XSS_CORPUS } from '../../web/xss-corpus.js';
import type { WorkspaceRecord } from '../admin/admin-ports.js';
import { upsertUser } from '../admin/users.js';
import { createWorkspace, resolveWorkspace } from '../admin/workspaces.js';
import type { Principal } from '../kernel/access.js';
import type { AppError } from '../kernel/errors.js';
import type { EmailMessage } from '../kernel/notifier.js';
import { hashToken } from '../kernel/secrets.js';
import type { Store } from '../store.js';
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
import { authenticateSession, logIn } from './sessions.js';

const PASSWORD = 'correct horse battery';
const PUBLIC_URL = 'https://lg.example.com/';
const LINK = /^ {2}(https:\/\/lg\.example\.com\/invite\/([\w-]{43}))$/m;

for (const database of DATABASES) {
  describe(`${database}: invitations`, () => {
    let store: Store;
    let close: () => Promise<void>;
    let workspace: WorkspaceRecord;
    let now = Date.UTC(2026, 0, 5, 9, 0, 0);
    const clock = () => now;
    const mail: EmailMessage[] = [];
    const principals = {} as Record<Role, Principal>;
    let deps: InvitationDeps;
    const acceptDeps = () => ({ store, clock, limiter: new FakeAttemptLimiter(clock) });

    beforeAll(async () => {
      ({ store, close } = await openTestStore(database));
      workspace = await resolveWorkspace({ store, clock });
      for (const role of ['admin', 'reviewer', 'viewer'] as const) {
        const { userId } = await upsertUser(
          { store, clock },
          { email: `${role}@example.com`, password: PASSWORD, role },
        );
        principals[role] = {
          workspaceId: workspace.id,
          role,
          actor: { type: 'user', id: userId, name: role === 'admin' ? 'Ada Admin' : `${role}@example.com` },
        };
      }
      deps = { store, clock, notifier: { send: async (message) => void mail.push(message) }, publicUrl: PUBLIC_URL };
    });
    afterAll(async () => close());
    beforeEach(() => {
      mail.length = 0;
      now += 60_000;
    });

    async function invite(email: string, role: Role = 'reviewer', name?: string) {
      const result = await inviteMember(deps, principals.admin, { email, role, name });
      const message = mail[mail.length - 1];
      const match = message ? LINK.exec(message.text) : null;
      return { result, message, link: match?.[1] ?? '', token: match?.[2] ?? '' };
    }

    const refusal = (promise: Promise<unknown>) =>
      promise.then(
        () => {
          throw new Error('expected a refusal');
        },
        (error: AppError) => ({ code: error.code, status: error.status, message: error.message }),
      );

    const canLogIn = (email: string, password: string) =>
      logIn({ store, clock, limiter: new FakeAttemptLimiter(clock) }, { email, password, clientAddress: 'test' }).then(
        () => true,
        () => false,
      );

    test('an invitation stores the address, role and token hash only, creates nothing else, and mails a plain-text link', async () => {
      const { result, message, link, token } = await invite('  New.Person@Example.com ', 'reviewer', 'Nia New');
      expect(result).toEqual({ email: 'new.person@example.com', role: 'reviewer', expiresAt: now + INVITATION_TTL_MS });
      expect(mail).toHaveLength(1);
      expect(message?.to).toEqual(['new.person@example.com']);
      expect(message?.subject).toBe('[Loopgate] Ada Admin invited you to Default workspace');
      expect(message?.text).toContain(
        'Ada Admin invited you to the Loopgate workspace "Default workspace" (default) as reviewer.',
      );
      expect(link).toBe(`https://lg.example.com/invite/${token}`);
      expect(message?.text).toContain(`expires on ${new Date(now + INVITATION_TTL_MS).toISOString()}`);

      const stored = await store.read.invitations.findByHash(hashToken(token));
      expect(stored).toEqual({
        tokenHash: hashToken(token),
        workspaceId: workspace.id,
        email: 'new.person@example.com',
        role: 'reviewer',
        name: 'Nia New',
        invitedBy: principals.admin.actor.id,
        createdAt: now,
        expiresAt: now + INVITATION_TTL_MS,
        usedAt: null,
        revokedAt: null,
      });
      expect(await store.read.invitations.findByHash(token)).toBeNull();
      // No account and no membership until the invitee accepts.
      expect(await store.read.users.findByEmail('new.person@example.com')).toBeNull();
      const members = await listMembers({ store, clock }, principals.admin);
      expect(members.map((m) => m.email)).not.toContain('new.person@example.com');
      expect(await listInvitations({ store, clock }, principals.admin)).toContainEqual({
        email: 'new.person@example.com',
        role: 'reviewer',
        name: 'Nia New',
        createdAt: now,
        expiresAt: now + INVITATION_TTL_MS,
        expired: false,
      });
    });

    test('opening the link changes nothing: still unused, still no password, still no login', async () => {
      const { token } = await invite('opener@example.com', 'viewer');
      for (let i = 0; i < 3; i++) {
        expect(await openInvitation({ store, clock }, token)).toEqual({
          email: 'opener@example.com',
          name: null,
          role: 'viewer',
          workspace: { slug: 'default', name: 'Default workspace' },
          expiresAt: now + INVITATION_TTL_MS,
          hasPassword: false,
        });
      }
      expect((await store.read.invitations.findByHash(hashToken(token)))?.usedAt).toBeNull();
      expect(await store.read.users.findByEmail('opener@example.com')).toBeNull();
      expect(await canLogIn('opener@example.com', '')).toBe(false);
      expect(await canLogIn('opener@example.com', PASSWORD)).toBe(false);
    });

    test('accepting sets the password, starts a session, and works once', async () => {
      const { token } = await invite('accepter@example.com', 'reviewer', 'Acey Accepter');
      const login = await acceptInvitation(acceptDeps(), token, PASSWORD, '192.0.2.1');
      const user = await store.read.users.findByEmail('accepter@example.com');
      expect(user).toMatchObject({ name: 'Acey Accepter', passwordHash: expect.stringMatching(/^scrypt\$/) });
      const session = await authenticateSession({ store, clock }, login.token);
      expect(session?.principal).toEqual({
        workspaceId: workspace.id,
        role: 'reviewer',
        actor: { type: 'user', id: user?.id, name: 'Acey Accepter' },
      });
      expect((await store.read.invitations.findByHash(hashToken(token)))?.usedAt).toBe(now);
      expect(await canLogIn('accepter@example.com', PASSWORD)).toBe(true);
      const members = await listMembers({ store, clock }, principals.admin);
      expect(members.find((m) => m.userId === user?.id)?.role).toBe('reviewer');
      expect((await listInvitations({ store, clock }, principals.admin)).map((i) => i.email)).not.toContain(
        'accepter@example.com',
      );

      const again = await refusal(acceptInvitation(acceptDeps(), token, 'another long password', '192.0.2.1'));
      expect(again).toMatchObject({ code: 'invitation_invalid', status: 410 });
      expect(again.message).toContain('already been accepted');
      expect(await canLogIn('accepter@example.com', 'another long password')).toBe(false);
      expect(await refusal(openInvitation({ store, clock }, token))).toMatchObject({ code: 'invitation_invalid' });
    });

    test('a too-short password is refused with the usual rule and leaves the link usable', async () => {
      const { token } = await invite('short@example.com');
      const short = await refusal(acceptInvitation(acceptDeps(), token, 'too short', '192.0.2.1'));
      expect(short).toMatchObject({ code: 'validation_failed', message: 'Passwords need at least 12 characters' });
      expect(await store.read.users.findByEmail('short@example.com')).toBeNull();
      await acceptInvitation(acceptDeps(), token, PASSWORD, '192.0.2.1');
      expect(await canLogIn('short@example.com', PASSWORD)).toBe(true);
    });

    test('a link stops working after 7 days', async () => {
      const { token } = await invite('late@example.com');
      const sent = now;
      now = sent + INVITATION_TTL_MS - 1;
      await expect(openInvitation({ store, clock }, token)).resolves.toMatchObject({ email: 'late@example.com' });
      now = sent + INVITATION_TTL_MS;
      const expired = await refusal(acceptInvitation(acceptDeps(), token, PASSWORD, '192.0.2.1'));
      expect(expired).toMatchObject({ code: 'invitation_invalid', status: 410 });
      expect(expired.message).toContain('expired');
      expect(await store.read.users.findByEmail('late@example.com')).toBeNull();
      expect(
        (await listInvitations({ store, clock }, principals.admin)).find((i) => i.email === 'late@example.com'),
      ).toMatchObject({ expired: true });
      expect((await store.read.invitations.findByHash(hashToken(token)))?.usedAt).toBeNull();
    });

    test('inviting the same address again sends a new link and ends the old one', async () => {
      const first = await invite('twice@example.com', 'viewer');
      const second = await invite('TWICE@example.com', 'reviewer');
      expect(second.result.email).toBe(first.result.email);
      expect(second.token).not.toBe(first.token);
      expect(mail).toHaveLength(2);
      const old = await refusal(openInvitation({ store, clock }, first.token));
      expect(old).toMatchObject({ code: 'invitation_invalid' });
      expect(old.message).toContain('newer invitation');
      await expect(refusal(acceptInvitation(acceptDeps(), first.token, PASSWORD, 'x'))).resolves.toMatchObject({
        code: 'invitation_invalid',
      });
      // The second invitation's role is the one accepting gives.
      expect((await openInvitation({ store, clock }, second.token)).role).toBe('reviewer');
      expect(
        (await listInvitations({ store, clock }, principals.admin)).filter((i) => i.email === 'twice@example.com'),
      ).toHaveLength(1);
      await acceptInvitation(acceptDeps(), second.token, PASSWORD, 'x');
      expect(await canLogIn('twice@example.com', PASSWORD)).toBe(true);
    });

    test.each(['reviewer', 'viewer'] as const)('a %s cannot invite', async (role) => {
      const refused = await refusal(
        inviteMember(deps, principals[role], { email: `by-${role}@example.com`, role: 'admin' }),
      );
      expect(refused).toMatchObject({ code: 'forbidden', status: 403 });
      expect(await store.read.users.findByEmail(`by-${role}@example.com`)).toBeNull();
      expect(mail).toHaveLength(0);
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
      const refused = await refusal(inviteMember(deps, principals.admin, input));
      expect(refused).toMatchObject({ code: 'validation_failed', status: 400 });
      expect(refused.message).toContain(words);
      expect(mail).toHaveLength(0);
    });

    /** An admin of a second workspace, to invite the same address from elsewhere. */
    async function otherAdmin(slug: string): Promise<Principal> {
      const other = await createWorkspace({ store, clock }, `${slug}-${database}`, `Other ${slug}`);
      const { userId } = await upsertUser(
        { store, clock },
        { email: `admin@${slug}.example.com`, password: PASSWORD, role: 'admin', workspaceSlug: other.slug },
      );
      return { workspaceId: other.id, role: 'admin', actor: { type: 'user', id: userId, name: 'Oz Other' } };
    }

    test('someone with a password elsewhere gets the same invitation; accepting asks for that password and never sets one', async () => {
      const elsewhere = await createWorkspace({ store, clock }, `elsewhere-${database}`, 'Elsewhere');
      await upsertUser(
        { store, clock },
        { email: 'known@example.com', password: PASSWORD, role: 'viewer', workspaceSlug: elsewhere.slug },
      );
      const known = await invite('known@example.com', 'reviewer', 'Typed By Admin');
      const fresh = await invite('unknown-yet@example.com', 'reviewer', 'Typed By Admin');
      // The admin's answer and the mail are the same as for a new address.
      const masked = (text: string | undefined, email: string, token: string) =>
        (text ?? '').split(email).join('<address>').split(token).join('<token>');
      expect({ ...known.result, email: '' }).toEqual({ ...fresh.result, email: '' });
      expect(masked(known.message?.text, 'known@example.com', known.token)).toBe(
        masked(fresh.message?.text, 'unknown-yet@example.com', fresh.token),
      );
      expect(known.message?.subject).toBe(fresh.message?.subject);
      const user = await store.read.users.findByEmail('known@example.com');
      expect(await store.read.users.findMembership(workspace.id, user?.id ?? '')).toBeNull();

      expect(await openInvitation({ store, clock }, known.token)).toMatchObject({
        email: 'known@example.com',
        name: null,
        hasPassword: true,
      });
      // Choosing a new password is not accepting: the account's password is asked for, and stays.
      const wrong = await refusal(acceptInvitation(acceptDeps(), known.token, 'a brand new password', 'x'));
      expect(wrong).toMatchObject({ code: 'unauthorized', status: 401 });
      expect(await canLogIn('known@example.com', 'a brand new password')).toBe(false);
      expect(await canLogIn('known@example.com', PASSWORD)).toBe(true);
      expect(await store.read.users.findMembership(workspace.id, user?.id ?? '')).toBeNull();
      expect((await store.read.invitations.findByHash(hashToken(known.token)))?.usedAt).toBeNull();

      const login = await acceptInvitation(acceptDeps(), known.token, PASSWORD, 'x');
      expect((await authenticateSession({ store, clock }, login.token))?.principal).toMatchObject({
        workspaceId: workspace.id,
        role: 'reviewer',
      });
      expect(await store.read.users.findById(user?.id ?? '')).toEqual(user);
      expect(await store.read.users.findMembership(elsewhere.id, user?.id ?? '')).toMatchObject({ role: 'viewer' });

      const again = await refusal(inviteMember(deps, principals.admin, { email: 'known@example.com', role: 'admin' }));
      expect(again).toMatchObject({ code: 'conflict', status: 409 });
      expect(await store.read.users.findMembership(workspace.id, user?.id ?? '')).toMatchObject({ role: 'reviewer' });
      const self = await refusal(inviteMember(deps, principals.admin, { email: 'admin@example.com', role: 'viewer' }));
      expect(self).toMatchObject({ code: 'conflict' });
      expect(await store.read.users.findMembership(workspace.id, principals.admin.actor.id ?? '')).toMatchObject({
        role: 'admin',
      });
    });

    test("another workspace's invitation cannot set the password of an account that has none", async () => {
      // An account as invitations before this fix left it: created, no password, invited by this workspace.
      await store.transaction((tx) =>
        tx.users.insert({
          id: 'usr_legacy_victim',
          email: 'victim@example.com',
          name: null,
          passwordHash: null,
          createdAt: now,
        }),
      );
      const own = await invite('victim@example.com', 'reviewer');
      const mallory = await otherAdmin('mallory');
      const theirs = await inviteMember(deps, mallory, { email: 'victim@example.com', role: 'admin' });
      expect(theirs).toEqual({ email: 'victim@example.com', role: 'admin', expiresAt: now + INVITATION_TTL_MS });
      expect((await store.read.users.findByEmail('victim@example.com'))?.passwordHash).toBeNull();
      expect(await store.read.users.findMembership(mallory.workspaceId, 'usr_legacy_victim')).toBeNull();
      expect(mail.filter((m) => m.subject.includes('added you'))).toEqual([]);

      // The victim's own link still works; once they chose a password, the other invitation asks for it.
      await acceptInvitation(acceptDeps(), own.token, PASSWORD, 'x');
      expect(await store.read.users.findMembership(workspace.id, 'usr_legacy_victim')).toMatchObject({
        role: 'reviewer',
      });
      const otherToken = LINK.exec(mail[mail.length - 1]?.text ?? '')?.[2] ?? '';
      expect((await openInvitation({ store, clock }, otherToken)).hasPassword).toBe(true);
      expect(await store.read.users.findMembership(mallory.workspaceId, 'usr_legacy_victim')).toBeNull();
    });

    test("the operator's CLI may give an account without a password its first one; its invitation then asks for it", async () => {
      const { token } = await invite('operator-set@example.com');
      await store.transaction((tx) =>
        tx.users.insert({
          id: 'usr_legacy_op',
          email: 'operator-set@example.com',
          name: null,
          passwordHash: null,
          createdAt: now,
        }),
      );
      await upsertUser({ store, clock }, { email: 'operator-set@example.com', password: PASSWORD, role: 'viewer' });
      expect(await canLogIn('operator-set@example.com', PASSWORD)).toBe(true);
      expect((await openInvitation({ store, clock }, token)).hasPassword).toBe(true);
      const refused = await refusal(acceptInvitation(acceptDeps(), token, 'a different password', 'x'));
      expect(refused).toMatchObject({ code: 'unauthorized' });
      expect(await canLogIn('operator-set@example.com', 'a different password')).toBe(false);
      // Already a member through the CLI: accepting keeps that role.
      await acceptInvitation(acceptDeps(), token, PASSWORD, 'x');
      expect(await store.read.users.findMembership(workspace.id, 'usr_legacy_op')).toMatchObject({ role: 'viewer' });
    });

    test('an admin withdraws an invitation: its link stops working; reviewers may not', async () => {
      const { token } = await invite('withdrawn@example.com');
      await expect(
        refusal(withdrawInvitation({ store, clock }, principals.reviewer, 'withdrawn@example.com')),
      ).resolves.toMatchObject({ code: 'forbidden' });
      expect(await withdrawInvitation({ store, clock }, principals.admin, ' Withdrawn@Example.com')).toBe(1);
      expect(await withdrawInvitation({ store, clock }, principals.admin, 'withdrawn@example.com')).toBe(0);
      const refused = await refusal(openInvitation({ store, clock }, token));
      expect(refused).toMatchObject({ code: 'invitation_invalid' });
      expect(refused.message).toContain('withdrawn');
      expect((await listInvitations({ store, clock }, principals.admin)).map((i) => i.email)).not.toContain(
        'withdrawn@example.com',
      );
      await expect(refusal(listInvitations({ store, clock }, principals.viewer))).resolves.toMatchObject({
        code: 'forbidden',
      });
    });

    test('accepting one invitation ends the other open ones of that address to the same workspace', async () => {
      const { token } = await invite('double@example.com');
      // Two open invitations can exist when two admins invite at the same instant.
      const twin = 'twin-token-of-double-invitation-0000000';
      const stored = await store.read.invitations.findByHash(hashToken(token));
      await store.transaction((tx) => tx.invitations.insert({ ...stored!, tokenHash: hashToken(twin) }));
      await acceptInvitation(acceptDeps(), token, PASSWORD, 'x');
      const refused = await refusal(openInvitation({ store, clock }, twin));
      expect(refused.message).toContain('another one to this workspace was accepted');
    });

    test('the same new address created or invited several times at once: one account or none, one live link', async () => {
      const created = await Promise.all(
        Array.from({ length: 6 }, () =>
          upsertUser({ store, clock }, { email: 'Race@Example.com', password: PASSWORD, role: 'reviewer' }),
        ),
      );
      expect(new Set(created.map((r) => r.userId)).size).toBe(1);
      expect(created.filter((r) => r.created)).toHaveLength(1);
      const invited = await Promise.all(
        Array.from({ length: 4 }, () =>
          inviteMember(deps, principals.admin, { email: 'race2@example.com', role: 'viewer' }),
        ),
      );
      expect(invited).toHaveLength(4);
      expect(await store.read.users.findByEmail('race2@example.com')).toBeNull();
      expect(
        (await listInvitations({ store, clock }, principals.admin)).filter((i) => i.email === 'race2@example.com'),
      ).toHaveLength(1);
      const tokens = mail.filter((m) => m.to[0] === 'race2@example.com').map((m) => LINK.exec(m.text)?.[2] ?? '');
      const live = await Promise.all(
        tokens.map((token) =>
          openInvitation({ store, clock }, token).then(
            () => true,
            () => false,
          ),
        ),
      );
      expect(live.filter(Boolean)).toHaveLength(1);
    });

    test('invitations of two workspaces to one new address accepted at once: one account, one password', async () => {
      const other = await otherAdmin('parallel');
      const ours = await invite('both@example.com', 'reviewer');
      await inviteMember(deps, other, { email: 'both@example.com', role: 'viewer' });
      const theirs = LINK.exec(mail[mail.length - 1]?.text ?? '')?.[2] ?? '';
      const limiter = new FakeAttemptLimiter(clock);
      // The same password in both tabs: both join, whichever created the account.
      const same = await Promise.allSettled([
        acceptInvitation({ store, clock, limiter }, ours.token, PASSWORD, '192.0.2.1'),
        acceptInvitation({ store, clock, limiter }, theirs, PASSWORD, '192.0.2.2'),
      ]);
      expect(same.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
      const user = await store.read.users.findByEmail('both@example.com');
      expect(await store.read.users.findMembership(workspace.id, user?.id ?? '')).toMatchObject({ role: 'reviewer' });
      expect(await store.read.users.findMembership(other.workspaceId, user?.id ?? '')).toMatchObject({
        role: 'viewer',
      });

      const a = await invite('split@example.com', 'reviewer');
      await inviteMember(deps, other, { email: 'split@example.com', role: 'viewer' });
      const b = LINK.exec(mail[mail.length - 1]?.text ?? '')?.[2] ?? '';
      // Different passwords: the first to commit chooses it; the other must then prove it, and its link stays usable.
      const split = await Promise.allSettled([
        acceptInvitation({ store, clock, limiter }, a.token, 'first racer password', '192.0.2.1'),
        acceptInvitation({ store, clock, limiter }, b, 'second racer password', '192.0.2.2'),
      ]);
      const won = split.findIndex((o) => o.status === 'fulfilled');
      expect(split.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect((split[1 - won] as PromiseRejectedResult).reason).toMatchObject({ code: 'unauthorized' });
      const winner = won === 0 ? 'first racer password' : 'second racer password';
      const loser = won === 0 ? 'second racer password' : 'first racer password';
      expect(await canLogIn('split@example.com', winner)).toBe(true);
      expect(await canLogIn('split@example.com', loser)).toBe(false);
      const loserToken = won === 0 ? b : a.token;
      expect((await openInvitation({ store, clock }, loserToken)).hasPassword).toBe(true);
      await acceptInvitation({ store, clock, limiter }, loserToken, winner, '192.0.2.3');
    });

    test('two concurrent accepts: exactly one wins, the other changes nothing', async () => {
      const { token } = await invite('racer@example.com');
      const limiter = new FakeAttemptLimiter(clock);
      const outcomes = await Promise.allSettled([
        acceptInvitation({ store, clock, limiter }, token, 'first racer password', '192.0.2.1'),
        acceptInvitation({ store, clock, limiter }, token, 'second racer password', '192.0.2.2'),
      ]);
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect([won.length, lost.length]).toEqual([1, 1]);
      expect(lost[0]?.reason).toMatchObject({ code: 'invitation_invalid' });
      const winner = outcomes[0]?.status === 'fulfilled' ? 'first racer password' : 'second racer password';
      const loser = winner === 'first racer password' ? 'second racer password' : 'first racer password';
      expect(await canLogIn('racer@example.com', winner)).toBe(true);
      expect(await canLogIn('racer@example.com', loser)).toBe(false);
    });

    test('refused attempts are limited per token and client address', async () => {
      const { token } = await invite('limited@example.com');
      const limiter = new FakeAttemptLimiter(clock);
      for (let i = 0; i < 5; i++) {
        await expect(
          refusal(acceptInvitation({ store, clock, limiter }, token, `short ${i}`, '198.51.100.7')),
        ).resolves.toMatchObject({ code: 'validation_failed' });
      }
      await expect(
        refusal(acceptInvitation({ store, clock, limiter }, token, PASSWORD, '198.51.100.7')),
      ).resolves.toMatchObject({ code: 'rate_limited', status: 429 });
      // Another address is not held back by this one's failures.
      await acceptInvitation({ store, clock, limiter }, token, PASSWORD, '198.51.100.8');
      expect(await canLogIn('limited@example.com', PASSWORD)).toBe(true);
    });

    test('unknown and malformed tokens are refused plainly', async () => {
      for (const token of ['x'.repeat(43), '<script>', '']) {
        const refused = await refusal(openInvitation({ store, clock }, token));
        expect(refused).toMatchObject({ code: 'invitation_invalid', status: 410 });
        expect(refused.message).toContain('not valid');
      }
    });

    test('when the mail cannot be sent the admin is told, and inviting again sends a new link', async () => {
      const errors: unknown[] = [];
      const failing: InvitationDeps = {
        ...deps,
        notifier: {
          send: async () => {
            throw new Error('SMTP down');
          },
        },
        onSendError: (error) => errors.push(error),
      };
      const refused = await refusal(
        inviteMember(failing, principals.admin, { email: 'unlucky@example.com', role: 'viewer' }),
      );
      expect(refused).toMatchObject({ code: 'service_unavailable' });
      expect(refused.message).toContain('could not be sent');
      expect(errors).toEqual([new Error('SMTP down')]);
      const { token } = await invite('unlucky@example.com', 'viewer');
      await acceptInvitation(acceptDeps(), token, PASSWORD, 'x');
      expect(await canLogIn('unlucky@example.com', PASSWORD)).toBe(true);
    });

    test.each(XSS_CORPUS)('hostile text in names stays out of mail headers: %s', async (_name, evil) => {
      const admin: Principal = { ...principals.admin, actor: { ...principals.admin.actor, name: evil } };
      await inviteMember(deps, admin, { email: 'hostile@example.com', name: evil, role: 'viewer' });
      const message = mail[mail.length - 1];
      expect(message?.subject).not.toMatch(/[\r\n]/);
      expect(message?.text).not.toContain('\r');
      expect(message?.text).toMatch(LINK);
    });
  });
}
