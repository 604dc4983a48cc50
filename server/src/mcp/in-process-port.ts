import { createHash } from 'node:crypto';
import { LoopgateCallError, type LoopgatePort } from '@loopgate/mcp';
import { createTaskInputSchema, decisionInputSchema, listTasksQuerySchema, type Task } from '@loopgate/shared';
import { canonicalJson } from '@loopgate/shared/json';
import type { z } from 'zod';
import { decideTask } from '../domain/approvals/vote.js';
import { authorize, type Principal } from '../domain/kernel/access.js';
import { AppError } from '../domain/kernel/errors.js';
import { nextTaskFor } from '../domain/reviewers/next-task.js';
import { type CreateTaskDeps, createTask } from '../domain/tasks/create-task.js';
import { getTask, listTasks } from '../domain/tasks/read-tasks.js';
import { toTaskView } from '../domain/tasks/task-view.js';
import { waitForTask } from '../domain/tasks/wait-for-task.js';
import { fieldErrorsOf } from '../http-common/field-errors.js';

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const errors = fieldErrorsOf(result.error, (path) => path.map(String).join('.'));
  const first = errors[0];
  throw new AppError('validation_failed', first ? `${first.path}: ${first.message}` : 'The input is not valid', errors);
}

/** An AppError as the port's error, so MCP clients read the same status and code REST callers get. */
async function asCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AppError)
      throw new LoopgateCallError(error.status, error.code, error.message, error.fieldErrors);
    throw error;
  }
}

/**
 * The Loopgate port for an `/mcp` session: the use cases the REST routes call, run in this process as
 * `principal()` (the key that sent the current request, so a changed role or a revoked key applies at once).
 */
export function inProcessPort(deps: CreateTaskDeps, principal: () => Principal, publicUrl: string): LoopgatePort {
  const base = publicUrl.replace(/\/+$/, '');
  return {
    createTask: (raw, idempotencyKey) =>
      asCall(async () => {
        const input = parse(createTaskInputSchema, raw);
        const who = principal();
        // The hash REST requests get, so a retry through either door with the same key finds the first task.
        const idempotency =
          idempotencyKey === undefined
            ? undefined
            : {
                key: idempotencyKey,
                requestHash: createHash('sha256')
                  .update(`POST /api/v1/tasks\n${canonicalJson(raw)}`)
                  .digest('hex'),
              };
        const result = await createTask(deps, who, input, idempotency);
        if (result.kind === 'replayed') {
          if (result.response.status !== 201) {
            const problem = JSON.parse(result.response.body) as { code?: string; detail?: string };
            throw new LoopgateCallError(
              result.response.status,
              problem.code ?? 'conflict',
              problem.detail ?? 'replayed',
            );
          }
          return JSON.parse(result.response.body) as Task;
        }
        return toTaskView(result.task, who);
      }),
    getTask: (id) => asCall(async () => toTaskView(await getTask(deps, principal(), id), principal())),
    waitForDecision: (id, timeoutSeconds, signal) =>
      asCall(async () =>
        toTaskView(await waitForTask(deps, principal(), id, timeoutSeconds * 1000, signal), principal()),
      ),
    listPending: (raw) =>
      asCall(async () => {
        const query = parse(listTasksQuerySchema, { ...raw, sort: 'urgency' });
        const { tasks, nextCursor } = await listTasks(deps, principal(), query);
        return { data: tasks.map((task) => toTaskView(task, principal())), nextCursor };
      }),
    decide: (id, raw) =>
      asCall(async () =>
        toTaskView(await decideTask(deps, principal(), id, parse(decisionInputSchema, raw)), principal()),
      ),
    nextTask: () =>
      asCall(async () => {
        const who = principal();
        authorize(who, 'task:decide');
        const task = await nextTaskFor(deps, who);
        return task === null ? null : toTaskView(task, who);
      }),
    reviewUrl: (id) => `${base}/tasks/${encodeURIComponent(id)}`,
  };
}
