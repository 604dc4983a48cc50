import type { Store } from '../../domain/store.js';
import { countRows, DATABASES, openTestStore, type TestDatabaseHandle } from '../../test-support/databases.js';

for (const database of DATABASES) {
  describe(`${database}: idempotency repository`, () => {
    let store: Store;
    let db: TestDatabaseHandle;
    let close: () => Promise<void>;
    const workspaceId = 'wsp_idem_test';

    beforeAll(async () => {
      ({ store, db, close } = await openTestStore(database));
      await store.transaction((tx) =>
        tx.workspaces.insert({ id: workspaceId, slug: 'idem-test', name: 'x', createdAt: 1 }),
      );
    });
    afterAll(async () => close());

    test('idempotency keys: started, in flight, mismatch, completed, and a stale claim taken over', async () => {
      const begin = (key: string, hash: string, now: number) =>
        store.transaction((tx) => tx.idempotency.begin(workspaceId, key, hash, now, now - 60_000));
      expect(await begin('k1', 'h1', 1_000_000)).toEqual({ outcome: 'started' });
      expect(await begin('k1', 'h1', 1_000_010)).toEqual({ outcome: 'in_flight' });
      expect(await begin('k1', 'h2', 1_000_010)).toEqual({ outcome: 'mismatch' });
      // The first claimant died; a minute later another request may take the key over, once.
      expect(await begin('k1', 'h1', 1_070_000)).toEqual({ outcome: 'started' });
      expect(await begin('k1', 'h1', 1_070_001)).toEqual({ outcome: 'in_flight' });
      await store.transaction((tx) =>
        tx.idempotency.complete(workspaceId, 'k1', { status: 201, body: '{"a":1}' }, 1_070_002),
      );
      expect(await begin('k1', 'h1', 2_000_000)).toEqual({
        outcome: 'completed',
        response: { status: 201, body: '{"a":1}' },
      });
      await store.transaction((tx) => tx.idempotency.release(workspaceId, 'k1'));
      expect(await begin('k1', 'h1', 2_000_001)).toEqual({
        outcome: 'completed',
        response: { status: 201, body: '{"a":1}' },
      });
    });

    test('a released claim frees the key; housekeeping deletes old keys in batches', async () => {
      const begin = (key: string, now: number) =>
        store.transaction((tx) => tx.idempotency.begin(workspaceId, key, 'h', now, now - 60_000));
      expect(await begin('k_release', 10)).toEqual({ outcome: 'started' });
      await store.transaction((tx) => tx.idempotency.release(workspaceId, 'k_release'));
      expect(await begin('k_release', 11)).toEqual({ outcome: 'started' });
      for (const key of ['k_old1', 'k_old2', 'k_old3']) await begin(key, 20);
      const before = await countRows(db, 'idempotency_keys');
      expect(await store.transaction((tx) => tx.idempotency.deleteCreatedBefore(20, 2))).toBe(2);
      expect(await store.transaction((tx) => tx.idempotency.deleteCreatedBefore(20, 2))).toBe(2);
      expect(await store.transaction((tx) => tx.idempotency.deleteCreatedBefore(20, 2))).toBe(0);
      expect(await countRows(db, 'idempotency_keys')).toBe(before - 4);
    });
  });
}
