import { randomBytes } from 'node:crypto';
import { signWebhook } from '@loopgate/shared';
import type { Logger } from 'pino';
import { combinePolicies, type TargetPolicy } from '../domain/delivery/callback-targets.js';
import type { LocalDispatch } from '../domain/delivery/delivery-hook.js';
import type { DeliveryOutcome, DeliveryRecord } from '../domain/delivery/delivery-ports.js';
import { deliveryContext } from '../domain/delivery/url-checks.js';
import type { TaskEventBus } from '../domain/kernel/bus.js';
import type { Store } from '../domain/store.js';
import type { HttpPost, SendResult } from '../notify/http-sender.js';

/**
 * Waits between attempts, after the 1st, 2nd, … failure. Jitter scales each by 0.8–1.2, so a receiver
 * that was down does not get every delivery back at the same instant; even at the low end the retries
 * span more than three days (≈ 83 h) before a delivery is given up as failed.
 */
export const RETRY_DELAYS_MS = [
  5_000,
  60_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3600_000,
  5 * 3600_000,
  10 * 3600_000,
  14 * 3600_000,
  24 * 3600_000,
  24 * 3600_000,
  24 * 3600_000,
];
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

export interface OutboxWorkerOptions {
  store: Store;
  clock: () => number;
  logger: Logger;
  post: HttpPost;
  /** Bound on one HTTP attempt, connect to last byte. */
  timeoutMs: number;
  /** How often to look for due rows (retries, rows of processes that died) when nothing wakes the worker. */
  pollMs: number;
  /** Sends in flight at once, per process. */
  concurrency: number;
  /** The targets the server allows everywhere (LOOPGATE_ALLOW_PRIVATE_CALLBACKS, LOOPGATE_CALLBACK_ALLOWLIST). */
  serverPolicy: TargetPolicy;
  /** Announces committed task changes; a change whose deliveries this process leased is sent at once. */
  bus?: TaskEventBus;
  random?: () => number;
}

/** Whether a response counts as delivered, and what happens next if not. */
export function classify(
  result: SendResult,
  attemptNumber: number,
  now: number,
  random: () => number,
): { outcome: DeliveryOutcome; gone: boolean } {
  const code = result.statusCode;
  if (code !== null && code >= 200 && code < 300) return { outcome: { status: 'delivered', at: now }, gone: false };
  // 410 Gone: the receiver says this URL is finished (Zapier answers it after an unsubscribe).
  if (code === 410) return { outcome: { status: 'failed' }, gone: true };
  const delay = RETRY_DELAYS_MS[attemptNumber - 1];
  if (delay === undefined) return { outcome: { status: 'failed' }, gone: false };
  const jittered = Math.round(delay * (0.8 + 0.4 * random()));
  return { outcome: { status: 'pending', nextAttemptAt: now + jittered }, gone: false };
}

function describe(result: SendResult): string | null {
  if (result.error) return result.error;
  const code = result.statusCode;
  if (code === null || (code >= 200 && code < 300)) return null;
  if (code >= 300 && code < 400) return `HTTP ${code}: redirects are not followed; register the final URL`;
  return `HTTP ${code}`;
}

/**
 * Sends the outbox. Safe with any number of processes: a row is sent only by whoever holds its lease,
 * taken with a compare-and-set on its due time (the lease end becomes the new due time, so a crashed
 * holder's rows come due again by themselves). An attempt's outcome is recorded only while the lease is
 * still held. A crash between send and record means the row is sent again after the lease, with the
 * same `webhook-id`: delivery is at-least-once and receivers de-duplicate on that id.
 */
export class OutboxWorker implements LocalDispatch {
  private running = false;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private currentPoll: Promise<void> | undefined;
  private pollAgain = false;
  private backlog = false;
  private readonly leased = new Map<string, { id: string; token: string; at: number }[]>();
  private readonly active = new Set<Promise<void>>();
  private unsubscribe: (() => void) | undefined;
  private readonly random: () => number;
  readonly leaseMs: number;

  constructor(private readonly options: OutboxWorkerOptions) {
    this.random = options.random ?? Math.random;
    // Long enough that a send still in flight never outlives its lease.
    this.leaseMs = 2 * options.timeoutMs + 1_000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.options.bus?.subscribe((message) => this.sendLeased(message.taskId));
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    // A poll in progress may still start sends: wait for it, then for every send to be recorded.
    // (Waiting on the promises themselves, never spinning: a spin would starve the poll's own I/O.)
    await this.currentPoll;
    while (this.active.size > 0) await Promise.allSettled([...this.active]);
  }

  /** Wakes the poller now (e.g. after a redeliver). */
  kick(): void {
    if (this.running) this.schedule(0);
  }

  lease(taskId: string, deliveryId: string): { token: string; leaseUntil: number } | null {
    if (!this.running || this.inFlight + this.leasedCount() >= this.options.concurrency * 4) return null;
    const token = randomBytes(12).toString('hex');
    const now = this.options.clock();
    const list = this.leased.get(taskId) ?? [];
    list.push({ id: deliveryId, token, at: now });
    this.leased.set(taskId, list);
    return { token, leaseUntil: now + this.leaseMs };
  }

  private leasedCount(): number {
    let n = 0;
    for (const list of this.leased.values()) n += list.length;
    return n;
  }

  /** Sends the rows this process leased while writing a task's change, once that change is committed. */
  private sendLeased(taskId: string): void {
    const list = this.leased.get(taskId);
    if (!list) return;
    this.leased.delete(taskId);
    for (const entry of list) this.track(this.sendIfStillLeased(entry));
  }

  private async sendIfStillLeased(entry: { id: string; token: string; at: number }): Promise<void> {
    const row = await this.options.store.read.deliveries.findForWorker(entry.id);
    if (row && row.status === 'pending' && row.leaseToken === entry.token) {
      await this.deliver(row, entry.token);
      return;
    }
    // Not visible yet (its transaction has not committed) or rolled back: let the poller decide later.
    if (!row && this.options.clock() - entry.at < this.leaseMs) this.keep(entry);
  }

  private keep(entry: { id: string; token: string; at: number }): void {
    const key = `retry:${entry.id}`;
    const list = this.leased.get(key) ?? [];
    list.push(entry);
    this.leased.set(key, list);
  }

  private track(work: Promise<void>): void {
    this.inFlight++;
    const tracked = work
      .catch((error) => this.options.logger.error({ err: error }, 'outbox: delivery failed unexpectedly'))
      .finally(() => {
        this.inFlight--;
        this.active.delete(tracked);
        // A full batch last time means more rows are waiting: refill the freed slots now rather than at
        // the next poll, in batches (one claim transaction per half of the slots, not per row).
        if (this.backlog && this.inFlight <= this.options.concurrency / 2) this.schedule(0);
      });
    this.active.add(tracked);
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.currentPoll = this.poll();
    }, delayMs);
    this.timer.unref?.();
  }

  private async poll(): Promise<void> {
    this.timer = undefined;
    this.polling = true;
    this.pollAgain = false;
    try {
      // Leased rows whose commit was not announced on the bus (or not yet visible): look again.
      for (const [key, list] of [...this.leased]) {
        if (!list.some((e) => this.options.clock() - e.at >= Math.min(1_000, this.options.pollMs))) continue;
        this.leased.delete(key);
        for (const entry of list) this.track(this.sendIfStillLeased(entry));
      }
      const free = this.options.concurrency - this.inFlight;
      if (free > 0) {
        const now = this.options.clock();
        const due = await this.options.store.read.deliveries.listDue(now, free);
        if (due.length > 0) {
          const claimed = await this.options.store.transaction(async (tx) => {
            const won: { row: DeliveryRecord; token: string }[] = [];
            for (const row of due) {
              const token = randomBytes(12).toString('hex');
              if (row.nextAttemptAt === null) continue;
              if (await tx.deliveries.claim(row.id, row.nextAttemptAt, token, now + this.leaseMs)) {
                won.push({ row, token });
              }
            }
            return won;
          });
          for (const { row, token } of claimed) this.track(this.deliver(row, token));
        }
        this.backlog = due.length === free;
      } else {
        this.backlog = true;
      }
    } catch (error) {
      this.options.logger.error({ err: error }, 'outbox: poll failed');
    } finally {
      this.polling = false;
      if (this.running) {
        if (this.pollAgain) this.schedule(0);
        else if (!this.timer) this.schedule(this.options.pollMs);
      }
    }
  }

  /** One attempt at a row this process holds the lease of `token` on. */
  private async deliver(row: DeliveryRecord, token: string): Promise<void> {
    const { store, clock, logger } = this.options;
    const context = await deliveryContext(this.options, row);
    const startedAt = clock();
    const attemptNumber = row.attempts + 1;
    let result: SendResult;
    if (!context) {
      result = { statusCode: null, error: 'The webhook subscription was deleted or disabled', latencyMs: 0 };
    } else {
      // Slack's incoming webhooks authenticate by their secret URL; they have no use for our signature.
      const headers =
        row.kind !== 'slack'
          ? await signWebhook(context.secrets, { id: row.id, timestamp: Math.floor(startedAt / 1000), body: row.body })
          : {};
      result = await this.options.post({
        url: row.url,
        body: row.body,
        headers: { ...headers, 'x-loopgate-event': row.eventType },
        timeoutMs: this.options.timeoutMs,
        policy: combinePolicies(this.options.serverPolicy, context.policy),
      });
    }
    const now = clock();
    const { outcome, gone } = context
      ? classify(result, attemptNumber, now, this.random)
      : { outcome: { status: 'failed' } as DeliveryOutcome, gone: false };
    const error = describe(result);
    const recorded = await store.transaction(async (tx) => {
      const ok = await tx.deliveries.complete(row.id, token, outcome, { statusCode: result.statusCode, error }, now);
      if (!ok) return false;
      await tx.deliveries.appendAttempt({
        deliveryId: row.id,
        workspaceId: row.workspaceId,
        attempt: attemptNumber,
        startedAt,
        statusCode: result.statusCode,
        latencyMs: result.latencyMs,
        error,
      });
      if (gone && row.kind === 'subscription' && row.subscriptionId) {
        await tx.webhooks.disable(row.workspaceId, row.subscriptionId, `The receiver answered 410 Gone`, now);
        await tx.deliveries.cancelPendingForSubscription(row.workspaceId, row.subscriptionId, now);
      }
      return true;
    });
    if (!recorded) logger.warn({ deliveryId: row.id }, 'outbox: lease lost before the attempt was recorded');
    else if (outcome.status !== 'delivered') {
      logger.warn(
        { deliveryId: row.id, attempt: attemptNumber, statusCode: result.statusCode, error, next: outcome.status },
        'outbox: delivery attempt failed',
      );
    }
  }
}
