import { REVOCABLE_TASK_STATUSES, type RevokeInput } from '@loopgate/shared';
import { authorize, type Principal } from '../kernel/access.js';
import { AppError, notFound } from '../kernel/errors.js';
import { iso } from '../kernel/iso-time.js';
import type { TaskRecord } from './task-record.js';
import { ChangeLost, publishChange, type TaskChangeDeps, writeChange } from './task-transition.js';

/** The default LOOPGATE_REVOKE_WINDOW_HOURS: a day after the decision. */
export const DEFAULT_REVOKE_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface RevokeTaskDeps extends TaskChangeDeps {
  /** How long after its decision an approval may be revoked (LOOPGATE_REVOKE_WINDOW_HOURS); 0: never. */
  revokeWindowMs?: number;
}

/** Whether a task in `status` is one an admin could revoke at all (an approval), window aside. */
export function isRevocable(status: string): boolean {
  return (REVOCABLE_TASK_STATUSES as readonly string[]).includes(status);
}

/**
 * Why `task` cannot be revoked now, or null when it can: only an approval, and only within the window
 * after its decision (0: revoking is off). The task page asks this to show the button disabled with
 * the reason before anyone clicks; revokeTask asks it again inside the change.
 */
export function revokeRefusal(task: TaskRecord, now: number, windowMs: number): AppError | null {
  if (!isRevocable(task.status) || !task.decision) {
    return new AppError('conflict', `Task ${task.id} is ${task.status}; only an approved task can be revoked`);
  }
  const decidedAt = task.decision.decidedAt;
  if (windowMs === 0 || now - decidedAt > windowMs) {
    return new AppError(
      'revoke_window_closed',
      windowMs === 0
        ? 'Revoking approvals is turned off on this server (LOOPGATE_REVOKE_WINDOW_HOURS=0)'
        : `Task ${task.id} was approved at ${iso(decidedAt)}; approvals can be revoked for ${windowMs / 3_600_000} hours after the decision`,
    );
  }
  return null;
}

/**
 * Reversal (EU AI Act Art. 14(4)(d), "reverse the output"): an admin withdraws an approval within the
 * revoke window. The task becomes `revoked`; its decision stays as it was (who approved what, and
 * when), and the revocation is its own event, so the trail shows both. Like every transition it is a
 * compare-and-set, with its event, the `task.revoked` deliveries (the change hook: the task's callback
 * and the subscribers), and the audit entry in one transaction.
 */
export async function revokeTask(
  deps: RevokeTaskDeps,
  principal: Principal,
  id: string,
  input: RevokeInput,
): Promise<TaskRecord> {
  authorize(principal, 'workspace:admin');
  const windowMs = deps.revokeWindowMs ?? DEFAULT_REVOKE_WINDOW_MS;
  const { workspaceId } = principal;
  const task = await deps.store.read.tasks.findById(workspaceId, id);
  if (!task) throw notFound(`Task ${id}`);
  const now = deps.clock();
  const refusal = revokeRefusal(task, now, windowMs);
  if (refusal) throw refusal;
  const decidedAt = task.decision?.decidedAt as number; // revokeRefusal passed: an approval has its decision
  let after: TaskRecord;
  try {
    after = await deps.store.transaction(async (tx) => {
      const revoked = await writeChange(deps, tx, task, {
        // closedAt stays the decision's: the task ended then; the revocation is dated by its event.
        change: { status: 'revoked', updatedAt: now },
        event: {
          type: 'revoked',
          fromStatus: task.status,
          toStatus: 'revoked',
          actor: principal.actor,
          reason: input.reason,
          data: { action: task.decision?.action ?? null, decidedAt: iso(decidedAt) },
          createdAt: now,
        },
      });
      // writeChange records the `revoked` event, and with it the task.revoked audit entry.
      return revoked;
    });
  } catch (error) {
    // Another revocation won the compare-and-set (approved tasks change in no other way).
    if (error instanceof ChangeLost) throw new AppError('conflict', `Task ${id} was revoked already`);
    throw error;
  }
  publishChange(deps, after);
  return after;
}
