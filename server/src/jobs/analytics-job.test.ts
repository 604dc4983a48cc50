import pino from 'pino';
import type { Store } from '../domain/store.js';
import { POLICY, seedClosedTasks } from '../test-support/analytics-seed.js';
import { DATABASES, openTestStore } from '../test-support/databases.js';
import { until } from '../test-support/until.js';
import { startAnalyticsRollups } from './analytics-job.js';

const WS = 'wsp_analytics_job';

for (const database of DATABASES) {
  describe(`${database}: analytics rollup job`, () => {
    let store: Store;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ store, close } = await openTestStore(database));
      await store.transaction((tx) => tx.workspaces.insert({ id: WS, slug: 'analytics-job', name: 'x', createdAt: 1 }));
    });
    afterAll(async () => close());

    test('folds closed tasks once settled, records its run for the lag, and stops cleanly', async () => {
      const now = Date.UTC(2026, 2, 4, 12);
      await seedClosedTasks(store, [
        {
          id: 'tsk_job_1',
          workspaceId: WS,
          createdAt: now - 120_000,
          closedAt: now - 60_000,
          status: 'approved',
          by: POLICY,
        },
        // Closed 10 s ago: inside the 30 s settle margin, so left for a later run.
        {
          id: 'tsk_job_2',
          workspaceId: WS,
          createdAt: now - 20_000,
          closedAt: now - 10_000,
          status: 'approved',
          by: POLICY,
        },
      ]);
      const job = startAnalyticsRollups(
        { store, clock: () => now },
        { intervalSeconds: 1, fastSecondsPerKb: 5, logger: pino({ level: 'silent' }) },
      );
      try {
        await until('the first run', async () =>
          (await store.read.analytics.readWatermark())?.taskId === 'tsk_job_1' ? true : undefined,
        );
        const rollups = await store.read.analytics.listRollups(WS, { fromDay: '2026-03-04', toDay: '2026-03-04' });
        expect(rollups.map((r) => [r.tasks, r.autoApproved])).toEqual([[1, 1]]);
        expect((await store.read.analytics.readWatermark())?.foldedAt).toBe(now);
      } finally {
        await job.stop();
      }
    });
  });
}
