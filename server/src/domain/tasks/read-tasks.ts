import type { ListTasksQuery } from '@loopgate/shared';
import { authorize, type Principal } from '../kernel/access.js';
import { notFound } from '../kernel/errors.js';
import type { Store } from '../store.js';
import { columnOrder, columnValue, decodeColumnCursor, encodeColumnCursor, isColumnSort } from './column-sort.js';
import { decodeCursor, encodeCursor } from './task-cursor.js';
import type { TaskListFilter } from './task-ports.js';
import { workflowOf } from './task-transition.js';
import { decodeUrgencyCursor, encodeUrgencyCursor, urgencyKey } from './urgency.js';

export async function getTask(deps: { store: Store }, principal: Principal, id: string) {
  authorize(principal, 'task:read');
  const task = await deps.store.read.tasks.findById(principal.workspaceId, id);
  if (!task) throw notFound(`Task ${id}`);
  return task;
}

/** The list's query as the store's filter; "breached" is judged at `now`. */
export function taskListFilter(
  query: Omit<ListTasksQuery, 'limit' | 'cursor' | 'sort' | 'dir'>,
  now: number,
): TaskListFilter {
  return {
    status: query.status,
    queue: query.queue,
    riskLevel: query.riskLevel,
    source: query.source,
    externalRef: query.externalRef,
    agentId: query.agent,
    tag: query.tag,
    ...(query.assignee === 'unassigned' ? { unassigned: true } : { assigneeId: query.assignee }),
    dueBy: query.breached === 'true' ? now : undefined,
    search: query.q || undefined,
    createdAfter: query.createdAfter === undefined ? undefined : Date.parse(query.createdAfter),
    createdBefore: query.createdBefore === undefined ? undefined : Date.parse(query.createdBefore),
  };
}

export async function listTasks(
  deps: { store: Store; clock: () => number },
  principal: Principal,
  query: ListTasksQuery,
) {
  authorize(principal, 'task:read');
  const filter = taskListFilter(query, deps.clock());
  const tasks = deps.store.read.tasks;
  const { sort } = query;
  const order = isColumnSort(sort) ? columnOrder(sort, query.dir) : null;
  // One extra row tells whether another page exists without a COUNT query. Every order pages by
  // keyset (the last row's sort key), so a page never repeats or skips a task.
  const rows = order
    ? await tasks.listByColumn(
        principal.workspaceId,
        filter,
        order,
        query.limit + 1,
        query.cursor === undefined ? undefined : decodeColumnCursor(query.cursor, order),
      )
    : sort === 'urgency'
      ? await tasks.listByUrgency(
          principal.workspaceId,
          filter,
          query.limit + 1,
          query.cursor === undefined ? undefined : decodeUrgencyCursor(query.cursor),
        )
      : await tasks.list(
          principal.workspaceId,
          filter,
          query.limit + 1,
          query.cursor === undefined ? undefined : decodeCursor(query.cursor),
        );
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  let nextCursor: string | null = null;
  if (rows.length > query.limit && last) {
    nextCursor = order
      ? encodeColumnCursor(order, { value: columnValue(last, order.column), id: last.id })
      : sort === 'urgency'
        ? encodeUrgencyCursor(urgencyKey({ ...last, priority: workflowOf(last).priority }))
        : encodeCursor({ createdAt: last.createdAt, id: last.id });
  }
  return { tasks: page, nextCursor };
}

export async function listTaskEvents(deps: { store: Store }, principal: Principal, id: string) {
  const task = await getTask(deps, principal, id);
  return deps.store.read.taskEvents.listForTask(principal.workspaceId, task.id);
}
