import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { TaskChangeMessage, TaskEventBus } from '../domain/ports.js';
import { InProcessTaskEventBus } from './in-process-bus.js';

export const TASK_CHANGES_CHANNEL = 'loopgate:task-changes';

/**
 * Task change announcements across server processes over Redis pub/sub. Listeners on this process
 * hear a change at once (no round trip); other processes hear it through Redis, and each process skips
 * its own messages coming back. Pub/sub is fire-and-forget: a waiter that misses a message (Redis
 * restarting) still gets the task at its timeout, because /wait re-reads the task from the database.
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
    await Promise.all([publisher.connect(), subscriber.connect()]);
    const bus = new RedisTaskEventBus(publisher, subscriber, logger);
    await subscriber.subscribe(TASK_CHANGES_CHANNEL);
    subscriber.on('message', (_channel: string, raw: string) => bus.receive(raw));
    return bus;
  }

  private receive(raw: string): void {
    let parsed: TaskChangeMessage & { origin?: string };
    try {
      parsed = JSON.parse(raw) as TaskChangeMessage & { origin?: string };
    } catch {
      return;
    }
    if (parsed.origin === this.origin) return;
    const { origin: _origin, ...message } = parsed;
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

  async close(): Promise<void> {
    await Promise.allSettled([this.subscriber.quit(), this.publisher.quit()]);
  }
}
