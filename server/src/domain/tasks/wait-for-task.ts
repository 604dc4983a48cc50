import { isFinalStatus } from '@loopgate/shared';
import { authorize, type Principal } from '../kernel/access.js';
import type { TaskEventBus } from '../kernel/bus.js';
import type { Store } from '../store.js';
import { getTask } from './read-tasks.js';
import type { TaskRecord } from './task-record.js';

/**
 * Answers as soon as the task reaches a final status, or with the still-open task when `timeoutMs`
 * passes. Subscribes before reading, so a decision landing in between is never missed.
 */
export async function waitForTask(
  deps: { store: Store; bus: TaskEventBus },
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
