import { type DeliveryStatus, FINAL_TASK_STATUSES } from '@loopgate/shared';
import type { Store } from '../store.js';

/**
 * Pruning of the tables that only grow: the delivery outbox and its attempt log, login sessions,
 * e-mail review links and idempotency keys. Every delete is a bounded batch in its own short
 * transaction, repeated until a batch comes back short, so a large backlog never holds locks (or
 * SQLite's single writer) for long. Each batch re-checks its condition in the database, so any number
 * of processes may prune at once: a row one of them removed is simply not there for the others.
 */

export interface HousekeepingDeps {
  store: Pick<Store, 'transaction'>;
}

export interface PruneOptions {
  now: number;
  /**
   * How long finished deliveries (and review links of closed tasks, idempotency keys and dead invitations) are kept;
   * null keeps them forever. Expired sessions go whatever this says: nothing can use them.
   */
  deliveryRetentionMs: number | null;
  /** Rows per delete statement. */
  batchSize: number;
  /** Checked between batches: a stopping process does not wait for a long backlog. */
  signal?: AbortSignal;
}

export interface PruneResult {
  deliveries: number;
  deliveryAttempts: number;
  sessions: number;
  reviewLinks: number;
  idempotencyKeys: number;
  invitations: number;
}

/** What a run that finds nothing to remove reports. */
export const NOTHING_PRUNED: Readonly<PruneResult> = Object.freeze({
  deliveries: 0,
  deliveryAttempts: 0,
  sessions: 0,
  reviewLinks: 0,
  idempotencyKeys: 0,
  invitations: 0,
});

/**
 * A delivery is done with once it can no longer be sent: delivered, given up after its retries or on a
 * 410 (`failed`), or stopped with its subscription (`cancelled`). Named one by one rather than "not
 * pending", so a status added later is kept until someone decides it may go.
 */
export const FINISHED_DELIVERY_STATUSES = [
  'delivered',
  'failed',
  'cancelled',
] as const satisfies readonly DeliveryStatus[];

export async function pruneOnce(deps: HousekeepingDeps, options: PruneOptions): Promise<PruneResult> {
  const { now, deliveryRetentionMs, batchSize, signal } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('batchSize must be a positive integer');
  if (deliveryRetentionMs !== null && !(deliveryRetentionMs >= 0)) {
    throw new RangeError('deliveryRetentionMs must be null or at least 0');
  }
  const { store } = deps;
  const result: PruneResult = { ...NOTHING_PRUNED };
  const repeat = async (batch: () => Promise<number>): Promise<number> => {
    let total = 0;
    for (;;) {
      const removed = await batch();
      total += removed;
      if (removed < batchSize || signal?.aborted) return total;
    }
  };

  result.sessions = await repeat(() => store.transaction((tx) => tx.sessions.deleteExpired(now, batchSize)));
  if (deliveryRetentionMs === null || signal?.aborted) return result;
  const cutoff = now - deliveryRetentionMs;

  await repeat(async () => {
    const batch = await store.transaction((tx) =>
      tx.deliveries.deleteFinished(FINISHED_DELIVERY_STATUSES, cutoff, batchSize),
    );
    result.deliveries += batch.deliveries;
    result.deliveryAttempts += batch.attempts;
    return batch.selected;
  });
  if (signal?.aborted) return result;
  // Only links of closed tasks: while a task is open its links are the record that each reviewer was
  // mailed (the unique key sendReviewMails inserts against), so removing even a used or expired one
  // would mail that reviewer again on the task's next change. After the close they only let an old
  // link say "already decided" rather than "not valid", which is what the retention keeps them for.
  result.reviewLinks = await repeat(() =>
    store.transaction((tx) => tx.reviewLinks.deleteForClosedTasks(FINAL_TASK_STATUSES, cutoff, batchSize)),
  );
  if (signal?.aborted) return result;
  // A retry that comes back after the retention creates the task anew rather than replaying the first answer.
  result.idempotencyKeys = await repeat(() =>
    store.transaction((tx) => tx.idempotency.deleteCreatedBefore(cutoff, batchSize)),
  );
  if (signal?.aborted) return result;
  // Kept for the retention after the link stopped working, so an old link still says "expired" rather than "unknown".
  result.invitations = await repeat(() =>
    store.transaction((tx) => tx.invitations.deleteExpiredBefore(cutoff, batchSize)),
  );
  return result;
}
