import { DATABASES } from '../../test-support/databases.js';
import { FakeAttemptLimiter } from '../../test-support/fake-attempt-limiter.js';
import { LINK, PASSWORD, useInvitationsWorld } from '../../test-support/invitations-world.js';
import { refusal } from '../../test-support/outcomes.js';
import { upsertUser } from '../admin/users.js';
import { acceptInvitation, inviteMember, listInvitations, openInvitation } from './invitations.js';

for (const database of DATABASES) {
  describe(`${database}: invitation races and limits`, () => {
    const w = useInvitationsWorld(database);

    test('the same new address created or invited several times at once: one account or none, one live link', async () => {
      const created = await Promise.all(
        Array.from({ length: 6 }, () =>
          upsertUser(w.base, { email: 'Race@Example.com', password: PASSWORD, role: 'reviewer' }),
        ),
      );
      expect(new Set(created.map((r) => r.userId)).size).toBe(1);
      expect(created.filter((r) => r.created)).toHaveLength(1);
      const invited = await Promise.all(
        Array.from({ length: 4 }, () =>
          inviteMember(w.deps, w.principals.admin, { email: 'race2@example.com', role: 'viewer' }),
        ),
      );
      expect(invited).toHaveLength(4);
      expect(await w.store.read.users.findByEmail('race2@example.com')).toBeNull();
      expect(
        (await listInvitations(w.base, w.principals.admin)).filter((i) => i.email === 'race2@example.com'),
      ).toHaveLength(1);
      const tokens = w.mail.filter((m) => m.to[0] === 'race2@example.com').map((m) => LINK.exec(m.text)?.[2] ?? '');
      const live = await Promise.all(
        tokens.map((token) =>
          openInvitation(w.base, token).then(
            () => true,
            () => false,
          ),
        ),
      );
      expect(live.filter(Boolean)).toHaveLength(1);
    });

    test('invitations of two workspaces to one new address accepted at once: one account, one password', async () => {
      const other = await w.otherAdmin('parallel');
      const ours = await w.invite('both@example.com', 'reviewer');
      await inviteMember(w.deps, other, { email: 'both@example.com', role: 'viewer' });
      const theirs = LINK.exec(w.mail[w.mail.length - 1]?.text ?? '')?.[2] ?? '';
      const limiter = new FakeAttemptLimiter(w.clock);
      // The same password in both tabs: both join, whichever created the account.
      const same = await Promise.allSettled([
        acceptInvitation({ ...w.base, limiter }, ours.token, PASSWORD, '192.0.2.1'),
        acceptInvitation({ ...w.base, limiter }, theirs, PASSWORD, '192.0.2.2'),
      ]);
      expect(same.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
      const user = await w.store.read.users.findByEmail('both@example.com');
      expect(await w.store.read.users.findMembership(w.workspace.id, user?.id ?? '')).toMatchObject({
        role: 'reviewer',
      });
      expect(await w.store.read.users.findMembership(other.workspaceId, user?.id ?? '')).toMatchObject({
        role: 'viewer',
      });

      const a = await w.invite('split@example.com', 'reviewer');
      await inviteMember(w.deps, other, { email: 'split@example.com', role: 'viewer' });
      const b = LINK.exec(w.mail[w.mail.length - 1]?.text ?? '')?.[2] ?? '';
      // Different passwords: the first to commit chooses it; the other must then prove it, and its link stays usable.
      const split = await Promise.allSettled([
        acceptInvitation({ ...w.base, limiter }, a.token, 'first racer password', '192.0.2.1'),
        acceptInvitation({ ...w.base, limiter }, b, 'second racer password', '192.0.2.2'),
      ]);
      const won = split.findIndex((o) => o.status === 'fulfilled');
      expect(split.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect((split[1 - won] as PromiseRejectedResult).reason).toMatchObject({ code: 'unauthorized' });
      const winner = won === 0 ? 'first racer password' : 'second racer password';
      const loser = won === 0 ? 'second racer password' : 'first racer password';
      expect(await w.canLogIn('split@example.com', winner)).toBe(true);
      expect(await w.canLogIn('split@example.com', loser)).toBe(false);
      const loserToken = won === 0 ? b : a.token;
      expect((await openInvitation(w.base, loserToken)).hasPassword).toBe(true);
      await acceptInvitation({ ...w.base, limiter }, loserToken, winner, '192.0.2.3');
    });

    test('two concurrent accepts: exactly one wins, the other changes nothing', async () => {
      const { token } = await w.invite('racer@example.com');
      const limiter = new FakeAttemptLimiter(w.clock);
      const outcomes = await Promise.allSettled([
        acceptInvitation({ ...w.base, limiter }, token, 'first racer password', '192.0.2.1'),
        acceptInvitation({ ...w.base, limiter }, token, 'second racer password', '192.0.2.2'),
      ]);
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect([won.length, lost.length]).toEqual([1, 1]);
      expect(lost[0]?.reason).toMatchObject({ code: 'invitation_invalid' });
      const winner = outcomes[0]?.status === 'fulfilled' ? 'first racer password' : 'second racer password';
      const loser = winner === 'first racer password' ? 'second racer password' : 'first racer password';
      expect(await w.canLogIn('racer@example.com', winner)).toBe(true);
      expect(await w.canLogIn('racer@example.com', loser)).toBe(false);
    });

    test('refused attempts are limited per token and client address', async () => {
      const { token } = await w.invite('limited@example.com');
      const limiter = new FakeAttemptLimiter(w.clock);
      for (let i = 0; i < 5; i++) {
        await expect(
          refusal(acceptInvitation({ ...w.base, limiter }, token, `short ${i}`, '198.51.100.7')),
        ).resolves.toMatchObject({ code: 'validation_failed' });
      }
      await expect(
        refusal(acceptInvitation({ ...w.base, limiter }, token, PASSWORD, '198.51.100.7')),
      ).resolves.toMatchObject({ code: 'rate_limited', status: 429 });
      // Another address is not held back by this one's failures.
      await acceptInvitation({ ...w.base, limiter }, token, PASSWORD, '198.51.100.8');
      expect(await w.canLogIn('limited@example.com', PASSWORD)).toBe(true);
    });
  });
}
