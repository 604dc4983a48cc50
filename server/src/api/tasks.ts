import { createHash } from 'node:crypto';
import {
  cancelInputSchema,
  createTaskInputSchema,
  decisionInputSchema,
  listTasksQuerySchema,
  MAX_WAIT_SECONDS,
  revokeInputSchema,
  taskEventListSchema,
  taskPageSchema,
  taskSchema,
  waitQuerySchema,
} from '@loopgate/shared';
import { canonicalJson } from '@loopgate/shared/json';
import { z } from 'zod';
import { decideTask } from '../domain/approvals/vote.js';
import { AppError } from '../domain/kernel/errors.js';
import { nextTaskFor } from '../domain/reviewers/next-task.js';
import { cancelTask } from '../domain/tasks/cancel-task.js';
import { type CreateTaskDeps, createTask } from '../domain/tasks/create-task.js';
import { getTask, listTaskEvents, listTasks } from '../domain/tasks/read-tasks.js';
import { revokeTask } from '../domain/tasks/revoke-task.js';
import { toTaskEventView, toTaskView } from '../domain/tasks/task-view.js';
import { waitForTask } from '../domain/tasks/wait-for-task.js';
import { problemResponses } from './problem-responses.js';
import { type AnyRouteSpec, defineRoute, type Reply } from './route.js';

const taskIdParams = z.strictObject({ id: z.string().min(1).max(64) });

const nextTaskSchema = z.object({ data: taskSchema.nullable() }).meta({ id: 'NextTask' });

const idempotencyKeySchema = z.string().min(1).max(255);

export function taskRoutes(deps: CreateTaskDeps & { revokeWindowMs?: number }): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/tasks',
      summary: 'Create a review task',
      tags: ['tasks'],
      permission: 'task:create',
      body: createTaskInputSchema,
      headers: [
        {
          name: 'Idempotency-Key',
          description:
            'Optional. A retry with the same key and body returns the first response; a different body gets 422, a retry while the first is running gets 409.',
        },
      ],
      responses: {
        201: { description: 'The task was stored', schema: taskSchema },
        ...problemResponses(400, 401, 403, 409, 413, 415, 422, 423),
      },
      async handler({ req, principal, body }): Promise<Reply> {
        const rawKey = req.get('idempotency-key');
        let idempotency: { key: string; requestHash: string } | undefined;
        if (rawKey !== undefined) {
          const parsed = idempotencyKeySchema.safeParse(rawKey);
          if (!parsed.success) {
            throw new AppError('validation_failed', 'Idempotency-Key must be 1 to 255 characters', [
              { path: 'header.Idempotency-Key', message: 'invalid length' },
            ]);
          }
          // RFC 8785 text, so a client re-serialising the same body (other key order or spacing) gets the
          // same hash; for parsed JSON it is byte for byte the sorted-keys text stored hashes were made from.
          const requestHash = createHash('sha256')
            .update(`POST /api/v1/tasks\n${canonicalJson(req.body)}`)
            .digest('hex');
          idempotency = { key: parsed.data, requestHash };
        }
        const result = await createTask(deps, principal, body, idempotency);
        if (result.kind === 'replayed') {
          return {
            status: result.response.status,
            rawJson: result.response.body,
            headers: { 'Idempotent-Replayed': 'true' },
          };
        }
        return {
          status: 201,
          body: toTaskView(result.task, principal),
          headers: { Location: `/api/v1/tasks/${result.task.id}` },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/tasks',
      summary: 'List tasks, newest first or by urgency (sort=urgency)',
      tags: ['tasks'],
      permission: 'task:read',
      query: listTasksQuerySchema,
      responses: { 200: { description: 'One page of tasks', schema: taskPageSchema }, ...problemResponses(400, 401) },
      async handler({ principal, query }) {
        const { tasks, nextCursor } = await listTasks(deps, principal, query);
        return { status: 200, body: { data: tasks.map((task) => toTaskView(task, principal)), nextCursor } };
      },
    }),
    // Before /tasks/{id}, which would otherwise take "next" for an id.
    defineRoute({
      method: 'get',
      path: '/api/v1/tasks/next',
      summary: "The most urgent open task you may decide now (the board's Next task), or data: null",
      tags: ['tasks'],
      permission: 'task:decide',
      responses: {
        200: { description: 'The next task, or null when there is none', schema: nextTaskSchema },
        ...problemResponses(401, 403),
      },
      async handler({ principal }) {
        const task = await nextTaskFor(deps, principal);
        return { status: 200, body: { data: task === null ? null : toTaskView(task, principal) } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/tasks/{id}',
      summary: 'Get a task',
      tags: ['tasks'],
      permission: 'task:read',
      params: taskIdParams,
      responses: { 200: { description: 'The task', schema: taskSchema }, ...problemResponses(401, 404) },
      async handler({ principal, params }) {
        return { status: 200, body: toTaskView(await getTask(deps, principal, params.id), principal) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/tasks/{id}/decision',
      summary: 'Approve, reject, or approve with modifications',
      tags: ['tasks'],
      permission: 'task:decide',
      params: taskIdParams,
      body: decisionInputSchema,
      responses: {
        200: { description: 'The decided task', schema: taskSchema },
        ...problemResponses(400, 401, 403, 404, 409, 415),
      },
      async handler({ principal, params, body }) {
        return { status: 200, body: toTaskView(await decideTask(deps, principal, params.id, body), principal) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/tasks/{id}/cancel',
      summary: 'Cancel an open task',
      tags: ['tasks'],
      permission: 'task:cancel',
      params: taskIdParams,
      body: cancelInputSchema,
      responses: {
        200: { description: 'The cancelled task', schema: taskSchema },
        ...problemResponses(400, 401, 403, 404, 409),
      },
      async handler({ principal, params, body }) {
        return { status: 200, body: toTaskView(await cancelTask(deps, principal, params.id, body), principal) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/tasks/{id}/revoke',
      summary:
        'Revoke an approval (admins, within LOOPGATE_REVOKE_WINDOW_HOURS of the decision): the task becomes revoked, its decision stays, task.revoked goes to its callback and subscribers',
      tags: ['tasks'],
      permission: 'workspace:admin',
      params: taskIdParams,
      body: revokeInputSchema,
      responses: {
        200: { description: 'The revoked task', schema: taskSchema },
        ...problemResponses(400, 401, 403, 404, 409),
      },
      async handler({ principal, params, body }) {
        const revoked = await revokeTask(deps, principal, params.id, body);
        return { status: 200, body: toTaskView(revoked, principal) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/tasks/{id}/wait',
      summary: `Long-poll until the task is final (or timeout seconds pass, at most ${MAX_WAIT_SECONDS})`,
      tags: ['tasks'],
      permission: 'task:read',
      params: taskIdParams,
      query: waitQuerySchema,
      responses: {
        200: { description: 'The task: final, or still open when the timeout passed', schema: taskSchema },
        ...problemResponses(400, 401, 404),
      },
      async handler({ res, principal, params, query }) {
        const abort = new AbortController();
        res.on('close', () => abort.abort());
        const task = await waitForTask(deps, principal, params.id, query.timeout * 1000, abort.signal);
        return { status: 200, body: toTaskView(task, principal) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/tasks/{id}/events',
      summary: "The task's history: every state change with actor, time and reason",
      tags: ['tasks'],
      permission: 'task:read',
      params: taskIdParams,
      responses: {
        200: { description: 'Events, oldest first', schema: taskEventListSchema },
        ...problemResponses(401, 404),
      },
      async handler({ principal, params }) {
        const events = await listTaskEvents(deps, principal, params.id);
        return { status: 200, body: { data: events.map(toTaskEventView) } };
      },
    }),
  ];
}
