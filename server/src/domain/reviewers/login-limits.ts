import { isIPv4, isIPv6 } from 'node:net';
import { AppError } from '../kernel/errors.js';

/**
 * Budgets of attempts that guessing costs: failed logins, refused invitation passwords, unsigned Slack
 * requests. The domain names each budget and sizes it; an adapter (src/limits/) keeps the counts, in
 * process memory or in Redis so that every server process spends from the same budget.
 *
 * An attempt is taken from every budget it falls under *before* the work is done and given back when it
 * succeeds. Taking first is what makes the limit hold under concurrency: a burst of parallel guesses
 * cannot all pass a check before any of them is counted.
 */
export interface AttemptBudget {
  /** Stable name: part of the storage key, so budgets never share counts. */
  readonly name: string;
  /** Attempts allowed per window. */
  readonly attempts: number;
  /** A fixed window that starts with the first attempt it counts. */
  readonly windowSeconds: number;
}

export interface AttemptCharge {
  readonly budget: AttemptBudget;
  readonly key: string;
}

export type AttemptVerdict =
  | { allowed: true }
  | {
      allowed: false;
      /** The budget that ran out (the first of them, in the order charged). */
      budget: AttemptBudget;
      retryAfterMs: number;
    };

/** The port the domain spends budgets through; tests pass fakes. */
export interface AttemptLimiter {
  /**
   * Takes one attempt from each charge's budget, or — when any of them has none left — from none:
   * a refused attempt is not made, so retrying while refused does not spend anyone's budget further.
   */
  take(charges: readonly AttemptCharge[]): Promise<AttemptVerdict>;
  /** Gives back one attempt to each charge: the attempt succeeded and should not count. */
  refund(charges: readonly AttemptCharge[]): Promise<void>;
  /** Forgets a charge's count: a success ends a run of one person's mistakes. */
  forget(charges: readonly AttemptCharge[]): Promise<void>;
}

const MINUTE = 60;
const HOUR = 60 * MINUTE;

/**
 * The numbers (also in docs/operations.md). A person who mistypes is stopped briefly; an attacker is
 * bounded whichever way they spread their guesses:
 * - one account from one address: 5 per 15 min (the lock a person who forgot their password meets);
 * - one account from any number of addresses: 20 per hour (spraying one account from a botnet);
 * - one address against any number of accounts or invitations: 100 per hour (one address trying many
 *   accounts). Generous because everyone behind one NAT — or behind a proxy Loopgate is not told to
 *   trust — shares it;
 * - unsigned or mis-signed Slack requests from one address: 30 per minute. Signed requests give
 *   their attempt back, so Slack's own traffic never runs out.
 * A success forgets the first and gives its attempt back to the others; it never resets an account's or
 * an address's count, which would let a valid login wash out an attacker's failures.
 */
export const BUDGETS = {
  loginAccountAddress: { name: 'login-account-address', attempts: 5, windowSeconds: 15 * MINUTE },
  loginAccount: { name: 'login-account', attempts: 20, windowSeconds: HOUR },
  failuresPerAddress: { name: 'failures-address', attempts: 100, windowSeconds: HOUR },
  invitationTokenAddress: { name: 'invitation-token-address', attempts: 5, windowSeconds: 15 * MINUTE },
  slackRefusalsPerAddress: { name: 'slack-refusals-address', attempts: 30, windowSeconds: MINUTE },
} as const satisfies Record<string, AttemptBudget>;

/**
 * The part of a client address that one party controls: IPv4 as is (an IPv4-mapped IPv6 address is
 * the IPv4 address it maps), IPv6 by its /64, because a single host is routinely given a whole /64 and
 * could otherwise step through 2^64 addresses, each with a fresh budget.
 */
export function addressBucket(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return mapped[1];
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = address.includes('::') ? 8 - headGroups.length - tailGroups.length : 0;
  const groups = [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/** The 429 a spent budget answers, with the wait in words and as Retry-After. */
export function attemptsRefused(verdict: Extract<AttemptVerdict, { allowed: false }>, what: string): AppError {
  const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
  const wait = seconds < 120 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`;
  return new AppError('rate_limited', `${what}; try again in ${wait}`, undefined, { retryAfterSeconds: seconds });
}
