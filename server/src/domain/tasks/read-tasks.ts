import type { ListTasksQuery } from '@loopgate/shared';
import { authorize, type Principal } from '../kernel/access.js';
import { notFound } from '../kernel/errors.js';
import type { Store } from '../store.js';
import { decodeCursor, encodeCursor } from './task-cursor.js';

export async function getTask(deps: { store: Store }, principal: Principal, id: string) {
  authorize(principal, 'task:read');
  const task = await deps.store.read.tasks.findById(principal.workspaceId, id);
  if (!task) throw notFound(`Task ${id}`);
  return task;
}

export async function listTasks(deps: { store: Store }, principal: Principal, query: ListTasksQuery) {
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

export async function listTaskEvents(deps: { store: Store }, principal: Principal, id: string) {
  const task = await getTask(deps, principal, id);
  return deps.store.read.taskEvents.listForTask(principal.workspaceId, task.id);
}
