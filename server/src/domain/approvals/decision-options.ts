import { type Actor, type DecisionAction, isFinalStatus } from '@loopgate/shared';
import { can, type Principal } from '../kernel/access.js';
import type { Store } from '../store.js';
import type { TaskRecord } from '../tasks/task-record.js';
import { workflowOf } from '../tasks/task-transition.js';
import type { VoteRecord } from './approval-ports.js';
import { resolveQueue } from './queue-config.js';
import { levelOf, sameActor, voteProblem } from './workflow.js';

const ACTIONS: readonly DecisionAction[] = ['approve', 'approve_with_modifications', 'reject'];

/** Where the task stands in its approval levels, as the decision panel's summary shows it. */
export interface LevelStanding {
  /** 1-based: level `number` of `of`. */
  number: number;
  of: number;
  name: string;
  group: string | null;
  quorum: number;
  mode: 'unanimous' | 'majority';
  /** Votes cast at this level so far. */
  approvals: number;
  rejections: number;
}

export interface DecisionOptions {
  /** For each action: why this viewer cannot take it now, or null when they can. */
  blocked: Record<DecisionAction, string | null>;
  level: LevelStanding;
  assignee: Actor | null;
  claimed: boolean;
  /** This viewer's vote on the task, if they have cast one. */
  ownVote: VoteRecord | null;
}

/**
 * What `principal` may do to `task` and why not, from the same rules decideTask enforces (the role,
 * the task being open, one vote per person, voteProblem's group / claim / separation-of-duties
 * checks), so a page shows a disabled button with the server's own reason before any click.
 */
export async function decisionOptions(
  deps: { store: Store },
  principal: Principal,
  task: TaskRecord,
): Promise<DecisionOptions> {
  const [{ config }, votes] = await Promise.all([
    resolveQueue(deps.store.read, task.workspaceId, task.queue),
    deps.store.read.votes.listForTask(task.workspaceId, task.id),
  ]);
  const flow = workflowOf(task);
  const level = levelOf(config, flow.level);
  const atLevel = votes.filter((vote) => vote.level === flow.level);
  const ownVote = votes.find((vote) => sameActor(vote.actor, principal.actor)) ?? null;
  const common = isFinalStatus(task.status)
    ? `This task is already ${task.status.replace(/_/g, ' ')}.`
    : !can(principal.role, 'task:decide')
      ? `Your role (${principal.role}) can read tasks but not decide them.`
      : ownVote
        ? `You have already voted on this task (${ownVote.action.replace(/_/g, ' ')}); one person, one vote.`
        : null;
  const blocked = {} as Record<DecisionAction, string | null>;
  for (const action of ACTIONS) {
    blocked[action] = common ?? (await voteProblem(deps.store.read, principal, task, config, action))?.message ?? null;
  }
  return {
    blocked,
    level: {
      number: flow.level,
      of: Math.max(flow.levels, 1),
      name: level.name,
      group: flow.assignedGroup ?? level.group,
      quorum: level.quorum,
      mode: level.mode,
      approvals: atLevel.filter((vote) => vote.action !== 'reject').length,
      rejections: atLevel.filter((vote) => vote.action === 'reject').length,
    },
    assignee: flow.assignee,
    claimed: flow.claimed,
    ownVote,
  };
}
