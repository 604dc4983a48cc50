import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { TaskChangeMessage, TaskEventBus } from '../domain/kernel/bus.js';
import type { CacheInvalidation, CacheTopic } from '../domain/store.js';
import { InProcessTaskEventBus } from './in-process-bus.js';

export const TASK_CHANGES_CHANNEL = 'loopgate:task-changes';
/**
 * Invalidations travel on a channel of their own rather than as a second shape on the task channel:
 * a process of an older version, still running during an upgrade, then never mistakes one for a task
 * change, and task listeners are not woken for them.
 */
export const INVALIDATIONS_CHANNEL = 'loopgate:invalidations';

/** How long `invalidate` waits for Redis to take the message before it gives up (and logs). */
const INVALIDATE_TIMEOUT_MS = 1_000;

function asInvalidation(value: Record<string, unknown>): CacheInvalidation | null {
  const { topic, workspaceId, id } = value;
  if (typeof topic !== 'string' || typeof workspaceId !== 'string' || typeof id !== 'string') return null;
  // A topic this version does not know reaches no listener: each listens for its own.
  return { topic: topic as CacheTopic, workspaceId, id };
}

/**
 * Task changes and cache invalidations across server processes over Redis pub/sub. Listeners on this
 * process hear a message at once (no round trip); other processes hear it through Redis, and each
 * process skips its own messages coming back. Pub/sub is fire-and-forget: a waiter that misses a task
 * change (Redis restarting) still gets the task at its timeout, because /wait re-reads the task from
 * the database; a cache that misses an invalidation keeps the stale entry until its TTL runs out.
 */
export class RedisTaskEventBus implements TaskEventBus {
  private readonly local = new InProcessTaskEventBus();
  private readonly origin = randomBytes(8).toString('hex');

  private constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly logger: Logger,
  ) {}

  static async connect(url: string, logger: Logger): Promise<RedisTaskEventBus> {
    const options = { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: true };
    const publisher = new Redis(url, options);
    const subscriber = new Redis(url, options);
    for (const client of [publisher, subscriber]) {
      client.on('error', (error) => logger.warn({ err: error }, 'redis: connection error'));
    }
    try {
      await Promise.all([publisher.connect(), subscriber.connect()]);
    } catch (error) {
      // Otherwise the clients keep reconnecting in the background and hold the process open.
      publisher.disconnect();
      subscriber.disconnect();
      throw error;
    }
    const bus = new RedisTaskEventBus(publisher, subscriber, logger);
    await subscriber.subscribe(TASK_CHANGES_CHANNEL, INVALIDATIONS_CHANNEL);
    subscriber.on('message', (channel: string, raw: string) => bus.receive(channel, raw));
    return bus;
  }

  private receive(channel: string, raw: string): void {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return;
    }
    if (parsed === null || typeof parsed !== 'object' || parsed.origin === this.origin) return;
    if (channel === INVALIDATIONS_CHANNEL) {
      const invalidation = asInvalidation(parsed);
      if (invalidation) void this.local.invalidate(invalidation);
      return;
    }
    const { origin: _origin, ...message } = parsed as unknown as TaskChangeMessage & { origin?: string };
    this.local.publish(message);
  }

  publish(message: TaskChangeMessage): void {
    this.local.publish(message);
    this.publisher
      .publish(TASK_CHANGES_CHANNEL, JSON.stringify({ ...message, origin: this.origin }))
      .catch((error: unknown) => this.logger.warn({ err: error }, 'redis: publish failed'));
  }

  subscribe(listener: (message: TaskChangeMessage) => void): () => void {
    return this.local.subscribe(listener);
  }

  async invalidate(message: CacheInvalidation): Promise<void> {
    await this.local.invalidate(message);
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      this.publisher.publish(INVALIDATIONS_CHANNEL, JSON.stringify({ ...message, origin: this.origin })).then(
        () => 'sent' as const,
        (error: unknown) => {
          this.logger.warn({ err: error, invalidation: message }, 'redis: invalidation not published');
          return 'failed' as const;
        },
      ),
      new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), INVALIDATE_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    // Redis is slow or away; its offline queue may still send it later. Other processes' caches expire meanwhile.
    if (outcome === 'late') this.logger.warn({ invalidation: message }, 'redis: invalidation not confirmed in time');
  }

  onInvalidate(listener: (message: CacheInvalidation) => void): () => void {
    return this.local.onInvalidate(listener);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.subscriber.quit(), this.publisher.quit()]);
  }
}

/**
 * Publishes one invalidation and disconnects: for a short-lived process (the CLI) that changes what
 * running servers cache. Tries once, briefly; rejects when Redis cannot be reached.
 */
export async function publishInvalidation(url: string, message: CacheInvalidation): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined); // reported through the rejected promise instead
  try {
    await client.connect();
    const origin = `once-${randomBytes(8).toString('hex')}`;
    await client.publish(INVALIDATIONS_CHANNEL, JSON.stringify({ ...message, origin }));
    await client.quit();
  } catch (error) {
    // A connection that has ended already is left alone: disconnecting it again arms a 2-second timer.
    if (client.status !== 'end') client.disconnect();
    throw error;
  }
}
