import {
  type ApprovalLevel,
  type DecisionInput,
  type FieldError,
  isFinalStatus,
  type QueueConfig,
  type TaskStatus,
  validateResponse,
} from '@loopgate/shared';
import type { Principal } from '../kernel/access.js';
import { authorize } from '../kernel/access.js';
import { AppError, notFound } from '../kernel/errors.js';
import type { Repositories, Store } from '../store.js';
import type {
  DecisionRecord,
  JsonValue,
  TaskRecord,
  TaskTransition,
  TaskWorkflowRecord,
} from '../tasks/task-record.js';
import {
  ChangeLost,
  changeOpenTask,
  type EventFields,
  type PlannedChange,
  type TaskChangeDeps,
  workflowOf,
} from '../tasks/task-transition.js';
import type { VoteRecord } from './approval-ports.js';
import { planGrant, storeGrant } from './grants.js';
import { unifiedPayloadDiff } from './payload-diff.js';
import { resolveQueue } from './queue-config.js';
import { assertMayVote, levelOf, pickAssignee, sameActor } from './workflow.js';

type Tally = 'approved' | 'rejected' | 'pending';

/**
 * unanimous: `quorum` approvals approve, the first rejection rejects. majority: once `quorum` votes
 * are in, more approvals than rejections approve and anything else (a tie included) rejects.
 */
export function tallyLevel(level: ApprovalLevel, votes: Pick<VoteRecord, 'action'>[]): Tally {
  const approvals = votes.filter((vote) => vote.action !== 'reject').length;
  const rejections = votes.length - approvals;
  if (level.mode === 'unanimous') {
    if (rejections > 0) return 'rejected';
    return approvals >= level.quorum ? 'approved' : 'pending';
  }
  if (votes.length < level.quorum) return 'pending';
  return approvals > rejections ? 'approved' : 'rejected';
}

/**
 * Each lost race means another change to the task committed, and a quorum vote can lose once per
 * vote that lands before it (up to its level's quorum), so this only stops a pathological loop; a
 * real race among reviewers ends long before it.
 */
const MAX_VOTE_ATTEMPTS = 64;

/**
 * One reviewer's decision. The vote row (primary key task + voter: one person, one vote per task)
 * and the task's compare-and-set change commit together or not at all, so concurrent voters, and a
 * voter racing the SLA sweeper, always leave one consistent outcome; a lost race re-reads and retries.
 * The vote that completes the last level closes the task with a `decided` event; earlier votes write
 * `vote`, and a vote that completes a level before the last writes `level_approved`.
 */
export async function decideTask(
  deps: TaskChangeDeps,
  principal: Principal,
  id: string,
  input: DecisionInput,
): Promise<TaskRecord> {
  authorize(principal, 'task:decide');
  return changeOpenTask(
    deps,
    principal.workspaceId,
    id,
    async (task, now): Promise<PlannedChange> => {
      // Independent reads, one round trip's wait instead of two: a decision's latency is what an
      // automation waiting on it feels.
      const [{ config }, votes] = await Promise.all([
        resolveQueue(deps.store.read, task.workspaceId, task.queue),
        deps.store.read.votes.listForTask(task.workspaceId, task.id),
      ]);
      await assertMayVote(deps.store.read, principal, task, config, input.action);
      if (votes.some((vote) => sameActor(vote.actor, principal.actor))) {
        // The task and its votes are two reads: a vote committed between them may have closed the task.
        const latest = await deps.store.read.tasks.findById(principal.workspaceId, id);
        if (latest && isFinalStatus(latest.status)) {
          throw new AppError('task_already_decided', `Task ${id} is already ${latest.status}`);
        }
        throw new AppError('already_voted', `You have already voted on task ${task.id}`);
      }
      const response = checkDecisionInput(task, config, input);
      const flow = workflowOf(task);
      const vote: VoteRecord = {
        taskId: task.id,
        workspaceId: task.workspaceId,
        level: flow.level,
        action: input.action,
        comment: input.comment ?? null,
        modifiedPayload: input.action === 'approve_with_modifications' ? (input.modifiedPayload as JsonValue) : null,
        reasonCode: input.action === 'reject' ? (input.reasonCode ?? null) : null,
        response,
        actor: principal.actor,
        createdAt: now,
      };
      const all = [...votes, vote];
      const tally = tallyLevel(
        levelOf(config, flow.level),
        all.filter((v) => v.level === flow.level),
      );
      const { change, eventFields } = await voteChange(deps.store.read, task, config, flow, vote, all, tally, now);
      // A standing approval is given only by a vote that decides the task on its own; refused, the
      // whole decision is refused and nothing is written.
      const grant = input.grant
        ? await planGrant(task, config, input.grant, principal, votes.length === 0 && change.status === 'approved', now)
        : null;
      return {
        change,
        event: eventFields,
        // After the compare-and-set: its UPDATE takes the task row's exclusive lock before anything
        // else. Inserting the vote first took a shared lock on that row (the vote's foreign key
        // check), and two voters each holding one while waiting for the exclusive lock is the
        // deadlock InnoDB reported under concurrent decisions.
        alongside: async (tx) => {
          if (!(await tx.votes.insert(vote))) throw new ChangeLost();
          if (grant) await storeGrant(tx, grant, principal);
        },
      };
    },
    MAX_VOTE_ATTEMPTS,
  );
}

/**
 * What a decision must carry beyond its own shape, given the task and its queue: a reject needs a
 * reason (a comment, and a reasonCode from the queue's rejectReasons when it lists any); an approval
 * of a task with a responseForm needs valid answers to it, and a task without one takes none. Answers
 * every problem at once as 400 validation_failed with per-field paths (`response.reply`, `reasonCode`);
 * returns the answers to store.
 */
export function checkDecisionInput(
  task: Pick<TaskRecord, 'responseForm'>,
  config: Pick<QueueConfig, 'rejectReasons'>,
  input: DecisionInput,
): VoteRecord['response'] {
  const errors: FieldError[] = [];
  let response: VoteRecord['response'] = null;
  if (input.action === 'reject') {
    if ((input.comment ?? '').trim() === '') {
      errors.push({ path: 'comment', message: 'A reject needs a reason: say why in the comment' });
    }
    const codes = config.rejectReasons.map((reason) => reason.code);
    if (codes.length > 0 && input.reasonCode === undefined) {
      errors.push({ path: 'reasonCode', message: `Choose a reason: one of ${codes.join(', ')}` });
    } else if (codes.length > 0 && !codes.includes(input.reasonCode as string)) {
      errors.push({ path: 'reasonCode', message: `Not a reason of this queue; use one of ${codes.join(', ')}` });
    }
  } else if (task.responseForm !== null) {
    const checked = validateResponse(task.responseForm, input.response ?? {});
    if (checked.ok) response = checked.value;
    else {
      for (const problem of checked.problems) {
        errors.push({ path: problem.path === '' ? 'response' : `response.${problem.path}`, message: problem.message });
      }
    }
  } else if (input.response !== undefined) {
    errors.push({ path: 'response', message: 'This task has no responseForm, so it takes no response' });
  }
  if (errors.length > 0) {
    const first = errors[0] as FieldError;
    throw new AppError('validation_failed', `${first.path}: ${first.message}`, errors);
  }
  return response;
}

async function voteChange(
  repos: Repositories,
  task: TaskRecord,
  config: QueueConfig,
  flow: TaskWorkflowRecord,
  vote: VoteRecord,
  all: VoteRecord[],
  tally: Tally,
  now: number,
): Promise<{ change: TaskTransition; eventFields: EventFields }> {
  const level = levelOf(config, flow.level);
  const base = { actor: vote.actor, reason: vote.comment, createdAt: now, fromStatus: task.status };
  const voteData = { action: vote.action, level: flow.level, levelName: level.name };
  const finalLevel = flow.level >= Math.max(flow.levels, 1);

  if (tally === 'pending') {
    const status: TaskStatus = 'in_review';
    return {
      change: { status, updatedAt: now },
      eventFields: { ...base, type: 'vote', toStatus: status, data: voteData },
    };
  }
  if (tally === 'approved' && !finalLevel) {
    const nextLevel = flow.level + 1;
    const group = levelOf(config, nextLevel).group;
    const status: TaskStatus = 'in_review';
    return {
      change: {
        status,
        updatedAt: now,
        workflow: {
          level: nextLevel,
          assignedGroup: group,
          assignee: await pickAssignee(repos, task.workspaceId, group),
          claimed: false,
        },
      },
      eventFields: {
        ...base,
        type: 'level_approved',
        toStatus: status,
        data: { ...voteData, nextLevel, nextLevelName: levelOf(config, nextLevel).name },
      },
    };
  }
  // The task closes. A rejection is the rejecting vote; an approval keeps the latest modification
  // any approving reviewer made, so level 2's edit of level 1's edit is what the agent receives.
  const modified = [...all].reverse().find((v) => v.action === 'approve_with_modifications');
  const action = tally === 'rejected' ? 'reject' : modified ? 'approve_with_modifications' : 'approve';
  const status: TaskStatus =
    action === 'reject' ? 'rejected' : action === 'approve' ? 'approved' : 'approved_with_modifications';
  const modifiedPayload = action === 'approve_with_modifications' ? (modified?.modifiedPayload ?? null) : null;
  // Likewise the latest answers of an approving vote, and the reason of the latest rejecting one: under
  // majority the vote that closes the task may be of the other kind.
  const latest = [...all].reverse();
  const answered = action === 'reject' ? undefined : latest.find((v) => v.action !== 'reject' && v.response !== null);
  const rejecting = action === 'reject' ? latest.find((v) => v.action === 'reject') : undefined;
  const decision: DecisionRecord = {
    action,
    comment: vote.comment,
    modifiedPayload,
    diff: modifiedPayload === null ? null : unifiedPayloadDiff(task.payload, modifiedPayload),
    reasonCode: rejecting?.reasonCode ?? null,
    response: answered?.response ?? null,
    decidedBy: vote.actor,
    decidedAt: now,
  };
  return {
    change: { status, updatedAt: now, closedAt: now, decision },
    eventFields: {
      ...base,
      type: 'decided',
      toStatus: status,
      data: { action, level: flow.level, levelName: level.name, votes: all.length },
    },
  };
}

export async function listVotes(deps: { store: Store }, principal: Principal, id: string) {
  authorize(principal, 'task:read');
  const task = await deps.store.read.tasks.findById(principal.workspaceId, id);
  if (!task) throw notFound(`Task ${id}`);
  const { config } = await resolveQueue(deps.store.read, task.workspaceId, task.queue);
  const votes = await deps.store.read.votes.listForTask(task.workspaceId, task.id);
  return votes.map((vote) => ({ ...vote, levelName: levelOf(config, vote.level).name }));
}
