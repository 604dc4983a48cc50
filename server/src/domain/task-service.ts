import {
  type Actor,
  type CancelInput,
  type CreateTaskInput,
  type DecisionInput,
  isFinalStatus,
  type ListTasksQuery,
  type TaskStatus,
} from '@loopgate/shared';
import { authorize, type Principal } from './access.js';
import { castVote, planNewTask } from './approval-service.js';
import { AppError, notFound } from './errors.js';
import { newId } from './ids.js';
import type { Repositories, Store, StoredResponse, TaskCursor, TaskEventBus } from './ports.js';
import type { JsonValue, TaskEventRecord, TaskRecord, TaskTransition } from './task-record.js';
import { toTaskView } from './task-view.js';

/**
 * Work that must commit atomically with a task change (e.g. queueing its webhook deliveries in an
 * outbox). Runs inside the change's transaction, after its event row is written, with the task as
 * it is after the change; a hook that throws rolls the whole change back.
 */
export type TaskChangeHook = (tx: Repositories, change: { task: TaskRecord; event: TaskEventRecord }) => Promise<void>;

export interface TaskServiceDeps {
  store: Store;
  bus: TaskEventBus;
  clock: () => number;
  onTaskChange?: TaskChangeHook;
  /** Refuses a callback URL the workspace may not call (e.g. private addresses); throws an AppError. */
  checkCallbackUrl?: (workspaceId: string, url: string) => Promise<void>;
}

/** Appends the event of a change and runs the change hook, inside the caller's transaction. */
export async function recordTaskChange(
  deps: Pick<TaskServiceDeps, 'onTaskChange'>,
  tx: Repositories,
  task: TaskRecord,
  taskEvent: TaskEventRecord,
): Promise<void> {
  await tx.taskEvents.append(taskEvent);
  await deps.onTaskChange?.(tx, { task, event: taskEvent });
}

export const DEFAULT_QUEUE = 'default';

/** How long an Idempotency-Key claim may stay in flight before another request may take it over. */
export const IDEMPOTENCY_STALE_MS = 60_000;

export interface IdempotencyRequest {
  key: string;
  requestHash: string;
}

export type CreateTaskResult = { kind: 'created'; task: TaskRecord } | { kind: 'replayed'; response: StoredResponse };

function event(
  task: Pick<TaskRecord, 'id' | 'workspaceId'>,
  fields: Omit<TaskEventRecord, 'id' | 'workspaceId' | 'taskId'>,
): TaskEventRecord {
  return { id: newId('event', fields.createdAt), workspaceId: task.workspaceId, taskId: task.id, ...fields };
}

/** A replay needs the same key and the same body (callback URL included), so it shows what the creator saw. */
function createdResponse(task: TaskRecord, creator: Principal): StoredResponse {
  return { status: 201, body: JSON.stringify(toTaskView(task, creator)) };
}

export async function createTask(
  deps: TaskServiceDeps,
  principal: Principal,
  input: CreateTaskInput,
  idempotency?: IdempotencyRequest,
): Promise<CreateTaskResult> {
  authorize(principal, 'task:create');
  const now = deps.clock();
  const dueAt = resolveDueAt(input, now);
  const { workspaceId } = principal;
  if (input.callbackUrl !== undefined) await deps.checkCallbackUrl?.(workspaceId, input.callbackUrl);

  if (idempotency) {
    const claim = await deps.store.transaction((tx) =>
      tx.idempotency.begin(workspaceId, idempotency.key, idempotency.requestHash, now, now - IDEMPOTENCY_STALE_MS),
    );
    if (claim.outcome === 'completed') return { kind: 'replayed', response: claim.response };
    if (claim.outcome === 'in_flight') throw new AppError('idempotency_request_in_flight');
    if (claim.outcome === 'mismatch') {
      throw new AppError(
        'idempotency_key_reused',
        `Idempotency-Key "${idempotency.key}" was first used with a different request body`,
      );
    }
  }

  const draft: TaskRecord = {
    id: newId('task', now),
    workspaceId,
    queue: input.queue ?? DEFAULT_QUEUE,
    title: input.title,
    description: input.description ?? null,
    payload: input.payload as JsonValue,
    context: (input.context ?? null) as JsonValue | null,
    confidence: input.confidence ?? null,
    riskLevel: input.riskLevel ?? null,
    tags: input.tags ?? [],
    source: input.source ?? 'api',
    externalRef: input.externalRef ?? null,
    callbackUrl: input.callbackUrl ?? null,
    status: 'pending_review',
    dueAt,
    createdAt: now,
    updatedAt: now,
    closedAt: null,
    version: 1,
    createdBy: principal.actor,
    decision: null,
  };
  let task: TaskRecord;
  try {
    // The queue's routing policy: review (how many levels, who first) or auto-approval by the policy actor.
    const { task: created, routing, autoApproval } = await planNewTask(deps, draft, now);
    const final = autoApproval?.after ?? created;
    task = final;
    await deps.store.transaction(async (tx) => {
      await tx.tasks.insert(created);
      // Named reviewers are asked by e-mail instead of the queue's group (see review-link-service).
      if (input.reviewers?.length) await tx.taskReviewers.add(workspaceId, created.id, input.reviewers);
      await recordTaskChange(
        deps,
        tx,
        created,
        event(created, {
          type: 'created',
          fromStatus: null,
          toStatus: created.status,
          actor: principal.actor,
          reason: routing.reason,
          data: { rule: routing.rule, outcome: routing.outcome, levels: routing.levels },
          createdAt: now,
        }),
      );
      if (autoApproval) {
        const won = await tx.tasks.transition(
          workspaceId,
          created.id,
          { status: created.status, version: created.version },
          autoApproval.change,
        );
        if (!won) throw new AppError('internal_error', `Task ${created.id} changed while it was being created`);
        await recordTaskChange(deps, tx, autoApproval.after, event(created, autoApproval.event));
      }
      if (input.notifyEscalations) {
        await tx.deliverySettings.setTaskOptions(workspaceId, final.id, { notifyEscalations: true });
      }
      if (idempotency)
        await tx.idempotency.complete(workspaceId, idempotency.key, createdResponse(final, principal), now);
    });
  } catch (error) {
    if (idempotency) await deps.store.transaction((tx) => tx.idempotency.release(workspaceId, idempotency.key));
    throw error;
  }
  deps.bus.publish({ workspaceId, taskId: task.id, status: task.status, version: task.version });
  return { kind: 'created', task };
}

function resolveDueAt(input: CreateTaskInput, now: number): number | null {
  if (input.slaSeconds !== undefined) return now + input.slaSeconds * 1000;
  if (input.dueAt === undefined) return null;
  const dueAt = Date.parse(input.dueAt);
  if (dueAt <= now) {
    throw new AppError('validation_failed', 'dueAt is in the past', [
      { path: 'dueAt', message: 'must be in the future' },
    ]);
  }
  return dueAt;
}

export async function getTask(deps: Pick<TaskServiceDeps, 'store'>, principal: Principal, id: string) {
  authorize(principal, 'task:read');
  const task = await deps.store.read.tasks.findById(principal.workspaceId, id);
  if (!task) throw notFound(`Task ${id}`);
  return task;
}

export async function listTasks(deps: Pick<TaskServiceDeps, 'store'>, principal: Principal, query: ListTasksQuery) {
  authorize(principal, 'task:read');
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const filter = {
    status: query.status,
    queue: query.queue,
    riskLevel: query.riskLevel,
    source: query.source,
    externalRef: query.externalRef,
    createdAfter: query.createdAfter === undefined ? undefined : Date.parse(query.createdAfter),
    createdBefore: query.createdBefore === undefined ? undefined : Date.parse(query.createdBefore),
  };
  // One extra row tells whether another page exists without a COUNT query.
  const rows = await deps.store.read.tasks.list(principal.workspaceId, filter, query.limit + 1, after);
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  const nextCursor =
    rows.length > query.limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null;
  return { tasks: page, nextCursor };
}

export function encodeCursor(cursor: TaskCursor): string {
  return Buffer.from(`${cursor.createdAt}:${cursor.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): TaskCursor {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(\d{1,15}):([a-z]{3}_[0-9a-z]{1,40})$/.exec(decoded);
  if (!match?.[1] || !match[2]) {
    throw new AppError('validation_failed', 'cursor is not one this API returned', [
      { path: 'cursor', message: 'invalid cursor' },
    ]);
  }
  return { createdAt: Number(match[1]), id: match[2] };
}

export async function listTaskEvents(deps: Pick<TaskServiceDeps, 'store'>, principal: Principal, id: string) {
  const task = await getTask(deps, principal, id);
  return deps.store.read.taskEvents.listForTask(principal.workspaceId, task.id);
}

/**
 * Moves an open task to a final status with compare-and-set, so of any number of concurrent
 * callers (reviewers, the SLA sweeper) exactly one wins; the others get `task_already_decided`.
 * A lost race against a non-final change (the version moved but the task is still open) is retried.
 */
async function closeTask(
  deps: TaskServiceDeps,
  principal: Principal,
  id: string,
  build: (
    task: TaskRecord,
    now: number,
  ) => { change: TaskTransition; event: Omit<TaskEventRecord, 'id' | 'workspaceId' | 'taskId'> },
): Promise<TaskRecord> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const task = await deps.store.read.tasks.findById(principal.workspaceId, id);
    if (!task) throw notFound(`Task ${id}`);
    assertOpen(task);
    const now = deps.clock();
    const { change, event: eventFields } = build(task, now);
    const closed: TaskRecord = {
      ...task,
      status: change.status,
      updatedAt: change.updatedAt,
      closedAt: change.closedAt ?? task.closedAt,
      decision: change.decision ?? task.decision,
      version: task.version + 1,
    };
    const won = await deps.store.transaction(async (tx: Repositories) => {
      const ok = await tx.tasks.transition(
        principal.workspaceId,
        id,
        { status: task.status, version: task.version },
        change,
      );
      if (ok) await recordTaskChange(deps, tx, closed, event(task, eventFields));
      return ok;
    });
    if (won) {
      deps.bus.publish({ workspaceId: task.workspaceId, taskId: id, status: closed.status, version: closed.version });
      return closed;
    }
  }
  const latest = await deps.store.read.tasks.findById(principal.workspaceId, id);
  if (latest) assertOpen(latest);
  throw new AppError('internal_error', `Task ${id} kept changing; try again`);
}

function assertOpen(task: TaskRecord): void {
  if (isFinalStatus(task.status)) {
    throw new AppError('task_already_decided', `Task ${task.id} is already ${task.status}`);
  }
}

export async function decideTask(deps: TaskServiceDeps, principal: Principal, id: string, input: DecisionInput) {
  authorize(principal, 'task:decide');
  // Quorum, levels and separation of duties live with the queue's approval rules.
  return castVote(deps, principal, id, input);
}

export async function cancelTask(deps: TaskServiceDeps, principal: Principal, id: string, input: CancelInput) {
  authorize(principal, 'task:cancel');
  return closeTask(deps, principal, id, (task, now) => ({
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

/**
 * Answers as soon as the task reaches a final status, or with the still-open task when `timeoutMs`
 * passes. Subscribes before reading, so a decision landing in between is never missed.
 */
export async function waitForTask(
  deps: TaskServiceDeps,
  principal: Principal,
  id: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<TaskRecord> {
  authorize(principal, 'task:read');
  let wake: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    wake = resolve;
  });
  const unsubscribe = deps.bus.subscribe((message) => {
    if (message.taskId === id && message.workspaceId === principal.workspaceId && isFinalStatus(message.status)) wake();
  });
  const timer = setTimeout(wake, timeoutMs);
  const onAbort = () => wake();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const task = await getTask(deps, principal, id);
    if (isFinalStatus(task.status) || timeoutMs === 0) return task;
    await finished;
    return await getTask(deps, principal, id);
  } finally {
    clearTimeout(timer);
    unsubscribe();
    signal?.removeEventListener('abort', onAbort);
  }
}

export function systemActor(name: string): Actor {
  return { type: 'system', id: null, name };
}

export type { TaskStatus };
