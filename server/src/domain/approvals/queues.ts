import type { CreateTaskInput, PolicyDryRunResult, QueueConfig } from '@loopgate/shared';
import { auditActorOf, recordAudit } from '../audit/record-audit.js';
import { authorize, type Principal } from '../kernel/access.js';
import { AppError, notFound } from '../kernel/errors.js';
import { newId } from '../kernel/ids.js';
import type { Store } from '../store.js';
import type { JsonValue } from '../tasks/task-record.js';
import type { GroupMember, QueueRecord, ReviewerGroupRecord } from './approval-ports.js';
import { DEFAULT_QUEUE_NAME, FAIL_CLOSED_CONFIG, requireQueue } from './queue-config.js';
import { evaluatePolicy, queueDueAt, sweepOffsetMs } from './routing-policy.js';

export interface QueueServiceDeps {
  store: Store;
  clock: () => number;
}

export interface QueueView {
  name: string;
  config: QueueConfig;
  createdAt: number;
  updatedAt: number;
  builtIn: boolean;
}

function view(queue: QueueRecord): QueueView {
  return {
    name: queue.name,
    config: queue.config,
    createdAt: queue.createdAt,
    updatedAt: queue.updatedAt,
    builtIn: false,
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

export async function createQueue(
  deps: QueueServiceDeps,
  principal: Principal,
  input: { name: string; config: QueueConfig },
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
  };
  const inserted = await deps.store.transaction((tx) => tx.queues.insert(queue));
  if (!inserted) throw new AppError('conflict', `Queue "${input.name}" already exists`);
  return view(queue);
}

/** Replaces a queue's configuration. The default queue may be configured too; it then stops being built in. */
export async function updateQueue(
  deps: QueueServiceDeps,
  principal: Principal,
  name: string,
  config: QueueConfig,
): Promise<QueueView> {
  authorize(principal, 'workspace:admin');
  await assertGroupsExist(deps, principal.workspaceId, config);
  const now = deps.clock();
  const updated = await deps.store.transaction(async (tx) => {
    const saved =
      (await tx.queues.update(principal.workspaceId, name, config, now)) ||
      (name === DEFAULT_QUEUE_NAME &&
        (await tx.queues.insert({
          id: newId('queue', now),
          workspaceId: principal.workspaceId,
          name,
          config,
          createdAt: now,
          updatedAt: now,
        })));
    // Open tasks keep the deadline they were promised (a new SLA applies to new tasks), but their
    // next escalation step follows the new chain, in the same transaction as the new config.
    if (saved) {
      await tx.sweep.reschedule(
        principal.workspaceId,
        name,
        config.escalation.map((_step, index) => sweepOffsetMs(config, index)),
        sweepOffsetMs(config, config.escalation.length),
      );
    }
    return saved;
  });
  if (!updated) throw notFound(`Queue "${name}"`);
  const queue = await deps.store.read.queues.findByName(principal.workspaceId, name);
  if (!queue) throw notFound(`Queue "${name}"`);
  return view(queue);
}

export async function getQueue(deps: QueueServiceDeps, principal: Principal, name: string): Promise<QueueView> {
  authorize(principal, 'task:read');
  const queue = await deps.store.read.queues.findByName(principal.workspaceId, name);
  if (queue) return view(queue);
  if (name === DEFAULT_QUEUE_NAME) return builtInDefault();
  throw notFound(`Queue "${name}"`);
}

function builtInDefault(): QueueView {
  return { name: DEFAULT_QUEUE_NAME, config: FAIL_CLOSED_CONFIG, createdAt: 0, updatedAt: 0, builtIn: true };
}

export async function listQueues(deps: QueueServiceDeps, principal: Principal): Promise<QueueView[]> {
  authorize(principal, 'task:read');
  const queues = (await deps.store.read.queues.list(principal.workspaceId)).map(view);
  if (!queues.some((queue) => queue.name === DEFAULT_QUEUE_NAME)) queues.unshift(builtInDefault());
  return queues;
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
  const routing = evaluatePolicy(config, {
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
  const dueAt = routing.outcome === 'review' ? (own ?? queueDueAt(config, input.riskLevel ?? null, now)) : null;
  return {
    queue,
    outcome: routing.outcome,
    rule: routing.rule,
    reason: routing.reason,
    levels: config.levels.slice(0, routing.levels).map((level) => level.name),
    dueAt: dueAt === null ? null : new Date(dueAt).toISOString(),
    sampled: routing.sampled,
  };
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
