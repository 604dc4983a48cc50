import { z } from 'zod';
import type { TaskEventBus } from '../domain/kernel/bus.js';
import type { Store } from '../domain/store.js';
import { getTask } from '../domain/tasks/read-tasks.js';

import { streamTaskChanges } from '../http-common/task-change-stream.js';
import { problemResponses } from './problem-responses.js';
import { type AnyRouteSpec, defineRoute } from './route.js';

const eventsQuery = z.strictObject({
  taskId: z.string().min(1).max(64).optional().describe('Only changes of this task'),
});

/**
 * GET /api/v1/events: a Server-Sent Events stream of the workspace's task changes, for the board and
 * API clients. Each change is one `task.changed` event carrying the task id, status and version; the
 * client reads the task if it needs more. Changes made on any server process arrive here (the bus
 * spans processes when REDIS_URL is set).
 */
export function eventRoutes(deps: { bus: TaskEventBus; store: Store }): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/events',
      summary: "Server-Sent Events: the workspace's task changes as they happen",
      tags: ['events'],
      permission: 'task:read',
      query: eventsQuery,
      responses: {
        200: {
          description: 'text/event-stream of `task.changed` events ({taskId, status, version})',
          contentType: 'text/event-stream',
        },
        ...problemResponses(400, 401, 404),
      },
      async handler({ req, res, principal, query }) {
        // A stream of a task that is not this workspace's would be silently empty for ever; say so like every other foreign id.
        if (query.taskId !== undefined) await getTask(deps, principal, query.taskId);
        streamTaskChanges(req, res, deps.bus, { workspaceId: principal.workspaceId, taskId: query.taskId });
        return undefined;
      },
    }),
  ];
}
