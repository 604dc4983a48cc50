import pino from 'pino';
import { ConfigError, loadConfig } from '../config.js';
import type { TaskChangeMessage } from '../domain/kernel/bus.js';
import type { CacheInvalidation } from '../domain/store.js';
import { publishInvalidation, RedisTaskEventBus } from './redis-bus.js';

const REDIS_URL = process.env.LOOPGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('Redis task event bus', () => {
  test('a change published on one bus reaches listeners on another once, and its own listeners once', async () => {
    const logger = pino({ level: 'silent' });
    const [a, b] = await Promise.all([
      RedisTaskEventBus.connect(REDIS_URL, logger),
      RedisTaskEventBus.connect(REDIS_URL, logger),
    ]);
    try {
      const taskId = `tsk_bus${Date.now()}`;
      const heardA: TaskChangeMessage[] = [];
      const heardB: TaskChangeMessage[] = [];
      a.subscribe((m) => m.taskId === taskId && heardA.push(m));
      const arrived = new Promise<void>((resolve) =>
        b.subscribe((m) => {
          if (m.taskId !== taskId) return;
          heardB.push(m);
          resolve();
        }),
      );
      const message: TaskChangeMessage = { workspaceId: 'wsp_x', taskId, status: 'approved', version: 2 };
      a.publish(message);
      await arrived;
      // Give an echo of A's own message time to (wrongly) arrive.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(heardB).toEqual([message]);
      expect(heardA).toEqual([message]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('Redis cache invalidations', () => {
  test('an invalidation reaches every bus once and no task listener; local listeners have run when invalidate resolves', async () => {
    const logger = pino({ level: 'silent' });
    const [a, b] = await Promise.all([
      RedisTaskEventBus.connect(REDIS_URL, logger),
      RedisTaskEventBus.connect(REDIS_URL, logger),
    ]);
    try {
      const id = `key_bus${Date.now()}`;
      const heardA: CacheInvalidation[] = [];
      const heardB: CacheInvalidation[] = [];
      const taskMessages: TaskChangeMessage[] = [];
      a.onInvalidate((m) => m.id === id && heardA.push(m));
      const arrived = new Promise<void>((resolve) =>
        b.onInvalidate((m) => {
          if (m.id !== id) return;
          heardB.push(m);
          resolve();
        }),
      );
      for (const bus of [a, b]) bus.subscribe((m) => taskMessages.push(m));
      const message: CacheInvalidation = { topic: 'api_key', workspaceId: 'wsp_x', id };
      await a.invalidate(message);
      // This process's listeners have run by the time invalidate resolves.
      expect(heardA).toEqual([message]);
      await arrived;
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(heardB).toEqual([message]);
      expect(heardA).toEqual([message]);
      expect(taskMessages).toEqual([]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('a one-shot publisher (the CLI) reaches running buses, and fails fast when Redis is unreachable', async () => {
    const bus = await RedisTaskEventBus.connect(REDIS_URL, pino({ level: 'silent' }));
    try {
      const message: CacheInvalidation = { topic: 'api_key', workspaceId: 'wsp_x', id: `key_once${Date.now()}` };
      const arrived = new Promise<CacheInvalidation>((resolve) =>
        bus.onInvalidate((m) => m.id === message.id && resolve(m)),
      );
      await publishInvalidation(REDIS_URL, message);
      expect(await arrived).toEqual(message);
      const started = Date.now();
      await expect(publishInvalidation('redis://127.0.0.1:1', message)).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await bus.close();
    }
  });

  test('with Redis gone, invalidate still resolves (the revocation is committed) and local listeners heard it', async () => {
    const bus = await RedisTaskEventBus.connect(REDIS_URL, pino({ level: 'silent' }));
    const heard: CacheInvalidation[] = [];
    bus.onInvalidate((m) => heard.push(m));
    await bus.close();
    const message: CacheInvalidation = { topic: 'api_key', workspaceId: 'wsp_x', id: 'key_gone' };
    await expect(bus.invalidate(message)).resolves.toBeUndefined();
    expect(heard).toEqual([message]);
  });
});

describe('delivery settings', () => {
  test.each([
    [{ REDIS_URL: 'localhost:6379' }, /REDIS_URL must start with redis:\/\//],
    [{ LOOPGATE_WEBHOOK_TIMEOUT_MS: '10' }, /LOOPGATE_WEBHOOK_TIMEOUT_MS/],
    [{ LOOPGATE_ALLOW_PRIVATE_CALLBACKS: 'yes' }, /LOOPGATE_ALLOW_PRIVATE_CALLBACKS/],
  ])('%j fails fast naming the setting', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  test('defaults: private targets refused, 10 s timeout, no Redis', () => {
    expect(loadConfig({})).toMatchObject({
      allowPrivateCallbacks: false,
      webhookTimeoutMs: 10_000,
      redisUrl: null,
    });
    expect(loadConfig({ LOOPGATE_ALLOW_PRIVATE_CALLBACKS: 'true', REDIS_URL: REDIS_URL })).toMatchObject({
      allowPrivateCallbacks: true,
      redisUrl: REDIS_URL,
    });
  });
});
