import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { AttemptBudget, AttemptCharge } from '../domain/reviewers/login-limits.js';
import { FlexibleAttemptLimiter, memoryAttemptLimiter } from './attempt-limiter.js';

const REDIS_URL = process.env.LOOPGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Nothing listens here: connecting is refused at once. */
const DEAD_REDIS_URL = 'redis://127.0.0.1:1';

const BUDGET: AttemptBudget = { name: 'test-budget', attempts: 5, windowSeconds: 60 };
const charge = (key: string, budget = BUDGET): AttemptCharge => ({ budget, key });

/** A unique key prefix per test, so tests sharing the one Redis never share counts. */
const uniquePrefix = () => `loopgate:test:${randomBytes(6).toString('hex')}`;

function capturingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

async function takeTimes(limiter: FlexibleAttemptLimiter, charges: AttemptCharge[], times: number) {
  const verdicts = [];
  for (let i = 0; i < times; i++) verdicts.push((await limiter.take(charges)).allowed);
  return verdicts;
}

describe('attempt limiter: memory', () => {
  test('refuses past the budget, naming it and the wait; other keys keep their own budget', async () => {
    const limiter = memoryAttemptLimiter();
    expect(await takeTimes(limiter, [charge('a')], 7)).toEqual([true, true, true, true, true, false, false]);
    const refused = await limiter.take([charge('a')]);
    expect(refused).toMatchObject({ allowed: false, budget: BUDGET });
    if (!refused.allowed) {
      expect(refused.retryAfterMs).toBeGreaterThan(55_000);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000);
    }
    expect((await limiter.take([charge('b')])).allowed).toBe(true);
  });

  test('all or nothing: a refused attempt spends none of its budgets', async () => {
    const limiter = memoryAttemptLimiter();
    const narrow: AttemptBudget = { name: 'narrow', attempts: 1, windowSeconds: 60 };
    await limiter.take([charge('pair', narrow)]);
    for (let i = 0; i < 10; i++) {
      expect(await limiter.take([charge('account'), charge('pair', narrow)])).toMatchObject({
        allowed: false,
        budget: narrow,
      });
    }
    // Ten refusals later the account's budget is whole, and the narrow one did not count past its limit.
    expect(await takeTimes(limiter, [charge('account')], 6)).toEqual([true, true, true, true, true, false]);
    await limiter.refund([charge('pair', narrow)]);
    expect((await limiter.take([charge('pair', narrow)])).allowed).toBe(true);
  });

  test('refund gives an attempt back; forget clears the count', async () => {
    const limiter = memoryAttemptLimiter();
    await takeTimes(limiter, [charge('k')], 5);
    await limiter.refund([charge('k')]);
    expect(await takeTimes(limiter, [charge('k')], 2)).toEqual([true, false]);
    await limiter.forget([charge('k')]);
    expect(await takeTimes(limiter, [charge('k')], 6)).toEqual([true, true, true, true, true, false]);
  });

  test('a window ends and the budget is whole again', async () => {
    const limiter = memoryAttemptLimiter();
    const short: AttemptBudget = { name: 'short', attempts: 1, windowSeconds: 1 };
    expect(await takeTimes(limiter, [charge('k', short)], 2)).toEqual([true, false]);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await limiter.take([charge('k', short)])).allowed).toBe(true);
  });

  // The old per-process limiter cleared its whole map at 50,000 keys, so filling it with junk keys
  // handed a locked-out attacker a fresh budget.
  test('many other keys do not wipe a spent budget', async () => {
    const limiter = memoryAttemptLimiter();
    await takeTimes(limiter, [charge('victim')], 5);
    for (let i = 0; i < 60_000; i++) await limiter.take([charge(`junk-${i}`)]);
    expect((await limiter.take([charge('victim')])).allowed).toBe(false);
  });
});

describe('attempt limiter: Redis', () => {
  const open: FlexibleAttemptLimiter[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((limiter) => limiter.close()));
  });
  const connect = async (url: string, prefix: string, logger = pino({ level: 'silent' })) => {
    const limiter = await FlexibleAttemptLimiter.connect(url, logger, prefix);
    open.push(limiter);
    return limiter;
  };

  test('two limiters on one Redis spend one budget', async () => {
    const prefix = uniquePrefix();
    const [a, b] = [await connect(REDIS_URL, prefix), await connect(REDIS_URL, prefix)];
    expect(await takeTimes(a, [charge('k')], 3)).toEqual([true, true, true]);
    expect(await takeTimes(b, [charge('k')], 3)).toEqual([true, true, false]);
    expect((await a.take([charge('k')])).allowed).toBe(false);
    await b.forget([charge('k')]);
    expect((await a.take([charge('k')])).allowed).toBe(true);
    // Another prefix is another budget.
    const c = await connect(REDIS_URL, uniquePrefix());
    expect((await c.take([charge('k')])).allowed).toBe(true);
  });

  test('unreachable Redis: attempts are counted in memory, still limited, with a warning', async () => {
    const { logger, lines } = capturingLogger();
    const limiter = await connect(DEAD_REDIS_URL, uniquePrefix(), logger);
    expect(await takeTimes(limiter, [charge('k')], 6)).toEqual([true, true, true, true, true, false]);
    await limiter.refund([charge('k')]);
    expect((await limiter.take([charge('k')])).allowed).toBe(true);
    const warnings = lines.filter((line) => line.level === 40);
    expect(warnings.map((w) => w.msg)).toEqual(
      expect.arrayContaining([expect.stringContaining('counting login and request limits in this process only')]),
    );
    // Warned once, not once per attempt.
    expect(warnings.filter((w) => w.msg.includes('in this process only'))).toHaveLength(1);
  });
});
