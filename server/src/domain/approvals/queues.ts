import {
  type CreateTaskInput,
  type PolicyDryRunResult,
  QUEUE_PREVIEW_TASKS,
  type QueueConfig,
  type QueuePreview,
  type RejectReason,
} from '@loopgate/shared';
import { auditActorOf, recordAudit } from '../audit/record-audit.js';
import { authorize, type Principal } from '../kernel/access.js';
import { AppError, notFound } from '../kernel/errors.js';
import { newId } from '../kernel/ids.js';
import type { Store } from '../store.js';
import type { JsonValue, TaskRecord } from '../tasks/task-record.js';
import type { GroupMember, QueueRecord, ReviewerGroupRecord } from './approval-ports.js';
import { type ConfigWarning, queueConfigWarnings } from './policy-warnings.js';
import { DEFAULT_QUEUE_NAME, FAIL_CLOSED_CONFIG, requireQueue, resolveQueue } from './queue-config.js';
import { reportedRiskLevel, routeTask } from './route-task.js';
import { queueDueAt, sweepOffsetMs } from './routing-policy.js';

export interface QueueServiceDeps {
  store: Store;
  clock: () => number;
}

export interface QueueView {
  name: string;
  config: QueueConfig;
  /** 1 when created, +1 on every change; 0 for the built-in default queue. */
  version: number;
  createdAt: number;
  updatedAt: number;
  builtIn: boolean;
  warnings: ConfigWarning[];
}

function view(queue: QueueRecord): QueueView {
  return {
    name: queue.name,
    config: queue.config,
    version: queue.version,
    createdAt: queue.createdAt,
    updatedAt: queue.updatedAt,
    builtIn: false,
    warnings: queueConfigWarnings(queue.config),
  };
}

/** Every group a config names must exist, so a typo fails when the admin saves, not when a task escalates. */
async function assertGroupsExist(deps: QueueServiceDeps, workspaceId: string, config: QueueConfig): Promise<void> {
  const names = new Set<string>(config.reviewerGroups);
  for (const level of config.levels) if (level.group) names.add(level.group);
  for (const step of config.escalation) if (step.group) names.add(step.group);
  const missing: string[] = [];
  for (const name of names) {
    if (!(await deps.store.read.reviewerGroups.findByName(workspaceId, name))) missing.push(name);
  }
  if (missing.length > 0) {
    throw new AppError(
      'validation_failed',
      `Unknown reviewer group${missing.length === 1 ? '' : 's'}: ${missing.join(', ')}`,
      missing.map((name) => ({ path: 'config', message: `no reviewer group "${name}"` })),
    );
  }
}

/**
 * The top-level fields of a queue config that differ, each with its value before and after: what a
 * `queue.updated` entry keeps, so a reader sees the change without diffing two whole configs. Queue
 * configs hold no secrets, so the values go in as they are.
 */
export function queueConfigChanges(before: QueueConfig, after: QueueConfig): { [field: string]: JsonValue } {
  const changes: { [field: string]: JsonValue } = {};
  const fields = new Set([...Object.keys(before), ...Object.keys(after)]) as Set<keyof QueueConfig>;
  for (const field of fields) {
    const from = (before[field] ?? null) as JsonValue;
    const to = (after[field] ?? null) as JsonValue;
    if (JSON.stringify(from) !== JSON.stringify(to)) changes[field] = { from, to };
  }
  return changes;
}

export async function createQueue(
  deps: QueueServiceDeps,
  principal: Principal,
  input: { name: string; config: QueueConfig },
  requestId: string | null = null,
): Promise<QueueView> {
  authorize(principal, 'workspace:admin');
  await assertGroupsExist(deps, principal.workspaceId, input.config);
  const now = deps.clock();
  const queue: QueueRecord = {
    id: newId('queue', now),
    workspaceId: principal.workspaceId,
    name: input.name,
    config: input.config,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  const inserted = await deps.store.transaction(async (tx) => {
    if (!(await tx.queues.insert(queue))) return false;
    await recordAudit(tx, {
      workspaceId: principal.workspaceId,
      at: now,
      actor: auditActorOf(principal),
      action: 'queue.created',
      target: { type: 'queue', id: queue.id },
      data: { name: queue.name, version: queue.version, config: queue.config as unknown as JsonValue },
      requestId,
    });
    return true;
  });
  if (!inserted) throw new AppError('conflict', `Queue "${input.name}" already exists`);
  return view(queue);
}

/** Another admin saved the queue between this save's read and its write; the save reads again. */
const QUEUE_SAVE_ATTEMPTS = 8;

/**
 * Replaces a queue's configuration, as the next version, with its audit entry (the fields that
 * changed) in the same transaction. The default queue may be configured too; it then stops being
 * built in, and its first version's entry says what changed from the built-in config. The write
 * is a compare-and-set on the version read, so the entry's "from" is the version really replaced.
 */
export async function updateQueue(
  deps: QueueServiceDeps,
  principal: Principal,
  name: string,
  config: QueueConfig,
  requestId: string | null = null,
): Promise<QueueView> {
  authorize(principal, 'workspace:admin');
  await assertGroupsExist(deps, principal.workspaceId, config);
  const { workspaceId } = principal;
  for (let attempt = 0; attempt < QUEUE_SAVE_ATTEMPTS; attempt++) {
    const now = deps.clock();
    const outcome = await deps.store.transaction(async (tx): Promise<QueueRecord | 'lost' | 'missing'> => {
      const before = await tx.queues.findByName(workspaceId, name);
      let saved: QueueRecord;
      if (before) {
        if (!(await tx.queues.update(workspaceId, name, config, now, before.version))) return 'lost';
        saved = { ...before, config, updatedAt: now, version: before.version + 1 };
      } else if (name === DEFAULT_QUEUE_NAME) {
        saved = { id: newId('queue', now), workspaceId, name, config, createdAt: now, updatedAt: now, version: 1 };
        if (!(await tx.queues.insert(saved))) return 'lost';
      } else {
        return 'missing';
      }
      // Open tasks keep the deadline they were promised (a new SLA applies to new tasks), but their
      // next escalation step follows the new chain, in the same transaction as the new config.
      await tx.sweep.reschedule(
        workspaceId,
        name,
        config.escalation.map((_step, index) => sweepOffsetMs(config, index)),
        sweepOffsetMs(config, config.escalation.length),
      );
      await recordAudit(tx, {
        workspaceId,
        at: now,
        actor: auditActorOf(principal),
        action: 'queue.updated',
        target: { type: 'queue', id: saved.id },
        data: {
          name,
          version: saved.version,
          changes: queueConfigChanges(before?.config ?? FAIL_CLOSED_CONFIG, config),
        },
        requestId,
      });
      return saved;
    });
    if (outcome === 'missing') throw notFound(`Queue "${name}"`);
    if (outcome === 'lost') continue;
    const queue = await deps.store.read.queues.findByName(workspaceId, name);
    return view(queue ?? outcome);
  }
  throw new AppError('conflict', `Queue "${name}" kept changing while saving; try again`);
}

export async function getQueue(deps: QueueServiceDeps, principal: Principal, name: string): Promise<QueueView> {
  authorize(principal, 'task:read');
  const queue = await deps.store.read.queues.findByName(principal.workspaceId, name);
  if (queue) return view(queue);
  if (name === DEFAULT_QUEUE_NAME) return builtInDefault();
  throw notFound(`Queue "${name}"`);
}

function builtInDefault(): QueueView {
  return {
    name: DEFAULT_QUEUE_NAME,
    config: FAIL_CLOSED_CONFIG,
    version: 0,
    createdAt: 0,
    updatedAt: 0,
    builtIn: true,
    warnings: queueConfigWarnings(FAIL_CLOSED_CONFIG),
  };
}

export async function listQueues(deps: QueueServiceDeps, principal: Principal): Promise<QueueView[]> {
  authorize(principal, 'task:read');
  const queues = (await deps.store.read.queues.list(principal.workspaceId)).map(view);
  if (!queues.some((queue) => queue.name === DEFAULT_QUEUE_NAME)) queues.unshift(builtInDefault());
  return queues;
}

/**
 * The reasons a reviewer chooses from when rejecting `task`: its queue's rejectReasons, in the admin's
 * order. Empty means the queue lists none, and a reject needs only its comment. Pages offer these as
 * choices; decideTask refuses a reject of such a task without one of their codes.
 */
export async function rejectReasonsForTask(
  deps: { store: Pick<Store, 'read'> },
  task: Pick<TaskRecord, 'workspaceId' | 'queue'>,
): Promise<RejectReason[]> {
  const { config } = await resolveQueue(deps.store.read, task.workspaceId, task.queue);
  return config.rejectReasons;
}

/**
 * What the queue's policy would do with this task, and why, without storing anything. The task id
 * the sampling rule hashes is taken from `externalRef` when given (so a caller can ask "would this
 * one sample in?" repeatably), otherwise a fresh id is drawn, as creation would.
 */
export async function dryRunPolicy(
  deps: QueueServiceDeps,
  principal: Principal,
  input: CreateTaskInput,
): Promise<PolicyDryRunResult> {
  authorize(principal, 'task:create');
  const now = deps.clock();
  const queue = input.queue ?? DEFAULT_QUEUE_NAME;
  const { config } = await requireQueue(deps.store.read, principal.workspaceId, queue);
  const { routing, riskLevel } = routeTask(config, {
    id: input.externalRef ?? newId('task', now),
    confidence: input.confidence ?? null,
    riskLevel: input.riskLevel ?? null,
    payload: input.payload as JsonValue,
    context: (input.context ?? null) as JsonValue | null,
    tags: input.tags ?? [],
  });
  const own =
    input.slaSeconds !== undefined
      ? now + input.slaSeconds * 1000
      : input.dueAt !== undefined
        ? Date.parse(input.dueAt)
        : null;
  const dueAt = routing.outcome === 'review' ? (own ?? queueDueAt(config, riskLevel, now)) : null;
  return {
    queue,
    outcome: routing.outcome,
    rule: routing.rule,
    reason: routing.reason,
    levels: config.levels.slice(0, routing.levels).map((level) => level.name),
    dueAt: dueAt === null ? null : new Date(dueAt).toISOString(),
    sampled: routing.sampled,
    warnings: queueConfigWarnings(config),
  };
}

const count = (n: number) => `${n} task${n === 1 ? '' : 's'}`;

function previewSentence(recent: Omit<QueuePreview['recent'], 'summary'>): string {
  if (recent.tasks === 0) return 'This queue has no tasks yet, so there is nothing to preview.';
  const { autoApproved, autoApprovedButRejected: rejectedCount } = recent;
  const rejected =
    autoApproved === 0
      ? ''
      : rejectedCount === 0
        ? `; none of ${autoApproved === 1 ? 'them' : `those ${autoApproved}`} was rejected by a human`
        : `; ${rejectedCount} of those ${autoApproved} ${rejectedCount === 1 ? 'was' : 'were'} rejected by humans`;
  return `Of the last ${count(recent.tasks)}, this config would send ${recent.review} to humans and auto-approve ${recent.autoApproved}${rejected}.`;
}

/**
 * What a proposed config would have done with the queue's most recent tasks, before an admin saves
 * it: how many go to humans, how many are auto-approved, and how many of those auto-approved ones
 * a human actually rejected (the cost of the change). Reads only; nothing is saved.
 */
export async function previewQueueConfig(
  deps: QueueServiceDeps,
  principal: Principal,
  name: string,
  config: QueueConfig,
): Promise<QueuePreview> {
  authorize(principal, 'workspace:admin');
  const queue = await getQueue(deps, principal, name);
  const tasks = await deps.store.read.tasks.list(principal.workspaceId, { queue: queue.name }, QUEUE_PREVIEW_TASKS);
  const recent = { tasks: tasks.length, review: 0, autoApproved: 0, autoApprovedButRejected: 0 };
  for (const task of tasks) {
    // As the task was sent: the agent's risk level, classified again by the proposed detectors.
    const { routing: routed } = routeTask(config, { ...task, riskLevel: reportedRiskLevel(task) });
    if (routed.outcome === 'review') {
      recent.review++;
      continue;
    }
    recent.autoApproved++;
    const decision = task.decision;
    if (decision && decision.action === 'reject' && decision.decidedBy.type !== 'policy') {
      recent.autoApprovedButRejected++;
    }
  }
  return {
    queue: queue.name,
    warnings: queueConfigWarnings(config),
    recent: { ...recent, summary: previewSentence(recent) },
  };
}

export const HEALTH_WINDOW_MS = 24 * 3600 * 1000;

/** How a queue is doing now: open and breached tasks, and the median time humans took to decide over the last 24 h. */
export interface QueueHealth {
  open: number;
  breached: number;
  /** Tasks a human decided in the last 24 h. */
  decided: number;
  /** Median creation-to-decision time of those, in ms; null when there were none. */
  medianDecisionMs: number | null;
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Every queue's health by name (queues with no tasks are absent: all zero). One store query per figure group. */
export async function queueHealth(deps: QueueServiceDeps, principal: Principal): Promise<Map<string, QueueHealth>> {
  authorize(principal, 'task:read');
  const now = deps.clock();
  const [open, times] = await Promise.all([
    deps.store.read.queues.openCounts(principal.workspaceId, now),
    deps.store.read.queues.decisionTimes(principal.workspaceId, now - HEALTH_WINDOW_MS),
  ]);
  const health = new Map<string, QueueHealth>();
  const of = (queue: string) => {
    let entry = health.get(queue);
    if (!entry) {
      entry = { open: 0, breached: 0, decided: 0, medianDecisionMs: null };
      health.set(queue, entry);
    }
    return entry;
  };
  for (const row of open) Object.assign(of(row.queue), { open: row.open, breached: row.breached });
  const byQueue = new Map<string, number[]>();
  for (const row of times) byQueue.set(row.queue, [...(byQueue.get(row.queue) ?? []), row.tookMs]);
  for (const [queue, took] of byQueue)
    Object.assign(of(queue), { decided: took.length, medianDecisionMs: median(took) });
  return health;
}

async function resolveMembers(deps: QueueServiceDeps, workspaceId: string, refs: string[]): Promise<GroupMember[]> {
  const members: GroupMember[] = [];
  const unknown: string[] = [];
  const seen = new Set<string>();
  for (const ref of refs) {
    const member = await deps.store.read.reviewerGroups.resolveMember(workspaceId, ref);
    if (!member) unknown.push(ref);
    else if (!seen.has(`${member.type}:${member.id}`)) {
      seen.add(`${member.type}:${member.id}`);
      members.push(member);
    }
  }
  if (unknown.length > 0) {
    throw new AppError(
      'validation_failed',
      `Not a user or API key of this workspace: ${unknown.join(', ')}`,
      unknown.map((ref) => ({ path: 'members', message: `unknown member ${ref}` })),
    );
  }
  return members;
}

export async function createReviewerGroup(
  deps: QueueServiceDeps,
  principal: Principal,
  input: { name: string; members: string[] },
  requestId: string | null = null,
): Promise<ReviewerGroupRecord> {
  authorize(principal, 'workspace:admin');
  const members = await resolveMembers(deps, principal.workspaceId, input.members);
  const now = deps.clock();
  const group = { id: newId('group', now), workspaceId: principal.workspaceId, name: input.name, createdAt: now };
  const inserted = await deps.store.transaction(async (tx) => {
    if (!(await tx.reviewerGroups.insert(group))) return false;
    await tx.reviewerGroups.replaceMembers(group.id, members, now);
    await recordAudit(tx, {
      workspaceId: principal.workspaceId,
      at: now,
      actor: auditActorOf(principal),
      action: 'reviewer_group.created',
      target: { type: 'reviewer_group', id: group.id },
      data: { name: group.name, members: members.map((m) => `${m.type}:${m.id}`) },
      requestId,
    });
    return true;
  });
  if (!inserted) throw new AppError('conflict', `Reviewer group "${input.name}" already exists`);
  return { ...group, members };
}

export async function setReviewerGroupMembers(
  deps: QueueServiceDeps,
  principal: Principal,
  name: string,
  refs: string[],
  requestId: string | null = null,
): Promise<ReviewerGroupRecord> {
  authorize(principal, 'workspace:admin');
  const group = await deps.store.read.reviewerGroups.findByName(principal.workspaceId, name);
  if (!group) throw notFound(`Reviewer group "${name}"`);
  const members = await resolveMembers(deps, principal.workspaceId, refs);
  const now = deps.clock();
  await deps.store.transaction(async (tx) => {
    await tx.reviewerGroups.replaceMembers(group.id, members, now);
    await recordAudit(tx, {
      workspaceId: principal.workspaceId,
      at: now,
      actor: auditActorOf(principal),
      action: 'reviewer_group.members_changed',
      target: { type: 'reviewer_group', id: group.id },
      data: {
        name: group.name,
        from: group.members.map((m) => `${m.type}:${m.id}`),
        to: members.map((m) => `${m.type}:${m.id}`),
      },
      requestId,
    });
  });
  return { ...group, members };
}

export async function listReviewerGroups(deps: QueueServiceDeps, principal: Principal) {
  authorize(principal, 'task:read');
  return deps.store.read.reviewerGroups.list(principal.workspaceId);
}
