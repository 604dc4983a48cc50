import { decisionOptions } from '../approvals/decision-options.js';
import { can, type Principal } from '../kernel/access.js';
import type { Store } from '../store.js';
import type { TaskRecord } from '../tasks/task-record.js';

/** Open tasks read per round trip while looking for the next one a reviewer can decide. */
const PAGE = 50;
/** Past this many open tasks that someone else must decide, the search stops and says "none". */
const MAX_SCANNED = 1_000;

/**
 * The "Next task" button: the most urgent open task (tasks/urgency.ts, the board's order)
 * that `principal` can decide right now — in the level's group, not claimed by someone else, not
 * already voted on, approvable or at least rejectable — or null when there is none.
 */
export async function nextTaskFor(
  deps: { store: Store },
  principal: Principal,
  except: string | null = null,
): Promise<TaskRecord | null> {
  if (!can(principal.role, 'task:decide')) return null;
  for (let offset = 0; offset < MAX_SCANNED; offset += PAGE) {
    const tasks = await deps.store.read.tasks.listOpenByUrgency(principal.workspaceId, PAGE, offset);
    for (const task of tasks) {
      if (task.id === except) continue;
      const { blocked } = await decisionOptions(deps, principal, task);
      if (blocked.approve === null || blocked.reject === null) return task;
    }
    if (tasks.length < PAGE) break;
  }
  return null;
}
