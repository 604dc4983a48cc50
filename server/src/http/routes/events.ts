import { z } from 'zod';
import type { TaskEventBus } from '../../domain/ports.js';
import { type AnyRouteSpec, defineRoute } from '../route.js';
import { problemResponses } from './problem-responses.js';

const HEARTBEAT_MS = 15_000;

const eventsQuery = z.strictObject({
  taskId: z.string().min(1).max(64).optional().describe('Only changes of this task'),
});

/**
 * GET /api/v1/events: a Server-Sent Events stream of the workspace's task changes, for the board and
 * API clients. Each change is one `task.changed` event carrying the task id, status and version; the
 * client reads the task if it needs more. Changes made on any server process arrive here (the bus
 * spans processes when REDIS_URL is set).
 */
export function eventRoutes(deps: { bus: TaskEventBus }): AnyRouteSpec[] {
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
        ...problemResponses(400, 401),
      },
      async handler({ req, res, principal, query }) {
        res.status(200);
        res.set({
          'Content-Type': 'text/event-stream; charset=utf-8',
          'Cache-Control': 'no-cache, no-transform',
          Connection: 'keep-alive',
          // Tell nginx-style proxies not to buffer the stream.
          'X-Accel-Buffering': 'no',
        });
        res.flushHeaders();
        res.write('retry: 2000\n: connected\n\n');
        req.socket.setNoDelay(true);
        const unsubscribe = deps.bus.subscribe((message) => {
          if (message.workspaceId !== principal.workspaceId) return;
          if (query.taskId !== undefined && message.taskId !== query.taskId) return;
          const data = JSON.stringify({ taskId: message.taskId, status: message.status, version: message.version });
          res.write(`id: ${message.taskId}:${message.version}\nevent: task.changed\ndata: ${data}\n\n`);
        });
        const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
        heartbeat.unref();
        res.on('close', () => {
          clearInterval(heartbeat);
          unsubscribe();
        });
        return undefined;
      },
    }),
  ];
}
