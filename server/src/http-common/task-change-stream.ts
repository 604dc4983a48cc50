import type { Request, Response } from 'express';
import type { TaskEventBus } from '../domain/kernel/bus.js';

const HEARTBEAT_MS = 15_000;

/**
 * Streams a workspace's task changes as Server-Sent Events (`task.changed`) until the client goes
 * away. One implementation for the API stream (key auth) and the board's feed (session auth).
 */
export function streamTaskChanges(
  req: Request,
  res: Response,
  bus: TaskEventBus,
  scope: { workspaceId: string; taskId?: string },
): void {
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
  const unsubscribe = bus.subscribe((message) => {
    if (message.workspaceId !== scope.workspaceId) return;
    if (scope.taskId !== undefined && message.taskId !== scope.taskId) return;
    const data = JSON.stringify({ taskId: message.taskId, status: message.status, version: message.version });
    res.write(`id: ${message.taskId}:${message.version}\nevent: task.changed\ndata: ${data}\n\n`);
  });
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  res.on('close', () => {
    clearInterval(heartbeat);
    unsubscribe();
  });
}
