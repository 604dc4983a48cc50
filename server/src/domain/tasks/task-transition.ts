import { isFinalStatus, payloadDigest } from '@loopgate/shared';
import { recordTaskAudit } from '../audit/record-task-audit.js';
import type { TaskEventBus } from '../kernel/bus.js';
import { AppError, notFound } from '../kernel/errors.js';
import { newId } from '../kernel/ids.js';
import type { Repositories, Store } from '../store.js';
import {
  DEFAULT_WORKFLOW,
  type DecisionRecord,
  type JsonValue,
  type TaskEventRecord,
  type TaskRecord,
  type TaskTransition,
  type TaskWorkflowRecord,
} from './task-record.js';

/**
 * The one place a task changes. Every transition — a vote, a claim, a release, an escalation, a
 * cancel, an SLA step, an auto-approval — is planned by its use case as a `PlannedChange` and
 * committed here: the compare-and-set UPDATE (`TaskRepository.transition`), the writes that must go
 * with it, the task's event and the change hook (the delivery outbox), all in one transaction;
 * then the change is announced on the bus, after commit, so no listener hears of a change that
 * rolled back. `applyChange` is the JavaScript twin of the repository's conditional UPDATE.
 */

/**
 * Work that must commit atomically with a task change (e.g. queueing its webhook deliveries in an
 * outbox). Runs inside the change's transaction, after its event row is written, with the task as
 * it is after the change; a hook that throws rolls the whole change back.
 */
export type TaskChangeHook = (tx: Repositories, change: { task: TaskRecord; event: TaskEventRecord }) => Promise<void>;

/** What every use case that changes tasks needs. */
export interface TaskChangeDeps {
  store: Store;
  bus: TaskEventBus;
  clock: () => number;
  onTaskChange?: TaskChangeHook;
}

export type EventFields = Omit<TaskEventRecord, 'id' | 'workspaceId' | 'taskId'>;

export function taskEvent(task: Pick<TaskRecord, 'id' | 'workspaceId'>, fields: EventFields): TaskEventRecord {
  return { id: newId('event', fields.createdAt), workspaceId: task.workspaceId, taskId: task.id, ...fields };
}

/** Where a task stands in its queue's workflow; a task stored before workflows existed gets the defaults. */
export function workflowOf(task: TaskRecord): TaskWorkflowRecord {
  return task.workflow ?? { ...DEFAULT_WORKFLOW, nextSweepAt: task.dueAt };
}

/** A change a use case has planned for one task, as read at `version`. */
export interface PlannedChange {
  change: TaskTransition;
  event: EventFields;
  /**
   * Writes that commit with the change, run after its compare-and-set has won (so they queue behind
   * the task row's lock, in one lock order for every transition). Throw `ChangeLost` to abandon the
   * change as a lost race, e.g. when a unique key says someone else got there first.
   */
  alongside?: (tx: Repositories) => Promise<void>;
}

/** The compare-and-set lost: the task changed since it was read. The caller re-reads, or gives up. */
export class ChangeLost extends Error {
  constructor() {
    super('The task changed since it was read');
    this.name = 'ChangeLost';
  }
}

/** The task as `TaskRepository.transition` leaves the row: the JavaScript twin of that UPDATE. */
export function applyChange(task: TaskRecord, change: TaskTransition): TaskRecord {
  // Like the UPDATE, a workflow field the change leaves undefined keeps its value, and one set to
  // null (nextSweepAt included, on an open task) is cleared.
  const named = Object.entries(change.workflow ?? {}).filter(([, value]) => value !== undefined);
  const workflow: TaskWorkflowRecord = { ...workflowOf(task), ...Object.fromEntries(named) };
  // A final task has no deadline left (the UPDATE clears next_sweep_at for every final status).
  if (isFinalStatus(change.status)) workflow.nextSweepAt = null;
  return {
    ...task,
    status: change.status,
    updatedAt: change.updatedAt,
    closedAt: change.closedAt !== undefined ? change.closedAt : task.closedAt,
    decision: change.decision ? storedDecision(change.decision) : task.decision,
    version: task.version + 1,
    workflow,
  };
}

/** A decision as the UPDATE stores it: a modified payload and its diff only for approve_with_modifications. */
function storedDecision(decision: DecisionRecord): DecisionRecord {
  const stored = { ...decision, payloadDigest: decision.payloadDigest ?? null };
  if (decision.action === 'approve_with_modifications') return stored;
  return { ...stored, modifiedPayload: null, diff: null };
}

/** What an approval lets run: the modified payload when modified, else the original; nothing for a rejection. */
export function approvedPayloadOf(payload: JsonValue, decision: Pick<DecisionRecord, 'action' | 'modifiedPayload'>) {
  if (decision.action === 'reject') return undefined;
  return decision.action === 'approve_with_modifications' ? (decision.modifiedPayload ?? null) : payload;
}

/** Every decision is stored with the digest of what it approved, whichever use case made it. */
async function withPayloadDigest(task: TaskRecord, change: TaskTransition): Promise<TaskTransition> {
  if (!change.decision) return change;
  const approved = approvedPayloadOf(task.payload, change.decision);
  const digest = approved === undefined ? null : await payloadDigest(approved);
  return { ...change, decision: { ...change.decision, payloadDigest: digest } };
}

/**
 * Appends a task's event, its audit entry and runs the change hook, inside the caller's transaction.
 * Every task event goes through here (creation and `writeChange`), so every change lands in the
 * ledger; the audit entry is written after the event and before the hook, last of the task's own
 * rows, because taking its number locks the workspace's log head (see recordAudit).
 */
export async function recordTaskEvent(
  deps: Pick<TaskChangeDeps, 'onTaskChange'>,
  tx: Repositories,
  task: TaskRecord,
  event: TaskEventRecord,
): Promise<void> {
  await tx.taskEvents.append(event);
  await recordTaskAudit(tx, task, event);
  await deps.onTaskChange?.(tx, { task, event });
}

/**
 * Writes `planned` inside the caller's transaction: compare-and-set on the version `task` was read
 * at, then the alongside writes, the event and the hook. Throws `ChangeLost` if the row moved on.
 */
export async function writeChange(
  deps: Pick<TaskChangeDeps, 'onTaskChange'>,
  tx: Repositories,
  task: TaskRecord,
  planned: PlannedChange,
): Promise<TaskRecord> {
  const change = await withPayloadDigest(task, planned.change);
  const won = await tx.tasks.transition(
    task.workspaceId,
    task.id,
    { status: task.status, version: task.version },
    change,
  );
  if (!won) throw new ChangeLost();
  await planned.alongside?.(tx);
  const after = applyChange(task, change);
  await recordTaskEvent(deps, tx, after, taskEvent(task, planned.event));
  return after;
}

/** Tells waiters on every process (long-polls, SSE, the board) that `task` changed; call after commit. */
export function publishChange(deps: Pick<TaskChangeDeps, 'bus'>, task: TaskRecord): void {
  deps.bus.publish({ workspaceId: task.workspaceId, taskId: task.id, status: task.status, version: task.version });
}

/** Commits `planned` in a transaction of its own and announces it; null when the race was lost. */
export async function commitChange(
  deps: TaskChangeDeps,
  task: TaskRecord,
  planned: PlannedChange,
): Promise<TaskRecord | null> {
  let after: TaskRecord;
  try {
    after = await deps.store.transaction((tx) => writeChange(deps, tx, task, planned));
  } catch (error) {
    if (error instanceof ChangeLost) return null;
    throw error;
  }
  publishChange(deps, after);
  return after;
}

export function assertOpen(task: Pick<TaskRecord, 'id' | 'status'>): void {
  if (isFinalStatus(task.status)) {
    throw new AppError('task_already_decided', `Task ${task.id} is already ${task.status}`);
  }
}

/** What a planner may answer: a change, or `unchanged` (the task already is as asked; nothing is written). */
export type Plan = PlannedChange | 'unchanged';

/**
 * Read → plan → commit for an open task, retried while another change wins in between (the plan
 * is made again on the fresh task, so its checks see what really is), refused with
 * `task_already_decided` once the task is final. Each lost race means another change committed,
 * so `attempts` only bounds a pathological loop.
 */
export async function changeOpenTask(
  deps: TaskChangeDeps,
  workspaceId: string,
  id: string,
  plan: (task: TaskRecord, now: number) => Promise<Plan>,
  attempts = 8,
): Promise<TaskRecord> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const task = await deps.store.read.tasks.findById(workspaceId, id);
    if (!task) throw notFound(`Task ${id}`);
    assertOpen(task);
    const planned = await plan(task, deps.clock());
    if (planned === 'unchanged') return task;
    const after = await commitChange(deps, task, planned);
    if (after) return after;
  }
  const latest = await deps.store.read.tasks.findById(workspaceId, id);
  if (latest) assertOpen(latest);
  throw new AppError('internal_error', `Task ${id} kept changing; try again`);
}
