import { InProcessTaskEventBus } from '../../events/in-process-bus.js';
import { DATABASES, openTestStore } from '../../test-support/databases.js';
import type { Store } from '../store.js';
import type { ApiKeyRecord } from './admin-ports.js';
import { createApiKey } from './api-keys.js';
import { ApiKeyAuthenticator, LAST_USED_INTERVAL_MS } from './authenticate.js';

/** The store as the authenticator sees it, counting its key lookups and its writes. */
function countingStore(store: Store) {
  const counts = { lookups: 0, writes: 0 };
  let gate: Promise<void> | null = null;
  const counted: Store = {
    dialect: store.dialect,
    ping: () => store.ping(),
    close: () => store.close(),
    read: {
      ...store.read,
      apiKeys: {
        ...store.read.apiKeys,
        findByHash: async (hash: string): Promise<ApiKeyRecord | null> => {
          counts.lookups++;
          const record = await store.read.apiKeys.findByHash(hash);
          if (gate) await gate;
          return record;
        },
      },
    },
    transaction: (work) => {
      counts.writes++;
      return store.transaction(work);
    },
  };
  return {
    store: counted,
    counts,
    /** Holds every lookup after its read until `release` is called. */
    hold() {
      let release = () => {};
      gate = new Promise<void>((resolve) => {
        release = () => {
          gate = null;
          resolve();
        };
      });
      return release;
    },
  };
}

for (const database of DATABASES) {
  describe(`${database}: API key authenticator`, () => {
    let store: Store;
    let close: () => Promise<void>;
    let now = Date.parse('2026-02-01T12:00:00Z');
    const clock = () => now;

    beforeAll(async () => {
      const opened = await openTestStore(database);
      store = opened.store;
      close = opened.close;
    });
    afterAll(async () => close());

    async function newKey() {
      return createApiKey({ store, clock }, { name: `k${Math.random()}`, role: 'reviewer' });
    }

    test('a cached key is served without a lookup until an invalidation for it arrives', async () => {
      const { key, id, workspace } = await newKey();
      const other = await newKey();
      const counting = countingStore(store);
      const bus = new InProcessTaskEventBus();
      const auth = new ApiKeyAuthenticator({ store: counting.store, clock, bus });
      await auth.authenticate(key);
      await auth.authenticate(other.key);
      await auth.authenticate(key);
      expect(counting.counts.lookups).toBe(2);
      // Another key's invalidation leaves this one cached; its own evicts it.
      await bus.invalidate({ topic: 'api_key', workspaceId: workspace.id, id: other.id });
      await auth.authenticate(key);
      expect(counting.counts.lookups).toBe(2);
      await bus.invalidate({ topic: 'api_key', workspaceId: workspace.id, id });
      await auth.authenticate(key);
      expect(counting.counts.lookups).toBe(3);
      await auth.stop();
    });

    test('a revocation evicts the key on every authenticator listening, within the cache TTL', async () => {
      const { key, id, workspace } = await newKey();
      const bus = new InProcessTaskEventBus();
      const deaf = new InProcessTaskEventBus();
      const listening = new ApiKeyAuthenticator({ store, clock, bus });
      const notListening = new ApiKeyAuthenticator({ store, clock, bus: deaf });
      await listening.authenticate(key);
      await notListening.authenticate(key);
      await store.transaction((tx) => tx.apiKeys.revoke(workspace.id, id, now));
      await bus.invalidate({ topic: 'api_key', workspaceId: workspace.id, id });
      await expect(listening.authenticate(key)).rejects.toMatchObject({ code: 'unauthorized' });
      // Without the message, only the TTL ends it: that is the bound when a Redis message is lost.
      await expect(notListening.authenticate(key)).resolves.toMatchObject({ actor: { id } });
      now += 5_000;
      await expect(notListening.authenticate(key)).rejects.toMatchObject({ code: 'unauthorized' });
      await Promise.all([listening.stop(), notListening.stop()]);
    });

    test('a lookup that read the key before an invalidation arrived answers, but is not cached', async () => {
      const { key, id, workspace } = await newKey();
      const counting = countingStore(store);
      const bus = new InProcessTaskEventBus();
      const auth = new ApiKeyAuthenticator({ store: counting.store, clock, bus });
      const release = counting.hold();
      const racing = auth.authenticate(key);
      // The lookup has read the (still valid) key; now it is revoked and the invalidation arrives.
      await new Promise((resolve) => setTimeout(resolve, 20));
      await store.transaction((tx) => tx.apiKeys.revoke(workspace.id, id, now));
      await bus.invalidate({ topic: 'api_key', workspaceId: workspace.id, id });
      release();
      await expect(racing).resolves.toMatchObject({ actor: { id } });
      await expect(auth.authenticate(key)).rejects.toMatchObject({ code: 'unauthorized' });
      expect(counting.counts.lookups).toBe(2);
      await auth.stop();
    });

    test('last use is written at most once a minute per key, per process and across processes', async () => {
      const { key, id, workspace } = await newKey();
      const lastUsed = async () =>
        (await store.read.apiKeys.listActive(workspace.id)).find((k) => k.id === id)?.lastUsedAt;
      const a = countingStore(store);
      const b = countingStore(store);
      const bus = new InProcessTaskEventBus();
      const processA = new ApiKeyAuthenticator({ store: a.store, clock, bus });
      const processB = new ApiKeyAuthenticator({ store: b.store, clock, bus });
      const start = now;
      for (let i = 0; i < 50; i++) await processA.authenticate(key);
      await processA.settle();
      expect(a.counts.writes).toBe(1);
      expect(await lastUsed()).toBe(start);

      // Process B has not written this key yet: it tries once, and the conditional UPDATE keeps the value.
      now += 30_000;
      for (let i = 0; i < 50; i++) await processB.authenticate(key);
      await processB.settle();
      expect(b.counts.writes).toBe(1);
      expect(await lastUsed()).toBe(start);

      now = start + LAST_USED_INTERVAL_MS - 1;
      await processA.authenticate(key);
      await processA.settle();
      expect([a.counts.writes, await lastUsed()]).toEqual([1, start]);
      now = start + LAST_USED_INTERVAL_MS;
      await processA.authenticate(key);
      await processA.settle();
      expect([a.counts.writes, await lastUsed()]).toEqual([2, now]);
      await Promise.all([processA.stop(), processB.stop()]);
    });

    test('a failed last-use write is reported, and the request it belongs to still succeeds', async () => {
      const { key, id } = await newKey();
      const errors: unknown[] = [];
      const failing: Store = {
        ...store,
        read: store.read,
        dialect: store.dialect,
        transaction: async () => {
          throw new Error('disk full');
        },
      };
      const auth = new ApiKeyAuthenticator({
        store: failing,
        clock,
        bus: new InProcessTaskEventBus(),
        onUsageError: (error) => errors.push(error),
      });
      await expect(auth.authenticate(key)).resolves.toMatchObject({ actor: { id } });
      await auth.stop();
      expect(errors).toEqual([new Error('disk full')]);
    });
  });
}
