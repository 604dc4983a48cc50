import type { QueueConfig, TaskStatus } from '@loopgate/shared';
import { isFinalStatus } from '@loopgate/shared';
import { can, type Principal } from '../kernel/access.js';
import { AppError } from '../kernel/errors.js';
import type { TaskRecord } from '../tasks/task-record.js';
import { workflowOf } from '../tasks/task-transition.js';
import { type ActableTask, actableTask, sameActor, voteRefusal } from './workflow.js';

/**
 * Which of the board's actions can succeed for one person on one task, and why not: the rules
 * claimTask, releaseTask, escalateTask and decideTask enforce, as pure functions over facts read
 * beforehand. The use cases throw what these return; the board shows it beside a disabled button,
 * so a card never offers what the server would refuse.
 */

export interface ActionTask extends ActableTask {
  status: TaskStatus;
  escalated: boolean;
}

export function actionTask(task: TaskRecord): ActionTask {
  return { ...actableTask(task), status: task.status, escalated: workflowOf(task).escalated };
}

/** What is known of the person acting, read once for a whole board. */
export interface ActingPrincipal {
  principal: Principal;
  memberOf: (group: string) => boolean;
  /** Whether they have voted on this task (one person, one vote per task, across its levels). */
  voted: (taskId: string) => boolean;
}

const ROLE_NOUN = { viewer: 'Viewers', reviewer: 'Reviewers', admin: 'Admins' } as const;

function common(actor: ActingPrincipal, task: ActionTask, verb: string): AppError | null {
  if (isFinalStatus(task.status)) {
    return new AppError('task_already_decided', `Task ${task.id} is already ${task.status.replace(/_/g, ' ')}`);
  }
  if (!can(actor.principal.role, 'task:decide')) {
    return new AppError('forbidden', `${ROLE_NOUN[actor.principal.role]} can't ${verb} tasks`);
  }
  return null;
}

function claimedBy(task: ActionTask): string {
  return task.assignee?.name ?? task.assignee?.id ?? 'someone else';
}

/**
 * Claim: an open task nobody else holds, at a level whose group the person is in, not already
 * voted on by them (they could not decide it). Claiming one's own claim again changes nothing.
 */
export function claimRefusal(actor: ActingPrincipal, task: ActionTask, config: QueueConfig): AppError | null {
  const first = common(actor, task, 'claim');
  if (first) return first;
  if (task.claimed && task.assignee && !sameActor(task.assignee, actor.principal.actor)) {
    return new AppError('task_claimed', `Task ${task.id} is claimed by ${claimedBy(task)}`);
  }
  // 'reject': a creator who may not approve may still reject, so separation of duties never bars a claim.
  const problem = voteRefusal(actor.principal, task, config, 'reject', actor.memberOf);
  if (problem) return problem;
  if (actor.voted(task.id)) {
    return new AppError('already_voted', `You have already voted on task ${task.id}; one person, one vote`);
  }
  return null;
}

/** Release: a claimed task, by whoever claimed it or an admin. */
export function releaseRefusal(actor: ActingPrincipal, task: ActionTask): AppError | null {
  const first = common(actor, task, 'release');
  if (first) return first;
  if (!task.claimed) return new AppError('conflict', `Task ${task.id} is not claimed`);
  const own = task.assignee !== null && sameActor(task.assignee, actor.principal.actor);
  if (!own && actor.principal.role !== 'admin') {
    return new AppError(
      'task_claimed',
      `Task ${task.id} is claimed by ${claimedBy(task)}; only they or an admin can release it`,
    );
  }
  return null;
}

/** Escalate: any open task not escalated yet, by anyone who may decide tasks. */
export function escalateRefusal(actor: ActingPrincipal, task: ActionTask): AppError | null {
  const first = common(actor, task, 'escalate');
  if (first) return first;
  if (task.escalated) return new AppError('conflict', `Task ${task.id} is already escalated`);
  return null;
}

/** Decide: some decision (an approval, or at least a rejection) this person could cast now. */
export function decideRefusal(actor: ActingPrincipal, task: ActionTask, config: QueueConfig): AppError | null {
  const first = common(actor, task, 'decide');
  if (first) return first;
  if (actor.voted(task.id)) {
    return new AppError('already_voted', `You have already voted on task ${task.id}; one person, one vote`);
  }
  return voteRefusal(actor.principal, task, config, 'reject', actor.memberOf);
}

export const TASK_ACTIONS = ['claim', 'release', 'escalate', 'decide'] as const;
export type TaskAction = (typeof TASK_ACTIONS)[number];

/** For each action: null when it can succeed, else the refusal the use case would answer. */
export function taskActions(
  actor: ActingPrincipal,
  task: ActionTask,
  config: QueueConfig,
): Record<TaskAction, AppError | null> {
  return {
    claim: claimRefusal(actor, task, config),
    release: releaseRefusal(actor, task),
    escalate: escalateRefusal(actor, task),
    decide: decideRefusal(actor, task, config),
  };
}
