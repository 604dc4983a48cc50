import type { Store } from '../store.js';
import type { Watermark } from './analytics-ports.js';
import { addCounts, type FoldOptions, foldTask, keyString, type Rollup } from './rollup.js';

export interface FoldDeps {
  store: Store;
  clock: () => number;
}

export interface FoldRunOptions extends FoldOptions {
  /** Tasks per transaction. */
  batchSize: number;
  /**
   * Only tasks closed at least this long ago are folded. A task's closed_at is stamped before its
   * transaction commits, so a task closed a moment before the watermark could still be committing; the
   * margin (well above any transaction's length and clock skew between processes) keeps it from being
   * passed over for good.
   */
  settleMs: number;
  signal?: AbortSignal;
}

/**
 * Folds every task closed since the watermark into the rollups, one batch per transaction, and moves
 * the watermark with each batch. Idempotent: a task is folded once, because the batch that folds it
 * also moves the watermark past it, compare-and-set; a run racing another (any process) loses the
 * compare-and-set, rolls back, and stops. Returns how many tasks it folded.
 */
export async function foldClosedTasks(deps: FoldDeps, options: FoldRunOptions): Promise<number> {
  let folded = 0;
  for (;;) {
    if (options.signal?.aborted) return folded;
    const now = deps.clock();
    const batch = await deps.store.transaction(async (tx) => {
      const watermark = await tx.analytics.readWatermark();
      const tasks = await tx.analytics.closedTasksAfter(watermark, now - options.settleMs, options.batchSize);
      const last = tasks.at(-1);
      if (!last) {
        await tx.analytics.touchWatermark(now);
        return 0;
      }
      const next: Watermark = { closedAt: last.closedAt, taskId: last.id, foldedAt: now };
      if (!(await tx.analytics.advanceWatermark(watermark, next))) return -1;
      const deltas = new Map<string, Rollup>();
      for (const task of tasks) {
        const { keys, reviewerName, counts } = foldTask(task, options);
        for (const key of keys) {
          const id = keyString(key);
          const seen = deltas.get(id);
          const name = key.cube === 'reviewers' ? reviewerName : '';
          deltas.set(id, seen ? { ...seen, ...addCounts(seen, counts) } : { ...key, reviewerName: name, ...counts });
        }
      }
      const existing = new Map(
        (await tx.analytics.findRollups([...deltas.values()])).map((rollup) => [keyString(rollup), rollup]),
      );
      await tx.analytics.saveRollups(
        [...deltas.entries()].map(([id, delta]) => {
          const stored = existing.get(id);
          return stored
            ? {
                rollup: {
                  ...stored,
                  reviewerName: delta.reviewerName || stored.reviewerName,
                  ...addCounts(stored, delta),
                },
                exists: true,
              }
            : { rollup: delta, exists: false };
        }),
        now,
      );
      return tasks.length;
    });
    if (batch <= 0) return folded;
    folded += batch;
    if (batch < options.batchSize) return folded;
  }
}
