import type { ListTasksQuery } from '@loopgate/shared';
import type { Principal } from '../kernel/access.js';
import { isoOrNull } from '../kernel/iso-time.js';
import type { Store } from '../store.js';
import { listTasks } from './read-tasks.js';
import type { TaskRecord } from './task-record.js';
import { workflowOf } from './task-transition.js';

/** The filters and order of GET /api/v1/tasks, without its paging: an export is every match. */
export type ExportTasksQuery = Omit<ListTasksQuery, 'limit' | 'cursor'>;

type Cell = string | number | null;

/**
 * The columns of an export, in order: what an ops manager or an auditor reads in a spreadsheet.
 * Payload and context stay out (they may be large and hold personal data); the task's API view
 * has them.
 */
const COLUMNS: readonly (readonly [string, (task: TaskRecord) => Cell])[] = [
  ['id', (t) => t.id],
  ['title', (t) => t.title],
  ['status', (t) => t.status],
  ['queue', (t) => t.queue],
  ['riskLevel', (t) => t.riskLevel],
  ['confidence', (t) => t.confidence],
  ['source', (t) => t.source],
  ['externalRef', (t) => t.externalRef],
  ['tags', (t) => t.tags.join(' ')],
  ['level', (t) => workflowOf(t).level],
  ['priority', (t) => workflowOf(t).priority],
  ['assignee', (t) => workflowOf(t).assignee?.name ?? workflowOf(t).assignee?.id ?? null],
  ['createdAt', (t) => isoOrNull(t.createdAt)],
  ['dueAt', (t) => isoOrNull(t.dueAt)],
  ['closedAt', (t) => isoOrNull(t.closedAt)],
  ['decision', (t) => t.decision?.action ?? null],
  ['decidedBy', (t) => t.decision?.decidedBy.name ?? t.decision?.decidedBy.id ?? null],
  ['decidedAt', (t) => isoOrNull(t.decision?.decidedAt ?? null)],
  ['comment', (t) => t.decision?.comment ?? null],
];

export const EXPORT_COLUMNS: readonly string[] = COLUMNS.map(([name]) => name);

export type ExportRow = Record<string, Cell>;

export function exportRow(task: TaskRecord): ExportRow {
  return Object.fromEntries(COLUMNS.map(([name, cell]) => [name, cell(task)]));
}

/** Rows read per query: enough to keep round trips few, small enough that memory stays flat. */
const EXPORT_PAGE = 500;

/**
 * Every task matching `query`, one row at a time, read page by page with the list's keyset cursor:
 * memory stays flat however many there are, and the caller's stream sets the pace.
 */
export async function* exportTasks(
  deps: { store: Store; clock: () => number },
  principal: Principal,
  query: ExportTasksQuery,
): AsyncGenerator<ExportRow> {
  let cursor: string | undefined;
  do {
    const page = await listTasks(deps, principal, { ...query, limit: EXPORT_PAGE, cursor });
    for (const task of page.tasks) yield exportRow(task);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}
