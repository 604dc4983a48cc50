import { TASK_COLUMN_SORT_DEFAULT_DIR, type TaskColumnSort, type TaskSort } from '@loopgate/shared';
import { AppError } from '../kernel/errors.js';
import type { ColumnKey, ColumnOrder } from './task-ports.js';
import type { TaskRecord } from './task-record.js';
import { workflowOf } from './task-transition.js';
import { NO_DEADLINE, RISK_RANK, UNKNOWN_RISK_RANK } from './urgency.js';

/**
 * The list's column sorts. Each sorts by one value of the task, ties by id in the same direction,
 * so the order is total and a keyset cursor (the last row's value and id) pages through it. The
 * store orders by the same values in SQL (store/tasks/column-sort-sql.ts); risk sorts by severity
 * (no risk level lowest), due by deadline with "no deadline" after every real one.
 */
export function isColumnSort(sort: TaskSort): sort is TaskColumnSort {
  return Object.hasOwn(TASK_COLUMN_SORT_DEFAULT_DIR, sort);
}

export function columnOrder(column: TaskColumnSort, dir: 'asc' | 'desc' | undefined): ColumnOrder {
  return { column, dir: dir ?? TASK_COLUMN_SORT_DEFAULT_DIR[column] };
}

/** Severity for sorting: unknown 0, low 1 … critical 4 (the urgency rank turned round). */
export function riskSeverity(risk: TaskRecord['riskLevel']): number {
  return UNKNOWN_RISK_RANK - (risk === null ? UNKNOWN_RISK_RANK : RISK_RANK[risk]);
}

/** The value a task sorts by under `column`, as the store's SQL computes it. */
export function columnValue(task: TaskRecord, column: TaskColumnSort): string | number {
  switch (column) {
    case 'title':
      return task.title;
    case 'queue':
      return task.queue;
    case 'status':
      return task.status;
    case 'risk':
      return riskSeverity(task.riskLevel);
    case 'priority':
      return workflowOf(task).priority;
    case 'due':
      return task.dueAt ?? NO_DEADLINE;
    case 'created':
      return task.createdAt;
  }
}

/** Opaque to clients: base64url of JSON [column, dir, value, id]. */
export function encodeColumnCursor(order: ColumnOrder, key: ColumnKey): string {
  return Buffer.from(JSON.stringify([order.column, order.dir, key.value, key.id]), 'utf8').toString('base64url');
}

/** The key a cursor carries; refused when it was made for another order (a stale link after re-sorting). */
export function decodeColumnCursor(cursor: string, order: ColumnOrder): ColumnKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  const numeric = order.column !== 'title' && order.column !== 'queue' && order.column !== 'status';
  if (
    Array.isArray(parsed) &&
    parsed.length === 4 &&
    parsed[0] === order.column &&
    parsed[1] === order.dir &&
    (numeric ? Number.isSafeInteger(parsed[2]) : typeof parsed[2] === 'string' && parsed[2].length <= 500) &&
    typeof parsed[3] === 'string' &&
    /^[a-z]{3}_[0-9a-z]{1,40}$/.test(parsed[3])
  ) {
    return { value: parsed[2] as string | number, id: parsed[3] };
  }
  throw new AppError('validation_failed', 'cursor is not one this API returned for this sort', [
    { path: 'cursor', message: 'invalid cursor' },
  ]);
}
