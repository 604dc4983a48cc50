import type { TaskStatus } from '@loopgate/shared';
import type { CacheInvalidation } from '../store.js';

/**
 * Announces task changes to anyone waiting (long-poll, SSE), and tells caches to drop a record that
 * changed, on this process and (with Redis) on every other. Both are fire-and-forget: a message lost
 * (Redis restarting) is made up for by whoever listens — waiters re-read the task at their timeout,
 * caches expire their entries after a TTL — so nothing is ever wrong for longer than that bound.
 */
export interface TaskEventBus {
  publish(message: TaskChangeMessage): void;
  subscribe(listener: (message: TaskChangeMessage) => void): () => void;
  /**
   * Asks every process to drop what it cached of one record. Listeners on this process have run when
   * this resolves, and other processes' transport (Redis) has taken the message or given up (logged);
   * it never rejects, because the change it announces is committed already.
   */
  invalidate(message: CacheInvalidation): Promise<void>;
  onInvalidate(listener: (message: CacheInvalidation) => void): () => void;
}

export interface TaskChangeMessage {
  workspaceId: string;
  taskId: string;
  status: TaskStatus;
  version: number;
}
