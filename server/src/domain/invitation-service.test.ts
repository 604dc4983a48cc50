import type { Role } from '@loopgate/shared';
import { DATABASES, openTestStore } from '../test-support/databases.js';
import { FakeAttemptLimiter } from '../test-support/fake-attempt-limiter.js';
import { XSS_CORPUS } from '../web/xss-corpus.js';
import type { Principal } from './access.js';
import { createWorkspace, resolveWorkspace, upsertUser } from './admin-service.js';
import type { AppError } from './errors.js';
import {
  acceptInvitation,
  INVITATION_TTL_MS,
  type InvitationDeps,
  inviteMember,
  openInvitation,
} from './invitation-service.js';
import { listMembers } from './member-service.js';
import type { EmailMessage } from './notifier.js';
import type { Store, WorkspaceRecord } from './ports.js';
import { authenticateSession, hashToken, logIn } from './session-service.js';

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

    test('an invitation creates a pending member, stores only the token hash, and mails a plain-text link', async () => {
      const { result, message, link, token } = await invite('  New.Person@Example.com ', 'reviewer', 'Nia New');
      expect(result).toEqual({
        userId: expect.stringMatching(/^usr_/),
        email: 'new.person@example.com',
        outcome: 'invited',
      });
      expect(mail).toHaveLength(1);
      expect(message?.to).toEqual(['new.person@example.com']);
      expect(message?.subject).toBe('[Loopgate] Ada Admin invited you to Default workspace');
      expect(message?.text).toContain(
        'Ada Admin invited you to the Loopgate workspace "Default workspace" (default) as reviewer.',
      );
      expect(link).toBe(`https://lg.example.com/invite/${token}`);
      expect(message?.text).toContain(`expires on ${new Date(now + INVITATION_TTL_MS).toISOString()}`);

      const stored = await store.read.invitations.findByHash(hashToken(token));
      expect(stored).toMatchObject({
        workspaceId: workspace.id,
        userId: result.userId,
        invitedBy: principals.admin.actor.id,
        createdAt: now,
        expiresAt: now + INVITATION_TTL_MS,
        usedAt: null,
        revokedAt: null,
      });
      expect(await store.read.invitations.findByHash(token)).toBeNull();
      const user = await store.read.users.findById(result.userId);
      expect(user).toMatchObject({ email: 'new.person@example.com', name: 'Nia New', passwordHash: null });
      expect(await store.read.users.findMembership(workspace.id, result.userId)).toMatchObject({ role: 'reviewer' });
      const members = await listMembers({ store, clock }, principals.admin);
      expect(members.find((m) => m.userId === result.userId)?.pending).toBe(true);
      expect(members.find((m) => m.email === 'admin@example.com')?.pending).toBe(false);
    });

    test('opening the link changes nothing: still unused, still no password, still no login', async () => {
      const { result, token } = await invite('opener@example.com', 'viewer');
      for (let i = 0; i < 3; i++) {
        expect(await openInvitation({ store, clock }, token)).toEqual({
          email: 'opener@example.com',
          name: null,
          role: 'viewer',
          workspace: { slug: 'default', name: 'Default workspace' },
          expiresAt: now + INVITATION_TTL_MS,
        });
      }
      expect((await store.read.invitations.findByHash(hashToken(token)))?.usedAt).toBeNull();
      expect((await store.read.users.findById(result.userId))?.passwordHash).toBeNull();
      expect(await canLogIn('opener@example.com', '')).toBe(false);
      expect(await canLogIn('opener@example.com', PASSWORD)).toBe(false);
    });

    test('accepting sets the password, starts a session, and works once', async () => {
      const { result, token } = await invite('accepter@example.com', 'reviewer');
      const login = await acceptInvitation(acceptDeps(), token, PASSWORD, '192.0.2.1');
      const session = await authenticateSession({ store, clock }, login.token);
      expect(session?.principal).toEqual({
        workspaceId: workspace.id,
        role: 'reviewer',
        actor: { type: 'user', id: result.userId, name: 'accepter@example.com' },
      });
      expect((await store.read.invitations.findByHash(hashToken(token)))?.usedAt).toBe(now);
      expect(await canLogIn('accepter@example.com', PASSWORD)).toBe(true);
      const members = await listMembers({ store, clock }, principals.admin);
      expect(members.find((m) => m.userId === result.userId)?.pending).toBe(false);

      const again = await refusal(acceptInvitation(acceptDeps(), token, 'another long password', '192.0.2.1'));
      expect(again).toMatchObject({ code: 'invitation_invalid', status: 410 });
      expect(again.message).toContain('already been accepted');
      expect(await canLogIn('accepter@example.com', 'another long password')).toBe(false);
      expect(await refusal(openInvitation({ store, clock }, token))).toMatchObject({ code: 'invitation_invalid' });
    });

    test('a too-short password is refused with the usual rule and leaves the link usable', async () => {
      const { result, token } = await invite('short@example.com');
      const short = await refusal(acceptInvitation(acceptDeps(), token, 'too short', '192.0.2.1'));
      expect(short).toMatchObject({ code: 'validation_failed', message: 'Passwords need at least 12 characters' });
      expect((await store.read.users.findById(result.userId))?.passwordHash).toBeNull();
      await acceptInvitation(acceptDeps(), token, PASSWORD, '192.0.2.1');
      expect(await canLogIn('short@example.com', PASSWORD)).toBe(true);
    });

    test('a link stops working after 7 days', async () => {
      const { result, token } = await invite('late@example.com');
      const sent = now;
      now = sent + INVITATION_TTL_MS - 1;
      await expect(openInvitation({ store, clock }, token)).resolves.toMatchObject({ email: 'late@example.com' });
      now = sent + INVITATION_TTL_MS;
      const expired = await refusal(acceptInvitation(acceptDeps(), token, PASSWORD, '192.0.2.1'));
      expect(expired).toMatchObject({ code: 'invitation_invalid', status: 410 });
      expect(expired.message).toContain('expired');
      expect((await store.read.users.findById(result.userId))?.passwordHash).toBeNull();
      expect((await store.read.invitations.findByHash(hashToken(token)))?.usedAt).toBeNull();
    });

    test('inviting the same address again sends a new link and ends the old one', async () => {
      const first = await invite('twice@example.com', 'viewer');
      const second = await invite('TWICE@example.com', 'reviewer');
      expect(second.result.userId).toBe(first.result.userId);
      expect(second.token).not.toBe(first.token);
      expect(mail).toHaveLength(2);
      const old = await refusal(openInvitation({ store, clock }, first.token));
      expect(old).toMatchObject({ code: 'invitation_invalid' });
      expect(old.message).toContain('newer invitation');
      await expect(refusal(acceptInvitation(acceptDeps(), first.token, PASSWORD, 'x'))).resolves.toMatchObject({
        code: 'invitation_invalid',
      });
      // The second invitation's role is the membership's role now.
      expect((await openInvitation({ store, clock }, second.token)).role).toBe('reviewer');
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

    test('someone with a password is added and told where to log in; their password stays theirs', async () => {
      const other = await createWorkspace({ store, clock }, `elsewhere-${database}`, 'Elsewhere');
      await upsertUser(
        { store, clock },
        { email: 'known@example.com', password: PASSWORD, role: 'viewer', workspaceSlug: other.slug },
      );
      const { result, message, token } = await invite('known@example.com', 'reviewer');
      expect(result.outcome).toBe('added');
      expect(token).toBe('');
      expect(message?.subject).toBe('[Loopgate] Ada Admin added you to Default workspace');
      expect(message?.text).toContain('Log in with your existing password at https://lg.example.com/login');
      expect(await store.read.users.findMembership(workspace.id, result.userId)).toMatchObject({ role: 'reviewer' });
      expect(await canLogIn('known@example.com', PASSWORD)).toBe(true);

      const again = await refusal(inviteMember(deps, principals.admin, { email: 'known@example.com', role: 'admin' }));
      expect(again).toMatchObject({ code: 'conflict', status: 409 });
      expect(await store.read.users.findMembership(workspace.id, result.userId)).toMatchObject({ role: 'reviewer' });
      const self = await refusal(inviteMember(deps, principals.admin, { email: 'admin@example.com', role: 'viewer' }));
      expect(self).toMatchObject({ code: 'conflict' });
      expect(await store.read.users.findMembership(workspace.id, principals.admin.actor.id ?? '')).toMatchObject({
        role: 'admin',
      });
    });

    test('an admin who adds a pending invitee with a password ends the invitation', async () => {
      const { token } = await invite('overridden@example.com');
      await upsertUser({ store, clock }, { email: 'overridden@example.com', password: PASSWORD, role: 'viewer' });
      expect(await canLogIn('overridden@example.com', PASSWORD)).toBe(true);
      const refused = await refusal(acceptInvitation(acceptDeps(), token, 'a different password', 'x'));
      expect(refused).toMatchObject({ code: 'invitation_invalid' });
      expect(refused.message).toContain('already has a password');
      expect(await canLogIn('overridden@example.com', 'a different password')).toBe(false);
    });

    test('the same new address created or invited several times at once: one account, every call succeeds', async () => {
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
      const user = await store.read.users.findByEmail('race2@example.com');
      const members = (await listMembers({ store, clock }, principals.admin)).filter(
        (m) => m.email === 'race2@example.com',
      );
      expect(members.map((m) => m.userId)).toEqual([user?.id]);
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
