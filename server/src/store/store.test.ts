import type { Repositories, Store } from '../domain/store.js';
import { DATABASES, openTestStore } from '../test-support/databases.js';
import { taskRecord } from '../test-support/task-records.js';
import { deadlockBackoffMs } from './mysql-store.js';

describe('deadlock backoff', () => {
  test('grows exponentially with the attempt, is capped, and is jittered across the whole window', () => {
    const highest = (attempt: number) => deadlockBackoffMs(attempt, () => 0.999999);
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(highest)).toEqual([4, 9, 19, 39, 79, 159, 249, 249]);
    expect(deadlockBackoffMs(3, () => 0)).toBe(0);
    expect(deadlockBackoffMs(3, () => 0.5)).toBe(10);
  });
});

for (const database of DATABASES) {
  describe(`${database}: store`, () => {
    let store: Store;
    let close: () => Promise<void>;
    const workspaceId = 'wsp_store_test';

    beforeAll(async () => {
      ({ store, close } = await openTestStore(database));
      await store.transaction((tx) =>
        tx.workspaces.insert({ id: workspaceId, slug: 'store-test', name: 'x', createdAt: 1 }),
      );
    });
    afterAll(async () => close());

    test('a transaction that throws leaves nothing behind, while concurrent ones commit', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          store.transaction(async (tx: Repositories) => {
            await tx.tasks.insert(taskRecord(workspaceId, `tsk_batch${i}`, 1000 + i));
            if (i % 3 === 0) throw new Error(`boom ${i}`);
            return i;
          }),
        ),
      );
      for (const [i, result] of results.entries()) {
        expect(result.status).toBe(i % 3 === 0 ? 'rejected' : 'fulfilled');
        const stored = await store.read.tasks.findById(workspaceId, `tsk_batch${i}`);
        expect(stored === null).toBe(i % 3 === 0);
      }
    });

    // SQLite runs one write transaction at a time, so only InnoDB can pick a deadlock victim.
    (database === 'mysql' ? test : test.skip)(
      'a deadlock victim is run again, and both transactions end without an error',
      async () => {
        await store.transaction(async (tx) => {
          await tx.tasks.insert(taskRecord(workspaceId, 'tsk_lock_a', 11));
          await tx.tasks.insert(taskRecord(workspaceId, 'tsk_lock_b', 12));
        });
        let bothHoldOneRow: () => void = () => {};
        const barrier = new Promise<void>((resolve) => {
          let arrived = 0;
          bothHoldOneRow = () => {
            if (++arrived === 2) resolve();
          };
        });
        let attempts = 0;
        const change = { status: 'in_review' as const, updatedAt: 13 };
        const lockInOrder = (first: string, second: string) =>
          store.transaction(async (tx) => {
            const firstAttempt = ++attempts <= 2;
            const expected = { status: 'pending_review' as const, version: 1 };
            const gotFirst = await tx.tasks.transition(workspaceId, first, expected, change);
            if (firstAttempt) {
              bothHoldOneRow();
              await barrier;
            }
            const gotSecond = await tx.tasks.transition(workspaceId, second, expected, change);
            return [gotFirst, gotSecond];
          });
        const results = await Promise.all([
          lockInOrder('tsk_lock_a', 'tsk_lock_b'),
          lockInOrder('tsk_lock_b', 'tsk_lock_a'),
        ]);
        expect(attempts).toBe(3);
        // The survivor changed both rows; the victim's second run found them changed and did nothing.
        expect(results).toEqual(
          expect.arrayContaining([
            [true, true],
            [false, false],
          ]),
        );
      },
    );

    test('readers see committed rows only', async () => {
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const pending = store.transaction(async (tx) => {
        await tx.tasks.insert(taskRecord(workspaceId, 'tsk_uncommitted', 9));
        await gate;
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await store.read.tasks.findById(workspaceId, 'tsk_uncommitted')).toBeNull();
      release();
      await pending;
      expect(await store.read.tasks.findById(workspaceId, 'tsk_uncommitted')).not.toBeNull();
    });
  });
}
