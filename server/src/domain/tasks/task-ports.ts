import type { RiskLevel, TaskColumnSort, TaskStatus } from '@loopgate/shared';
import type { PayloadErasureRecord, TaskEventRecord, TaskRecord, TaskTransition } from './task-record.js';
import type { UrgencyKey } from './urgency.js';

/**
 * What the domain needs from storage, and nothing about how it is stored. The store package
 * implements these over TypeORM; domain tests can pass small fakes.
 */
export interface TaskListFilter {
  status?: TaskStatus;
  queue?: string;
  riskLevel?: RiskLevel;
  source?: string;
  externalRef?: string;
  /** Tasks from this agent (agent.id). */
  agentId?: string;
  /** Assigned to this user or API key. */
  assigneeId?: string;
  /** Only tasks nobody is assigned to. */
  unassigned?: boolean;
  /** Tasks carrying this tag. */
  tag?: string;
  /** Only tasks whose deadline is at or before this time (breached, when it is now). */
  dueBy?: number;
  /** A substring of the title. */
  search?: string;
  createdAfter?: number;
  createdBefore?: number;
}

/** Position after the last row of a page: tasks are listed newest first, ties broken by id. */
export interface TaskCursor {
  createdAt: number;
  id: string;
}

/** A column sort: which column and which way. */
export interface ColumnOrder {
  column: TaskColumnSort;
  dir: 'asc' | 'desc';
}

/** Where a column-sorted page ended: the last row's sort value and id. */
export interface ColumnKey {
  value: string | number;
  id: string;
}

export interface TaskRepository {
  insert(task: TaskRecord): Promise<void>;
  findById(workspaceId: string, id: string): Promise<TaskRecord | null>;
  list(workspaceId: string, filter: TaskListFilter, limit: number, after?: TaskCursor): Promise<TaskRecord[]>;
  /** Open tasks (pending or in review) in urgency order (urgency.ts); `offset` pages through them. */
  listOpenByUrgency(workspaceId: string, limit: number, offset: number): Promise<TaskRecord[]>;
  /** The same filters in urgency order (urgency.ts), after the row whose key is `after`. */
  listByUrgency(workspaceId: string, filter: TaskListFilter, limit: number, after?: UrgencyKey): Promise<TaskRecord[]>;
  /**
   * The same filters by one column (column-sort.ts), ties by id in the same direction, after the row
   * whose (value, id) is `after`: keyset paging, so no page repeats or skips a task.
   */
  listByColumn(
    workspaceId: string,
    filter: TaskListFilter,
    order: ColumnOrder,
    limit: number,
    after?: ColumnKey,
  ): Promise<TaskRecord[]>;
  /**
   * Open tasks whose stored assigned group is `from` now name `to` (a group rename); their version
   * goes up, so a change planned on the old name re-plans. Returns how many.
   */
  renameAssignedGroup(workspaceId: string, from: string, to: string, now: number): Promise<number>;
  /**
   * Closed tasks (status in `statuses`) that closed before `closedBefore` and still hold their
   * payload, in any workspace, oldest close first: one batch for payload retention.
   */
  listErasable(statuses: readonly TaskStatus[], closedBefore: number, limit: number): Promise<TaskRecord[]>;
  /**
   * Erases the task's payload, context and the decision's copies of them (modified payload, diff),
   * keeps `erasure`, and moves the version on, if the row is still at `expectedVersion` and not erased:
   * true when this call did it.
   */
  erasePayload(
    workspaceId: string,
    id: string,
    expectedVersion: number,
    erasure: PayloadErasureRecord,
  ): Promise<boolean>;
  /** Compare-and-set: true when this call won (the row still had `expected` status and version). */
  transition(
    workspaceId: string,
    id: string,
    expected: { status: TaskStatus; version: number },
    change: TaskTransition,
  ): Promise<boolean>;
}

export interface TaskEventRepository {
  append(event: TaskEventRecord): Promise<void>;
  listForTask(workspaceId: string, taskId: string): Promise<TaskEventRecord[]>;
}

export interface StoredResponse {
  status: number;
  body: string;
}

export type IdempotencyBegin =
  | { outcome: 'started' }
  | { outcome: 'in_flight' }
  | { outcome: 'mismatch' }
  | { outcome: 'completed'; response: StoredResponse };

export interface IdempotencyRepository {
  /**
   * Claims `key` for a request with `requestHash`. A claim left in flight since before `staleBefore`
   * (its process died) may be taken over, so a crash never locks a key for good.
   */
  begin(
    workspaceId: string,
    key: string,
    requestHash: string,
    now: number,
    staleBefore: number,
  ): Promise<IdempotencyBegin>;
  complete(workspaceId: string, key: string, response: StoredResponse, now: number): Promise<void>;
  release(workspaceId: string, key: string): Promise<void>;
  /** Housekeeping: deletes up to `limit` keys first used at or before `createdBefore`; returns how many. */
  deleteCreatedBefore(createdBefore: number, limit: number): Promise<number>;
}
