import { payloadDigest } from '@loopgate/shared';
import type { Repositories } from '../store.js';
import type { JsonValue, TaskEventRecord, TaskRecord } from '../tasks/task-record.js';
import { currentRequestId, currentRoleOf } from './audit-context.js';
import type { AuditRecord } from './audit-ports.js';
import { recordAudit } from './record-audit.js';

/**
 * The ledger entry for one task change, written by `recordTaskEvent` (tasks/task-transition.ts) in the
 * change's transaction: the one place every task event is appended, so no path writes an event
 * without its entry. `task_events` stays the task's own timeline (what its page shows); `audit_log`
 * is the workspace's ledger, chained and exported (docs/governance.md).
 */
export async function recordTaskAudit(
  tx: Repositories,
  task: TaskRecord,
  event: TaskEventRecord,
): Promise<AuditRecord> {
  const data: { [key: string]: JsonValue } = {
    fromStatus: event.fromStatus,
    toStatus: event.toStatus,
    reason: event.reason,
    event: event.data,
    // What a reviewer was shown: the payload and its form, as RFC 8785 SHA-256; once retention erased
    // them, the digest it kept of them, so later entries (a revocation, the erasure) still name it.
    shownDigest: task.payloadErasure?.shownDigest ?? (await payloadDigest({ payload: task.payload, form: task.form })),
  };
  if (event.type === 'created') data.queue = task.queue;
  // The decision, on the change that made it (a vote that only completes a level has none yet).
  if (task.decision && event.type === 'decided') {
    data.decision = {
      action: task.decision.action,
      reasonCode: task.decision.reasonCode,
      diff: task.decision.diff,
      approvedDigest: task.decision.payloadDigest ?? null,
    };
  }
  return recordAudit(tx, {
    workspaceId: task.workspaceId,
    at: event.createdAt,
    actor: { ...event.actor, role: currentRoleOf(event.actor) },
    action: `task.${event.type}`,
    target: { type: 'task', id: task.id },
    data,
    requestId: currentRequestId(),
  });
}
