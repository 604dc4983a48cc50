import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { AttemptBudget, AttemptCharge, AttemptLimiter, AttemptVerdict } from '../domain/reviewers/login-limits.js';

export interface AttemptLimiterOptions {
  logger: Logger;
  /** Shared counts across processes; without it each process counts in its own memory. */
  redis?: Redis;
  /** Namespaces the Redis keys (tests use one per test so they never share counts). */
  keyPrefix?: string;
}

export const DEFAULT_KEY_PREFIX = 'loopgate:attempts';

/** How often the "Redis is unreachable" warning may repeat while it stays unreachable. */
const WARN_EVERY_MS = 60_000;

/**
 * The domain's AttemptLimiter over rate-limiter-flexible: fixed windows per budget, counted atomically
 * in Redis (one Lua script per attempt) when a client is given, else in process memory, where each key
 * expires with its window — there is no cap on keys and nothing is ever wiped early.
 *
 * When Redis fails (down, unreachable, too slow), the attempt is counted in this process's memory
 * instead and a warning is logged, at most once a minute, until Redis answers again. Of the three ways
 * to fail this is the one that keeps both promises of a limit: refusing everyone ("fail closed") would
 * turn a Redis outage into a login outage, and letting everything through ("fail open") would switch
 * guessing protection off without anyone noticing. Meanwhile the limits hold per process, as they do
 * without Redis at all.
 */
export class FlexibleAttemptLimiter implements AttemptLimiter {
  private readonly memory = new Map<string, RateLimiterMemory>();
  private readonly shared = new Map<string, RateLimiterRedis>();
  private readonly keyPrefix: string;
  private degradedSince: number | null = null;
  private lastWarning = 0;

  constructor(private readonly options: AttemptLimiterOptions) {
    this.keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  }

  /** Connects a Redis client tuned for this: commands fail at once while disconnected instead of queueing. */
  static async connect(url: string, logger: Logger, keyPrefix?: string): Promise<FlexibleAttemptLimiter> {
    const redis = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      // A login must not hang on a stalled Redis: past this, the attempt is counted in memory.
      commandTimeout: 500,
      // Stopping should not wait on a Redis that is down.
      disconnectTimeout: 100,
    });
    redis.on('error', (error) => logger.debug({ err: error }, 'redis (attempt limits): connection error'));
    try {
      await redis.connect();
    } catch (error) {
      // Not fatal: attempts are counted in memory (with a warning) until Redis answers; ioredis keeps retrying.
      logger.warn({ err: error }, 'redis (attempt limits): not reachable at start; counting in memory meanwhile');
    }
    return new FlexibleAttemptLimiter({ logger, redis, keyPrefix });
  }

  async take(charges: readonly AttemptCharge[]): Promise<AttemptVerdict> {
    for (const [index, charge] of charges.entries()) {
      try {
        await this.run(charge.budget, (limiter) => limiter.consume(storedKey(charge.key)));
      } catch (error) {
        if (!(error instanceof RateLimiterRes)) throw error;
        // All or nothing: a refused attempt was never made, so it spends no budget, not even the one
        // that refused it (the store counted it on the way to saying no).
        await this.refund(charges.slice(0, index + 1));
        return { allowed: false, budget: charge.budget, retryAfterMs: error.msBeforeNext };
      }
    }
    return { allowed: true };
  }

  async refund(charges: readonly AttemptCharge[]): Promise<void> {
    await Promise.all(
      charges.map((charge) => this.run(charge.budget, (limiter) => limiter.reward(storedKey(charge.key)))),
    );
  }

  async forget(charges: readonly AttemptCharge[]): Promise<void> {
    await Promise.all(
      charges.map((charge) => this.run(charge.budget, (limiter) => limiter.delete(storedKey(charge.key)))),
    );
  }

  async close(): Promise<void> {
    const redis = this.options.redis;
    if (!redis) return;
    await redis.quit().catch(() => undefined);
    // quit() cannot reach a Redis that is down; this also stops ioredis reconnecting.
    redis.disconnect();
  }

  private async run<T>(budget: AttemptBudget, operation: (limiter: RateLimiterAbstract) => Promise<T>): Promise<T> {
    const shared = this.sharedFor(budget);
    if (shared) {
      try {
        const result = await operation(shared);
        this.recovered();
        return result;
      } catch (error) {
        // A RateLimiterRes is the limit answering "no"; anything else is Redis failing.
        if (error instanceof RateLimiterRes) {
          this.recovered();
          throw error;
        }
        this.degraded(error);
      }
    }
    return operation(this.memoryFor(budget));
  }

  private memoryFor(budget: AttemptBudget): RateLimiterMemory {
    let limiter = this.memory.get(budget.name);
    if (!limiter) {
      limiter = new RateLimiterMemory({
        keyPrefix: budget.name,
        points: budget.attempts,
        duration: budget.windowSeconds,
      });
      this.memory.set(budget.name, limiter);
    }
    return limiter;
  }

  private sharedFor(budget: AttemptBudget): RateLimiterRedis | null {
    const redis = this.options.redis;
    if (!redis) return null;
    let limiter = this.shared.get(budget.name);
    if (!limiter) {
      limiter = new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${this.keyPrefix}:${budget.name}`,
        points: budget.attempts,
        duration: budget.windowSeconds,
        rejectIfRedisNotReady: true,
      });
      this.shared.set(budget.name, limiter);
    }
    return limiter;
  }

  private degraded(error: unknown): void {
    const now = Date.now();
    this.degradedSince ??= now;
    if (now - this.lastWarning < WARN_EVERY_MS) return;
    this.lastWarning = now;
    this.options.logger.warn(
      { err: error, since: new Date(this.degradedSince).toISOString() },
      'redis (attempt limits): unreachable; counting login and request limits in this process only until it answers',
    );
  }

  private recovered(): void {
    if (this.degradedSince === null) return;
    this.options.logger.info(
      { since: new Date(this.degradedSince).toISOString() },
      'redis (attempt limits): shared again',
    );
    this.degradedSince = null;
    this.lastWarning = 0;
  }
}

/**
 * Keys are hashed: fixed length whatever a client sends, and no e-mail addresses sit in Redis or in a
 * heap dump in the clear.
 */
function storedKey(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}

/** A per-process limiter, for a single process or for tests. */
export function memoryAttemptLimiter(logger?: Logger): FlexibleAttemptLimiter {
  return new FlexibleAttemptLimiter({ logger: logger ?? pino({ level: 'silent' }) });
}
