import {
  createQueueInputSchema,
  createTaskInputSchema,
  policyBacktestInputSchema,
  policyBacktestResultSchema,
  policyDryRunResultSchema,
  queueListSchema,
  queuePreviewInputSchema,
  queuePreviewSchema,
  queueSchema,
  reviewerGroupInputSchema,
  reviewerGroupListSchema,
  reviewerGroupMembersInputSchema,
  reviewerGroupRenameInputSchema,
  reviewerGroupSchema,
  slugSchema,
  updateQueueInputSchema,
} from '@loopgate/shared';
import { z } from 'zod';
import type { ReviewerGroupRecord } from '../domain/approvals/approval-ports.js';
import { backtestPolicy } from '../domain/approvals/backtest.js';
import {
  createQueue,
  createReviewerGroup,
  dryRunPolicy,
  getQueue,
  listQueues,
  listReviewerGroups,
  previewQueueConfig,
  type QueueServiceDeps,
  type QueueView,
  setReviewerGroupMembers,
  updateQueue,
} from '../domain/approvals/queues.js';
import { renameReviewerGroup } from '../domain/approvals/rename-group.js';
import { iso } from '../domain/kernel/iso-time.js';
import { problemResponses } from './problem-responses.js';
import { type AnyRouteSpec, defineRoute } from './route.js';

const nameParams = z.strictObject({ name: slugSchema });

function queueView(queue: QueueView) {
  return { ...queue, createdAt: iso(queue.createdAt), updatedAt: iso(queue.updatedAt) };
}

function groupView(group: ReviewerGroupRecord) {
  return {
    name: group.name,
    members: group.members.map((member) => ({ type: member.type, id: member.id, email: member.email })),
    createdAt: iso(group.createdAt),
  };
}

/** Queues, reviewer groups and the routing-policy dry run. Configuration is admin-only; reading is for any role. */
export function queueRoutes(deps: QueueServiceDeps): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/queues',
      summary: 'List queues (the built-in default queue included)',
      tags: ['queues'],
      permission: 'task:read',
      responses: { 200: { description: 'Queues by name', schema: queueListSchema }, ...problemResponses(401) },
      async handler({ principal }) {
        return { status: 200, body: { data: (await listQueues(deps, principal)).map(queueView) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/queues',
      summary: 'Create a queue: routing policy, approval levels, SLA, escalation chain, timeout action',
      tags: ['queues'],
      permission: 'workspace:admin',
      body: createQueueInputSchema,
      responses: {
        201: { description: 'The queue', schema: queueSchema },
        ...problemResponses(400, 401, 403, 409, 415),
      },
      async handler({ principal, body, requestId }) {
        const queue = await createQueue(deps, principal, body, requestId);
        return { status: 201, body: queueView(queue), headers: { Location: `/api/v1/queues/${queue.name}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/queues/{name}',
      summary: 'Get a queue',
      tags: ['queues'],
      permission: 'task:read',
      params: nameParams,
      responses: { 200: { description: 'The queue', schema: queueSchema }, ...problemResponses(401, 404) },
      async handler({ principal, params }) {
        return { status: 200, body: queueView(await getQueue(deps, principal, params.name)) };
      },
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/queues/{name}',
      summary: "Replace a queue's configuration (applies to open tasks from their next step)",
      tags: ['queues'],
      permission: 'workspace:admin',
      params: nameParams,
      body: updateQueueInputSchema,
      responses: {
        200: { description: 'The queue', schema: queueSchema },
        ...problemResponses(400, 401, 403, 404, 415),
      },
      async handler({ principal, params, body, requestId }) {
        const queue = await updateQueue(deps, principal, params.name, body.config, requestId);
        return { status: 200, body: queueView(queue) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/queues/{name}/preview',
      summary:
        "Before saving: run a proposed config over the queue's last 200 tasks (to humans, auto-approved, auto-approved but rejected by humans) and list its warnings",
      tags: ['queues'],
      permission: 'workspace:admin',
      params: nameParams,
      body: queuePreviewInputSchema,
      responses: {
        200: { description: 'What the proposed config would have done; nothing is saved', schema: queuePreviewSchema },
        ...problemResponses(400, 401, 403, 404, 415),
      },
      async handler({ principal, params, body }) {
        return { status: 200, body: await previewQueueConfig(deps, principal, params.name, body.config) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/policy/dry-run',
      summary: 'What the routing policy would do with this task, and why, without creating it',
      tags: ['queues'],
      permission: 'task:create',
      body: createTaskInputSchema,
      responses: {
        200: { description: 'The routing outcome', schema: policyDryRunResultSchema },
        ...problemResponses(400, 401, 403, 415),
      },
      async handler({ principal, body }) {
        return { status: 200, body: await dryRunPolicy(deps, principal, body) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/policy/backtest',
      summary:
        "Before changing a policy: replay the queue's past tasks (default: the last 30 days) through a proposed config — to humans vs auto-approved, by rule, and which human rejections and modifications it would have let through",
      tags: ['queues'],
      permission: 'workspace:admin',
      body: policyBacktestInputSchema,
      responses: {
        200: {
          description: 'What the proposed config would have done; nothing is saved',
          schema: policyBacktestResultSchema,
        },
        ...problemResponses(400, 401, 403, 404, 415),
      },
      async handler({ principal, body }) {
        return { status: 200, body: await backtestPolicy(deps, principal, body) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/reviewer-groups',
      summary: 'List reviewer groups and their members',
      tags: ['queues'],
      permission: 'task:read',
      responses: { 200: { description: 'Groups by name', schema: reviewerGroupListSchema }, ...problemResponses(401) },
      async handler({ principal }) {
        return { status: 200, body: { data: (await listReviewerGroups(deps, principal)).map(groupView) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/reviewer-groups',
      summary: 'Create a reviewer group (members: user ids, user e-mails or API key ids)',
      tags: ['queues'],
      permission: 'workspace:admin',
      body: reviewerGroupInputSchema,
      responses: {
        201: { description: 'The group', schema: reviewerGroupSchema },
        ...problemResponses(400, 401, 403, 409, 415),
      },
      async handler({ principal, body, requestId }) {
        return { status: 201, body: groupView(await createReviewerGroup(deps, principal, body, requestId)) };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/api/v1/reviewer-groups/{name}',
      summary: 'Rename a reviewer group; queue configs and open tasks that name it follow, in one transaction',
      tags: ['queues'],
      permission: 'workspace:admin',
      params: nameParams,
      body: reviewerGroupRenameInputSchema,
      responses: {
        200: { description: 'The group, under its new name', schema: reviewerGroupSchema },
        ...problemResponses(400, 401, 403, 404, 409, 415),
      },
      async handler({ principal, params, body, requestId }) {
        const { group } = await renameReviewerGroup(deps, principal, params.name, body.name, requestId);
        return { status: 200, body: groupView(group) };
      },
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/reviewer-groups/{name}/members',
      summary: "Replace a reviewer group's members",
      tags: ['queues'],
      permission: 'workspace:admin',
      params: nameParams,
      body: reviewerGroupMembersInputSchema,
      responses: {
        200: { description: 'The group', schema: reviewerGroupSchema },
        ...problemResponses(400, 401, 403, 404, 415),
      },
      async handler({ principal, params, body, requestId }) {
        return {
          status: 200,
          body: groupView(await setReviewerGroupMembers(deps, principal, params.name, body.members, requestId)),
        };
      },
    }),
  ];
}
