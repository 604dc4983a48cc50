import { type Actor, FINAL_TASK_STATUSES, payloadDigest } from '@loopgate/shared';
import type { Store } from '../store.js';
import type { TaskRecord } from './task-record.js';
import { recordTaskEvent, taskEvent } from './task-transition.js';

/** Payload retention acts on its own: the system. */
export const PAYLOAD_RETENTION_ACTOR: Actor = { type: 'system', id: null, name: 'payload-retention' };

export interface PayloadRetentionOptions {
  now: number;
  /** Tasks closed longer ago than this lose payload and context; null: nothing is erased. */
  retentionMs: number | null;
  /** Tasks read per batch. */
  batchSize: number;
  signal?: AbortSignal;
}

/**
 * Payload retention (LOOPGATE_PAYLOAD_RETENTION_DAYS, issue 16 item 4): the payload and context of a
 * task closed (decided, expired, cancelled, revoked) longer ago than the retention are erased, with
 * the decision's copies of them (the modified payload and its diff), for data minimisation. What
 * stays is the SHA-256 of what was erased, the same `shownDigest` the task's audit entries hold, so
 * the task can still be matched to its ledger; the decision keeps the digest of what it approved.
 *
 * Each task is erased in its own short transaction, with a `payload_erased` task event and its audit
 * entry: one entry per task rather than per batch, so a task's own trail (its page, an export with
 * --task) says when and why its payload went, and no entry has to list an unbounded set of ids. The
 * erase is a compare-and-set on the version read, so processes running this at once erase a task once;
 * one that lost simply finds it erased (or changed, and picks it up next time). The audit log itself
 * is not touched: its entries hold digests, never payloads.
 */
export async function eraseExpiredPayloads(
  deps: { store: Pick<Store, 'read' | 'transaction'> },
  options: PayloadRetentionOptions,
): Promise<{ erased: number }> {
  let erased = 0;
  if (options.retentionMs === null) return { erased };
  const closedBefore = options.now - options.retentionMs;
  for (;;) {
    const batch = await deps.store.read.tasks.listErasable(FINAL_TASK_STATUSES, closedBefore, options.batchSize);
    let progress = 0;
    for (const task of batch) {
      if (options.signal?.aborted) return { erased };
      if (await eraseOne(deps, task, options.now)) progress += 1;
    }
    erased += progress;
    // A batch all lost to other processes (or to changes) ends the run rather than reading it again.
    if (batch.length < options.batchSize || progress === 0) return { erased };
  }
}

async function eraseOne(deps: { store: Pick<Store, 'transaction'> }, task: TaskRecord, now: number): Promise<boolean> {
  const shownDigest = await payloadDigest({ payload: task.payload, form: task.form });
  const erasure = { erasedAt: now, shownDigest };
  return deps.store.transaction(async (tx) => {
    if (!(await tx.tasks.erasePayload(task.workspaceId, task.id, task.version, erasure))) return false;
    const after: TaskRecord = {
      ...task,
      payload: null,
      context: null,
      decision: task.decision ? { ...task.decision, modifiedPayload: null, diff: null } : null,
      version: task.version + 1,
      payloadErasure: erasure,
    };
    // No change hook: nothing is delivered or announced for an erasure; the task's outcome did not change.
    await recordTaskEvent(
      {},
      tx,
      after,
      taskEvent(task, {
        type: 'payload_erased',
        fromStatus: task.status,
        toStatus: task.status,
        actor: PAYLOAD_RETENTION_ACTOR,
        reason: 'payload retention (LOOPGATE_PAYLOAD_RETENTION_DAYS)',
        data: { shownDigest, closedAt: task.closedAt === null ? null : new Date(task.closedAt).toISOString() },
        createdAt: now,
      }),
    );
    return true;
  });
}
