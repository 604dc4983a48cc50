import { taskSchema, voteListSchema } from '@loopgate/shared';
import { z } from 'zod';
import { claimTask, escalateTask, releaseTask } from '../domain/approvals/claims.js';
import { listVotes } from '../domain/approvals/vote.js';
import type { CreateTaskDeps } from '../domain/tasks/create-task.js';
import { toTaskView } from '../domain/tasks/task-view.js';
import { problemResponses } from './problem-responses.js';
import { type AnyRouteSpec, defineRoute } from './route.js';

const taskIdParams = z.strictObject({ id: z.string().min(1).max(64) });
const escalateInputSchema = z
  .strictObject({ reason: z.string().trim().min(1).max(2000).optional() })
  .meta({ id: 'EscalateInput' });

/** Reviewer actions beside the decision itself: claiming a task and reading the votes cast so far. */
export function approvalRoutes(deps: CreateTaskDeps): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/tasks/{id}/claim',
      summary: 'Claim a task: it is assigned to you, and with a quorum of one only you may decide it',
      tags: ['tasks'],
      permission: 'task:decide',
      params: taskIdParams,
      responses: {
        200: { description: 'The claimed task', schema: taskSchema },
        ...problemResponses(401, 403, 404, 409),
      },
      async handler({ principal, params }) {
        return { status: 200, body: toTaskView(await claimTask(deps, principal, params.id), principal) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/tasks/{id}/release',
      summary: 'Hand a claimed task back to its group (the claimer, or an admin)',
      tags: ['tasks'],
      permission: 'task:decide',
      params: taskIdParams,
      responses: {
        200: { description: 'The task, unclaimed', schema: taskSchema },
        ...problemResponses(401, 403, 404, 409),
      },
      async handler({ principal, params }) {
        return { status: 200, body: toTaskView(await releaseTask(deps, principal, params.id), principal) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/tasks/{id}/escalate',
      summary: 'Escalate a task by hand: priority up one, onto the Escalated column; delivered as task.escalated',
      tags: ['tasks'],
      permission: 'task:decide',
      params: taskIdParams,
      body: escalateInputSchema,
      responses: {
        200: { description: 'The escalated task', schema: taskSchema },
        ...problemResponses(400, 401, 403, 404, 409),
      },
      async handler({ principal, params, body }) {
        return {
          status: 200,
          body: toTaskView(await escalateTask(deps, principal, params.id, body.reason), principal),
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/tasks/{id}/votes',
      summary: 'Votes cast on the task, per approval level (later levels see earlier decisions and modifications)',
      tags: ['tasks'],
      permission: 'task:read',
      params: taskIdParams,
      responses: { 200: { description: 'Votes, oldest first', schema: voteListSchema }, ...problemResponses(401, 404) },
      async handler({ principal, params }) {
        const votes = await listVotes(deps, principal, params.id);
        return {
          status: 200,
          body: {
            data: votes.map((vote) => ({
              level: vote.level,
              levelName: vote.levelName,
              action: vote.action,
              comment: vote.comment,
              modifiedPayload: vote.modifiedPayload,
              reasonCode: vote.reasonCode,
              response: vote.response,
              actor: vote.actor,
              createdAt: new Date(vote.createdAt).toISOString(),
            })),
          },
        };
      },
    }),
  ];
}
