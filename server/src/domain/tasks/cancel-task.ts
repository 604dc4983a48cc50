import type { CancelInput } from '@loopgate/shared';
import { authorize, type Principal } from '../kernel/access.js';
import { changeOpenTask, type TaskChangeDeps } from './task-transition.js';

/** Cancels an open task: of a cancel racing a decision or the sweeper, exactly one wins. */
export async function cancelTask(deps: TaskChangeDeps, principal: Principal, id: string, input: CancelInput) {
  authorize(principal, 'task:cancel');
  return changeOpenTask(deps, principal.workspaceId, id, async (task, now) => ({
    change: { status: 'cancelled', updatedAt: now, closedAt: now },
    event: {
      type: 'cancelled',
      fromStatus: task.status,
      toStatus: 'cancelled',
      actor: principal.actor,
      reason: input.reason ?? null,
      data: null,
      createdAt: now,
    },
  }));
}
