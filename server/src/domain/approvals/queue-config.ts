import { type QueueConfig, queueConfigSchema } from '@loopgate/shared';
import { AppError } from '../kernel/errors.js';
import type { Repositories } from '../store.js';

export const DEFAULT_QUEUE_NAME = 'default';

/**
 * The configuration of the built-in default queue until an admin configures it: every task to human
 * review, one approval by any reviewer, no escalation chain, and a task whose deadline passes
 * undecided ends `expired`. Fail-closed by construction.
 */
export const FAIL_CLOSED_CONFIG: QueueConfig = Object.freeze(queueConfigSchema.parse({})) as QueueConfig;

export interface ResolvedQueue {
  name: string;
  config: QueueConfig;
  /** False for the built-in default queue before an admin configures it. */
  configured: boolean;
  /** The config's version (QueueRecord.version); 0 for the built-in default config. */
  version: number;
}

export async function resolveQueue(
  repos: Pick<Repositories, 'queues'>,
  workspaceId: string,
  name: string,
): Promise<ResolvedQueue> {
  const queue = await repos.queues.findByName(workspaceId, name);
  return queue
    ? { name, config: queue.config, configured: true, version: queue.version }
    : { name, config: FAIL_CLOSED_CONFIG, configured: false, version: 0 };
}

/**
 * The queue a new task names. A name no admin has created is refused rather than quietly given the
 * default's rules: a typo ("refund" for "refunds") would otherwise skip that queue's reviewer
 * group, levels and SLA without anyone noticing. Only `default` exists without being created.
 */
export async function requireQueue(
  repos: Pick<Repositories, 'queues'>,
  workspaceId: string,
  name: string,
): Promise<ResolvedQueue> {
  const resolved = await resolveQueue(repos, workspaceId, name);
  if (resolved.configured || name === DEFAULT_QUEUE_NAME) return resolved;
  const message = `No queue named "${name}" in this workspace; create it (POST /api/v1/queues or the Queues settings page) or leave queue out for the default queue`;
  throw new AppError('validation_failed', message, [{ path: 'queue', message: `unknown queue "${name}"` }]);
}
