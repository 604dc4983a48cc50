import {
  type Actor,
  type ApprovalLevel,
  type DecisionInput,
  isFinalStatus,
  type QueueConfig,
  type TaskStatus,
} from '@loopgate/shared';
import type { Principal } from './access.js';
import { authorize } from './access.js';
import { type GroupMember, type VoteRecord, voterKey } from './approval-ports.js';
import { AppError, notFound } from './errors.js';
import { newId } from './ids.js';
import { unifiedPayloadDiff } from './payload-diff.js';
import type { Repositories } from './ports.js';
import { requireQueue, resolveQueue } from './queue-config.js';
import { evaluatePolicy, nextSweepAt, queueDueAt, type RoutingOutcome } from './routing-policy.js';
import {
  DEFAULT_WORKFLOW,
  type DecisionRecord,
  type JsonValue,
  type TaskEventRecord,
  type TaskRecord,
  type TaskTransition,
  type TaskWorkflowRecord,
} from './task-record.js';
import { recordTaskChange, type TaskServiceDeps } from './task-service.js';

/** The actor of every decision the routing policy (or a queue's timeout setting) takes. */
export const POLICY_ACTOR: Actor = { type: 'policy', id: null, name: 'routing-policy' };

const FALLBACK_LEVEL: ApprovalLevel = { name: 'review', group: null, quorum: 1, mode: 'unanimous' };

export type EventFields = Omit<TaskEventRecord, 'id' | 'workspaceId' | 'taskId'>;

export function taskEvent(task: Pick<TaskRecord, 'id' | 'workspaceId'>, fields: EventFields): TaskEventRecord {
  return { id: newId('event', fields.createdAt), workspaceId: task.workspaceId, taskId: task.id, ...fields };
}

export function workflowOf(task: TaskRecord): TaskWorkflowRecord {
  return task.workflow ?? { ...DEFAULT_WORKFLOW, nextSweepAt: task.dueAt };
}

function sameActor(a: Actor, b: Actor): boolean {
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

export interface PlannedTask {
  task: TaskRecord;
  routing: RoutingOutcome;
  /** Set when the policy auto-approves: the transition and event that close the task in its creating transaction. */
  autoApproval: { change: TaskTransition; event: EventFields; after: TaskRecord } | null;
}

/**
 * Applies the queue's routing policy to a task about to be created: the winning rule and reason,
 * the approval levels it needs, its deadline (its own, else the queue's SLA), the first assignee,
 * and, for auto-approval, the decision by the policy actor — recorded exactly like a human one.
 */
export async function planNewTask(
  deps: Pick<TaskServiceDeps, 'store'>,
  task: TaskRecord,
  now: number,
): Promise<PlannedTask> {
  const { config } = await requireQueue(deps.store.read, task.workspaceId, task.queue);
  const routing = evaluatePolicy(config, task);
  const dueAt = task.dueAt ?? queueDueAt(config, task.riskLevel, now);
  const firstGroup = config.levels[0]?.group ?? config.reviewerGroups[0] ?? null;
  const review = routing.outcome === 'review';
  const workflow: TaskWorkflowRecord = {
    ...DEFAULT_WORKFLOW,
    routingRule: routing.rule,
    routingReason: routing.reason,
    levels: routing.levels,
    nextSweepAt: review ? nextSweepAt(config, dueAt, 0) : null,
    assignedGroup: review ? firstGroup : null,
    assignee: review ? await pickAssignee(deps.store.read, task.workspaceId, firstGroup) : null,
  };
  const planned: TaskRecord = { ...task, dueAt, workflow };
  if (review) return { task: planned, routing, autoApproval: null };

  const decision: DecisionRecord = {
    action: 'approve',
    comment: routing.reason,
    modifiedPayload: null,
    diff: null,
    decidedBy: POLICY_ACTOR,
    decidedAt: now,
  };
  const after: TaskRecord = {
    ...planned,
    status: 'approved',
    closedAt: now,
    updatedAt: now,
    decision,
    version: planned.version + 1,
    workflow: { ...workflow, nextSweepAt: null },
  };
  return {
    task: planned,
    routing,
    autoApproval: {
      change: { status: 'approved', updatedAt: now, closedAt: now, decision },
      event: {
        type: 'decided',
        fromStatus: planned.status,
        toStatus: 'approved',
        actor: POLICY_ACTOR,
        reason: routing.reason,
        data: { action: 'approve', rule: routing.rule },
        createdAt: now,
      },
      after,
    },
  };
}

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

class LostRace extends Error {}
class DuplicateVote extends Error {}

/**
 * Each lost race means another change to the task committed, and a quorum vote can lose once per
 * vote that lands before it (up to its level's quorum), so this only stops a pathological loop; a
 * real race among reviewers ends long before it.
 */
const MAX_VOTE_ATTEMPTS = 64;

function levelOf(config: QueueConfig, level: number): ApprovalLevel {
  return config.levels[level - 1] ?? FALLBACK_LEVEL;
}

async function assertMayVote(
  repos: Repositories,
  principal: Principal,
  task: TaskRecord,
  config: QueueConfig,
  action: DecisionInput['action'],
): Promise<void> {
  const flow = workflowOf(task);
  const level = levelOf(config, flow.level);
  // A level without a group is open to every reviewer. A level with one is decided by its members,
  // or by the group an escalation reassigned the task to.
  const groups = [...new Set([level.group, flow.assignedGroup].filter((g): g is string => g !== null))];
  if (level.group !== null) {
    const actor = principal.actor;
    let member = false;
    for (const name of groups) {
      const group = await repos.reviewerGroups.findByName(task.workspaceId, name);
      if (group?.members.some((m) => m.type === actor.type && m.id === actor.id)) member = true;
    }
    if (!member) {
      throw new AppError(
        'forbidden',
        `Level ${flow.level} (${level.name}) is decided by the ${groups.map((g) => `"${g}"`).join(' or ')} group`,
      );
    }
  }
  if (flow.claimed && flow.assignee && level.quorum === 1 && !sameActor(flow.assignee, principal.actor)) {
    throw new AppError('task_claimed', `Task ${task.id} is claimed by ${flow.assignee.name ?? flow.assignee.id}`);
  }
  if (!config.creatorMayApprove && action !== 'reject' && sameActor(task.createdBy, principal.actor)) {
    throw new AppError('separation_of_duties', 'The creator of a task may not approve it in this queue');
  }
}

/**
 * One reviewer's decision. The vote row (primary key task + voter: one person, one vote per task)
 * and the task's compare-and-set change commit together or not at all, so concurrent voters, and a
 * voter racing the SLA sweeper, always leave one consistent outcome; a lost race re-reads and retries.
 * The vote that completes the last level closes the task with a `decided` event; earlier votes write
 * `vote`, and a vote that completes a level before the last writes `level_approved`.
 */
export async function castVote(
  deps: TaskServiceDeps,
  principal: Principal,
  id: string,
  input: DecisionInput,
): Promise<TaskRecord> {
  authorize(principal, 'task:decide');
  for (let attempt = 0; attempt < MAX_VOTE_ATTEMPTS; attempt++) {
    const task = await deps.store.read.tasks.findById(principal.workspaceId, id);
    if (!task) throw notFound(`Task ${id}`);
    if (isFinalStatus(task.status)) {
      throw new AppError('task_already_decided', `Task ${task.id} is already ${task.status}`);
    }
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

    const now = deps.clock();
    const flow = workflowOf(task);
    const level = levelOf(config, flow.level);
    const vote: VoteRecord = {
      taskId: task.id,
      workspaceId: task.workspaceId,
      level: flow.level,
      action: input.action,
      comment: input.comment ?? null,
      modifiedPayload: input.action === 'approve_with_modifications' ? (input.modifiedPayload as JsonValue) : null,
      actor: principal.actor,
      createdAt: now,
    };
    const all = [...votes, vote];
    const tally = tallyLevel(
      level,
      all.filter((v) => v.level === flow.level),
    );
    const { change, eventFields } = await voteChange(deps.store.read, task, config, flow, vote, all, tally, now);
    const after: TaskRecord = {
      ...task,
      status: change.status,
      updatedAt: now,
      closedAt: change.closedAt ?? task.closedAt,
      decision: change.decision ?? task.decision,
      version: task.version + 1,
      workflow: {
        ...flow,
        ...change.workflow,
        nextSweepAt: isFinalStatus(change.status) ? null : (change.workflow?.nextSweepAt ?? flow.nextSweepAt),
      },
    };
    try {
      await deps.store.transaction(async (tx) => {
        // The compare-and-set comes first: its UPDATE takes the task row's exclusive lock before
        // anything else. Inserting the vote first took a shared lock on that row (the vote's foreign
        // key check), and two voters each holding one while waiting for the exclusive lock is the
        // deadlock InnoDB reported under concurrent decisions. Now a concurrent voter queues on the
        // row, finds the version moved once it gets it, and loses the race cleanly.
        const won = await tx.tasks.transition(
          task.workspaceId,
          task.id,
          { status: task.status, version: task.version },
          change,
        );
        if (!won) throw new LostRace();
        if (!(await tx.votes.insert(vote))) throw new DuplicateVote();
        await recordTaskChange(deps, tx, after, taskEvent(task, eventFields));
      });
    } catch (error) {
      if (error instanceof LostRace || error instanceof DuplicateVote) continue;
      throw error;
    }
    deps.bus.publish({ workspaceId: task.workspaceId, taskId: task.id, status: after.status, version: after.version });
    return after;
  }
  const latest = await deps.store.read.tasks.findById(principal.workspaceId, id);
  if (latest && isFinalStatus(latest.status)) {
    throw new AppError('task_already_decided', `Task ${id} is already ${latest.status}`);
  }
  throw new AppError('internal_error', `Task ${id} kept changing; try again`);
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
  const decision: DecisionRecord = {
    action,
    comment: vote.comment,
    modifiedPayload,
    diff: modifiedPayload === null ? null : unifiedPayloadDiff(task.payload, modifiedPayload),
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

type WorkflowMove =
  | { kind: 'unchanged' }
  | {
      kind: 'change';
      workflow: Partial<TaskWorkflowRecord>;
      event: Omit<EventFields, 'fromStatus' | 'toStatus' | 'createdAt'>;
    };

/**
 * A change to where an open task stands (claim, release, escalate) without a decision: planned on
 * a fresh read, written with a compare-and-set on the version together with its event, retried when
 * someone else changed the task in between, refused once the task is closed.
 */
async function moveOpenTask(
  deps: TaskServiceDeps,
  principal: Principal,
  id: string,
  plan: (task: TaskRecord, flow: TaskWorkflowRecord) => Promise<WorkflowMove>,
): Promise<TaskRecord> {
  authorize(principal, 'task:decide');
  for (let attempt = 0; attempt < 5; attempt++) {
    const task = await deps.store.read.tasks.findById(principal.workspaceId, id);
    if (!task) throw notFound(`Task ${id}`);
    if (isFinalStatus(task.status)) {
      throw new AppError('task_already_decided', `Task ${task.id} is already ${task.status}`);
    }
    const flow = workflowOf(task);
    const move = await plan(task, flow);
    if (move.kind === 'unchanged') return task;
    const now = deps.clock();
    const after: TaskRecord = {
      ...task,
      updatedAt: now,
      version: task.version + 1,
      workflow: { ...flow, ...move.workflow },
    };
    const won = await deps.store.transaction(async (tx) => {
      const ok = await tx.tasks.transition(
        task.workspaceId,
        task.id,
        { status: task.status, version: task.version },
        { status: task.status, updatedAt: now, workflow: move.workflow },
      );
      if (ok) {
        await recordTaskChange(
          deps,
          tx,
          after,
          taskEvent(task, { ...move.event, fromStatus: task.status, toStatus: task.status, createdAt: now }),
        );
      }
      return ok;
    });
    if (won) {
      deps.bus.publish({
        workspaceId: task.workspaceId,
        taskId: task.id,
        status: after.status,
        version: after.version,
      });
      return after;
    }
  }
  throw new AppError('internal_error', `Task ${id} kept changing; try again`);
}

/**
 * A reviewer takes a task: it is assigned to them and marked claimed, with a compare-and-set so of
 * two reviewers claiming at once exactly one wins (the other gets `task_claimed`).
 */
export async function claimTask(deps: TaskServiceDeps, principal: Principal, id: string): Promise<TaskRecord> {
  return moveOpenTask(deps, principal, id, async (task, flow) => {
    if (flow.claimed && flow.assignee) {
      if (sameActor(flow.assignee, principal.actor)) return { kind: 'unchanged' };
      throw new AppError('task_claimed', `Task ${task.id} is claimed by ${flow.assignee.name ?? flow.assignee.id}`);
    }
    const { config } = await resolveQueue(deps.store.read, task.workspaceId, task.queue);
    await assertMayVote(deps.store.read, principal, task, config, 'reject');
    return {
      kind: 'change',
      workflow: { assignee: principal.actor, claimed: true },
      event: { type: 'claimed', actor: principal.actor, reason: null, data: { level: flow.level } },
    };
  });
}

/**
 * The claimer (or an admin) hands a claimed task back to its group: it is offered to the group
 * again and stays assigned to nobody in particular until someone claims it.
 */
export async function releaseTask(deps: TaskServiceDeps, principal: Principal, id: string): Promise<TaskRecord> {
  return moveOpenTask(deps, principal, id, async (task, flow) => {
    if (!flow.claimed) return { kind: 'unchanged' };
    const own = flow.assignee !== null && sameActor(flow.assignee, principal.actor);
    if (!own && principal.role !== 'admin') {
      throw new AppError(
        'task_claimed',
        `Task ${task.id} is claimed by ${flow.assignee?.name ?? flow.assignee?.id ?? 'someone else'}; only they or an admin can release it`,
      );
    }
    return {
      kind: 'change',
      workflow: { assignee: null, claimed: false },
      event: {
        type: 'released',
        actor: principal.actor,
        reason: own ? null : `Released from ${flow.assignee?.name ?? flow.assignee?.id ?? 'its claimer'} by an admin`,
        data: { level: flow.level },
      },
    };
  });
}

/**
 * A reviewer raises a task by hand before its deadline does: priority up one and onto the Escalated
 * column, as the sweeper's raise_priority step would; the SLA chain itself carries on unchanged.
 */
export async function escalateTask(
  deps: TaskServiceDeps,
  principal: Principal,
  id: string,
  reason: string | undefined,
): Promise<TaskRecord> {
  return moveOpenTask(deps, principal, id, async (_task, flow) => {
    if (flow.escalated) return { kind: 'unchanged' };
    return {
      kind: 'change',
      workflow: { escalated: true, priority: flow.priority + 1 },
      event: {
        type: 'escalated',
        actor: principal.actor,
        reason: reason ?? `Escalated by hand; priority raised to ${flow.priority + 1}`,
        data: { step: 'manual', priority: flow.priority + 1 },
      },
    };
  });
}

export async function listVotes(deps: Pick<TaskServiceDeps, 'store'>, principal: Principal, id: string) {
  authorize(principal, 'task:read');
  const task = await deps.store.read.tasks.findById(principal.workspaceId, id);
  if (!task) throw notFound(`Task ${id}`);
  const { config } = await resolveQueue(deps.store.read, task.workspaceId, task.queue);
  const votes = await deps.store.read.votes.listForTask(task.workspaceId, task.id);
  return votes.map((vote) => ({ ...vote, levelName: levelOf(config, vote.level).name }));
}
