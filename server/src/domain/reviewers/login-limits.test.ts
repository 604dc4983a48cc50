import { FakeAttemptLimiter } from '../../test-support/fake-attempt-limiter.js';
import type { UserRecord } from '../admin/admin-ports.js';
import type { AppError } from '../kernel/errors.js';
import { hashPassword } from '../kernel/secrets.js';
import type { Store } from '../store.js';
import { BUDGETS } from './login-limits.js';
import { logIn } from './sessions.js';

const PASSWORD = 'correct horse battery';
const NOW = Date.UTC(2026, 0, 5, 9, 0, 0);

/**
 * Login's budgets with the limiter and the store faked: which budgets an attempt spends, and that each
 * way of spreading guesses (one account from many addresses, one address against many accounts) runs
 * out. The store knows one user, rita@example.com, in one workspace.
 */
describe('login attempt budgets', () => {
  let now = NOW;
  const clock = () => now;
  let rita: UserRecord;
  let failSessionInsert = false;

  beforeAll(async () => {
    rita = {
      id: 'usr_rita',
      email: 'rita@example.com',
      name: 'Rita',
      passwordHash: await hashPassword(PASSWORD),
    } as UserRecord;
  });
  beforeEach(() => {
    now = NOW;
    failSessionInsert = false;
  });

  const store = {
    read: {
      users: { findByEmail: async (email: string) => (email === rita.email ? rita : null) },
      members: {
        workspacesOf: async (userId: string) =>
          userId === rita.id ? [{ workspaceId: 'wsp_1', slug: 'default', name: 'Default' }] : [],
      },
    },
    transaction: async <T>(work: (tx: unknown) => Promise<T>) =>
      work({
        sessions: {
          insert: async () => {
            if (failSessionInsert) throw new Error('database gone');
          },
          purgeExpired: async () => 0,
        },
      }),
  } as unknown as Store;

  const attempt = (limiter: FakeAttemptLimiter, email: string, password: string, clientAddress: string) =>
    logIn({ store, clock, limiter }, { email, password, clientAddress }).then(
      () => 'ok',
      (error: AppError) => (error.code === 'rate_limited' ? `429: ${error.message}` : error.code),
    );

  test('an attempt spends the address, account and pair budgets; a success gives them back', async () => {
    const limiter = new FakeAttemptLimiter(clock);
    expect(await attempt(limiter, 'Rita@Example.com ', 'wrong', '192.0.2.1')).toBe('unauthorized');
    expect(limiter.taken.map((c) => [c.budget.name, c.key])).toEqual([
      [BUDGETS.failuresPerAddress.name, '192.0.2.1'],
      [BUDGETS.loginAccount.name, 'rita@example.com'],
      [BUDGETS.loginAccountAddress.name, 'rita@example.com\u0000192.0.2.1'],
    ]);
    const [address, account, pair] = limiter.taken;
    if (!address || !account || !pair) throw new Error('expected three charges');
    expect([limiter.left(address), limiter.left(account), limiter.left(pair)]).toEqual([99, 19, 4]);
    expect(await attempt(limiter, 'rita@example.com', PASSWORD, '192.0.2.1')).toBe('ok');
    // The failure still counts for the account and the address; the pair starts afresh.
    expect([limiter.left(address), limiter.left(account), limiter.left(pair)]).toEqual([99, 19, 5]);
  });

  test('one account from many addresses: 20 failures an hour in all, then refused from every address', async () => {
    const limiter = new FakeAttemptLimiter(clock);
    const outcomes = [];
    for (let i = 1; i <= 22; i++)
      outcomes.push(await attempt(limiter, 'rita@example.com', `guess ${i}`, `198.51.100.${i}`));
    expect(outcomes.slice(0, 20)).toEqual(Array(20).fill('unauthorized'));
    expect(outcomes.slice(20)).toEqual(
      Array(2).fill(expect.stringMatching(/^429: Too many failed logins for this account; try again in 60 min$/)),
    );
    // The right password from a fresh address is refused too: the account's budget is spent.
    expect(await attempt(limiter, 'rita@example.com', PASSWORD, '203.0.113.9')).toMatch(/^429: .*this account/);
    now += BUDGETS.loginAccount.windowSeconds * 1000;
    expect(await attempt(limiter, 'rita@example.com', PASSWORD, '203.0.113.9')).toBe('ok');
  });

  test('one address against many accounts: 100 failures an hour, then refused for every account', async () => {
    const limiter = new FakeAttemptLimiter(clock);
    // 97 failures spent straight from the budget (each login costs a scrypt hash), then three real ones.
    for (let i = 0; i < 97; i++) await limiter.take([{ budget: BUDGETS.failuresPerAddress, key: '192.0.2.7' }]);
    const outcomes = [];
    for (let i = 1; i <= 4; i++) outcomes.push(await attempt(limiter, `user${i}@example.com`, 'guess', '192.0.2.7'));
    expect(outcomes.slice(0, 3)).toEqual(Array(3).fill('unauthorized'));
    expect(outcomes[3]).toMatch(/^429: Too many failed logins from your network; try again in 60 min$/);
    expect(await attempt(limiter, 'rita@example.com', PASSWORD, '192.0.2.7')).toMatch(/^429: /);
    // Another address is not held back.
    expect(await attempt(limiter, 'rita@example.com', PASSWORD, '192.0.2.8')).toBe('ok');
  });

  test('an IPv6 client cannot step through its /64 for fresh budgets; IPv4-mapped is its IPv4', async () => {
    const limiter = new FakeAttemptLimiter(clock);
    const outcomes = [];
    for (let i = 1; i <= 6; i++)
      outcomes.push(await attempt(limiter, 'rita@example.com', 'guess', `2001:db8:1:2::${i.toString(16)}`));
    expect(outcomes).toEqual([
      ...Array(5).fill('unauthorized'),
      expect.stringMatching(/^429: Too many failed logins;/),
    ]);
    const other = new FakeAttemptLimiter(clock);
    for (let i = 0; i < 5; i++) await attempt(other, 'rita@example.com', 'guess', '::ffff:192.0.2.1');
    expect(await attempt(other, 'rita@example.com', 'guess', '192.0.2.1')).toMatch(/^429: /);
  });

  test('refused attempts spend nothing more; our own failure gives the attempt back', async () => {
    const limiter = new FakeAttemptLimiter(clock);
    for (let i = 0; i < 5; i++) await attempt(limiter, 'rita@example.com', 'guess', '192.0.2.1');
    for (let i = 0; i < 10; i++)
      expect(await attempt(limiter, 'rita@example.com', 'guess', '192.0.2.1')).toMatch(/^429: /);
    const account = { budget: BUDGETS.loginAccount, key: 'rita@example.com' };
    expect(limiter.left(account)).toBe(15);
    failSessionInsert = true;
    await expect(
      logIn({ store, clock, limiter }, { email: rita.email, password: PASSWORD, clientAddress: '192.0.2.2' }),
    ).rejects.toThrow('database gone');
    expect(limiter.left(account)).toBe(15);
  });
});
