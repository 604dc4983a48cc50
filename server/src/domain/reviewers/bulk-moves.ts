import { claimTask, escalateTask, releaseTask } from '../approvals/claims.js';
import type { Principal } from '../kernel/access.js';
import { AppError } from '../kernel/errors.js';
import { getTask } from '../tasks/read-tasks.js';
import type { TaskChangeDeps } from '../tasks/task-transition.js';

/** What the list view does to several tasks at once. Never a decision: approving stays one task at a time. */
export const BULK_ACTIONS = ['claim', 'release', 'escalate'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** Tasks one request may act on: a page of the list and then some. */
export const BULK_MAX = 200;

const DONE: Record<BulkAction, string> = { claim: 'claimed', release: 'released', escalate: 'escalated' };

/** Why the use case left a task as it was, when it did so without refusing (it was already so). */
const ALREADY: Record<BulkAction, string> = {
  claim: 'already claimed by you',
  release: 'not claimed',
  escalate: 'already escalated',
};

export interface BulkOutcome {
  id: string;
  /** Null when the task could not be read (not in this workspace). */
  title: string | null;
  done: boolean;
  /** Why it was skipped; null when it was done. */
  reason: string | null;
}

export interface BulkResult {
  action: BulkAction;
  outcomes: BulkOutcome[];
  /** "3 claimed, 1 skipped: claimed by Ana". */
  summary: string;
}

/** A refusal as a reason beside the task's title: "claimed by Ana" rather than "Task tsk_… is claimed by Ana". */
function reasonOf(error: AppError): string {
  return error.message.replace(/^Task \S+ (is )?/, '');
}

export function bulkSummary(action: BulkAction, outcomes: readonly BulkOutcome[]): string {
  const done = outcomes.filter((o) => o.done).length;
  const skipped = outcomes.filter((o) => !o.done);
  if (skipped.length === 0) return `${done} ${DONE[action]}`;
  const reasons = new Map<string, number>();
  for (const o of skipped) reasons.set(o.reason ?? '', (reasons.get(o.reason ?? '') ?? 0) + 1);
  const why = [...reasons].map(([reason, n]) => (n > 1 ? `${n} × ${reason}` : reason)).join('; ');
  return `${done} ${DONE[action]}, ${skipped.length} skipped: ${why}`;
}

/**
 * Claims, releases or escalates each task through the same use case one task's button calls, one
 * after another, each its own committed change. A task the rules refuse (claimed by someone else,
 * not the actor's group, already decided) is skipped with the refusal's reason, and so is one that
 * was already in that state; every task asked about has an outcome, so nothing is half-done silently.
 */
export async function bulkMove(
  deps: TaskChangeDeps,
  principal: Principal,
  action: BulkAction,
  ids: readonly string[],
): Promise<BulkResult> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) throw new AppError('validation_failed', 'Select at least one task');
  if (unique.length > BULK_MAX) throw new AppError('validation_failed', `Select at most ${BULK_MAX} tasks at once`);
  const outcomes: BulkOutcome[] = [];
  for (const id of unique) {
    let title: string | null = null;
    try {
      const before = await getTask(deps, principal, id);
      title = before.title;
      const after =
        action === 'claim'
          ? await claimTask(deps, principal, id)
          : action === 'release'
            ? await releaseTask(deps, principal, id)
            : await escalateTask(deps, principal, id, undefined);
      const changed = after.version !== before.version;
      outcomes.push({ id, title, done: changed, reason: changed ? null : ALREADY[action] });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      outcomes.push({ id, title, done: false, reason: reasonOf(error) });
    }
  }
  return { action, outcomes, summary: bulkSummary(action, outcomes) };
}
