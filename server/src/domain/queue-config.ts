import { type QueueConfig, queueConfigSchema } from '@loopgate/shared';
import type { Repositories } from './ports.js';

export const DEFAULT_QUEUE_NAME = 'default';

/**
 * The configuration of the built-in default queue, and of any queue name a task gives that no admin
 * has configured: every task to human review, one approval by any reviewer, no escalation chain,
 * and a task whose deadline passes undecided ends `expired`. Fail-closed by construction.
 */
export const FAIL_CLOSED_CONFIG: QueueConfig = Object.freeze(queueConfigSchema.parse({})) as QueueConfig;

export interface ResolvedQueue {
  name: string;
  config: QueueConfig;
  /** False when no admin has configured this name and the fail-closed default applies. */
  configured: boolean;
}

export async function resolveQueue(
  repos: Pick<Repositories, 'queues'>,
  workspaceId: string,
  name: string,
): Promise<ResolvedQueue> {
  const queue = await repos.queues.findByName(workspaceId, name);
  return queue
    ? { name, config: queue.config, configured: true }
    : { name, config: FAIL_CLOSED_CONFIG, configured: false };
}
