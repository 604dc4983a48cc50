import type { Actor, ApprovalLevel, DecisionInput, QueueConfig } from '@loopgate/shared';
import type { Principal } from '../kernel/access.js';
import { AppError } from '../kernel/errors.js';
import type { Repositories } from '../store.js';
import type { TaskRecord } from '../tasks/task-record.js';
import { workflowOf } from '../tasks/task-transition.js';
import { type GroupMember, voterKey } from './approval-ports.js';

/** The rules of who may act on a task at its current level, shared by voting and claiming. */

/** The actor of every decision the routing policy (or a queue's timeout setting) takes. */
export const POLICY_ACTOR: Actor = { type: 'policy', id: null, name: 'routing-policy' };

const FALLBACK_LEVEL: ApprovalLevel = { name: 'review', group: null, quorum: 1, mode: 'unanimous' };

export function levelOf(config: QueueConfig, level: number): ApprovalLevel {
  return config.levels[level - 1] ?? FALLBACK_LEVEL;
}

export function sameActor(a: Actor, b: Actor): boolean {
  return voterKey(a) === voterKey(b);
}

function memberActor(member: GroupMember): Actor {
  return { type: member.type, id: member.id, name: member.name ?? member.email };
}

/**
 * Least-loaded assignment: the member of `groupName` with the fewest open tasks assigned, ties to
 * whoever was added to the group first. Chosen over round robin because it needs no shared counter
 * (nothing for N processes to contend on) and it routes around a reviewer who is buried in work.
 */
export async function pickAssignee(
  repos: Pick<Repositories, 'reviewerGroups' | 'sweep'>,
  workspaceId: string,
  groupName: string | null,
): Promise<Actor | null> {
  if (groupName === null) return null;
  const group = await repos.reviewerGroups.findByName(workspaceId, groupName);
  if (!group || group.members.length === 0) return null;
  const load = await repos.sweep.openLoad(
    workspaceId,
    group.members.map((member) => member.id),
  );
  let best: GroupMember | undefined;
  for (const member of group.members) {
    if (!best || (load.get(member.id) ?? 0) < (load.get(best.id) ?? 0)) best = member;
  }
  return best ? memberActor(best) : null;
}

/** What the rules of acting on a task look at: its current level and who holds it. */
export interface ActableTask {
  id: string;
  createdBy: Actor;
  level: number;
  /** The group an escalation reassigned the task to, if any. */
  assignedGroup: string | null;
  claimed: boolean;
  assignee: Actor | null;
}

export function actableTask(task: TaskRecord): ActableTask {
  const flow = workflowOf(task);
  return {
    id: task.id,
    createdBy: task.createdBy,
    level: flow.level,
    assignedGroup: flow.assignedGroup,
    claimed: flow.claimed,
    assignee: flow.assignee,
  };
}

/** The groups that decide the task's current level: the level's own, and a reassignment's. None: any reviewer. */
export function decidingGroups(config: QueueConfig, task: Pick<ActableTask, 'level' | 'assignedGroup'>): string[] {
  const level = levelOf(config, task.level);
  if (level.group === null) return [];
  return [...new Set([level.group, task.assignedGroup].filter((g): g is string => g !== null))];
}

/**
 * Why an actor may not vote on (or claim) the task as it stands, or null when they may: not in the
 * level's group, the task claimed by someone else, or the creator approving where separation of
 * duties applies. Pure: `memberOf` answers from memberships read beforehand, so the board can ask
 * for a thousand cards with one read of the groups, and voting asks the very same question.
 */
export function voteRefusal(
  principal: Principal,
  task: ActableTask,
  config: QueueConfig,
  action: DecisionInput['action'],
  memberOf: (group: string) => boolean,
): AppError | null {
  const level = levelOf(config, task.level);
  // A level without a group is open to every reviewer. A level with one is decided by its members,
  // or by the group an escalation reassigned the task to.
  const groups = decidingGroups(config, task);
  if (principal.actor.type === 'guest') {
    // A guest (an external reviewer deciding by link) is in no group: a level counts them only when
    // it says so, and then alongside its group.
    if (level.allowGuests !== true) {
      return new AppError(
        'guest_not_allowed',
        `Level ${task.level} (${level.name}) does not take decisions from external reviewers; its ${
          groups.length > 0 ? groups.map((g) => `"${g}"`).join(' or ') : 'workspace'
        } reviewers decide it`,
      );
    }
  } else if (groups.length > 0 && !groups.some(memberOf)) {
    return new AppError(
      'forbidden',
      `Level ${task.level} (${level.name}) is decided by the ${groups.map((g) => `"${g}"`).join(' or ')} group`,
    );
  }
  if (task.claimed && task.assignee && level.quorum === 1 && !sameActor(task.assignee, principal.actor)) {
    return new AppError('task_claimed', `Task ${task.id} is claimed by ${task.assignee.name ?? task.assignee.id}`);
  }
  if (!config.creatorMayApprove && action !== 'reject' && sameActor(task.createdBy, principal.actor)) {
    return new AppError('separation_of_duties', 'The creator of a task may not approve it in this queue');
  }
  return null;
}

/** Whether the actor is a member of each of `groups`, read from the store. */
export async function membershipsOf(
  repos: Pick<Repositories, 'reviewerGroups'>,
  principal: Principal,
  groups: readonly string[],
): Promise<(group: string) => boolean> {
  const actor = principal.actor;
  const member = new Set<string>();
  for (const name of groups) {
    const group = await repos.reviewerGroups.findByName(principal.workspaceId, name);
    if (group?.members.some((m) => m.type === actor.type && m.id === actor.id)) member.add(name);
  }
  return (group) => member.has(group);
}

/** voteRefusal for one task, with the memberships it needs read from the store. */
export async function voteProblem(
  repos: Repositories,
  principal: Principal,
  task: TaskRecord,
  config: QueueConfig,
  action: DecisionInput['action'],
): Promise<AppError | null> {
  const facts = actableTask(task);
  const memberOf = await membershipsOf(repos, principal, decidingGroups(config, facts));
  return voteRefusal(principal, facts, config, action, memberOf);
}

/** Refuses an actor who may not vote on (or claim) the task as it stands (see voteProblem). */
export async function assertMayVote(
  repos: Repositories,
  principal: Principal,
  task: TaskRecord,
  config: QueueConfig,
  action: DecisionInput['action'],
): Promise<void> {
  const problem = await voteProblem(repos, principal, task, config, action);
  if (problem) throw problem;
}
