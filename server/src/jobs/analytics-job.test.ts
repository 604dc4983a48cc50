import pino from 'pino';
import type { Store } from '../domain/store.js';
import { agentTasks, POLICY, seedClosedTasks } from '../test-support/analytics-seed.js';
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
        const rollups = await store.read.analytics.listRollups(WS, {
          cube: 'work',
          fromDay: '2026-03-04',
          toDay: '2026-03-04',
        });
        expect(rollups.map((r) => [r.tasks, r.autoApproved])).toEqual([[1, 1]]);
        expect((await store.read.analytics.readWatermark())?.foldedAt).toBe(now);
      } finally {
        await job.stop();
      }
    });

    test('after folding, it sends agent.drift_detected once to the subscribers that listed it, and not on later runs', async () => {
      const now = Date.UTC(2026, 4, 20, 12);
      const reviewer = { type: 'user' as const, id: 'usr_job', name: 'job@example.com' };
      const tasks = (prefix: string, at: number, routed: number) =>
        agentTasks({ workspaceId: WS, agentId: 'agt_job', prefix, at, count: 40, routed, by: reviewer });
      await seedClosedTasks(store, [
        ...tasks('jd_old', now - 20 * 86_400_000, 10),
        ...tasks('jd_new', now - 86_400_000, 30),
      ]);
      await store.transaction((tx) =>
        tx.webhooks.insert({
          id: 'whk_job_drift',
          workspaceId: WS,
          url: 'https://hooks.example.com/drift',
          events: ['agent.drift_detected'],
          description: null,
          secret: 'whsec_test',
          previousSecret: null,
          previousSecretExpiresAt: null,
          status: 'active',
          disabledReason: null,
          createdBy: { type: 'user', id: 'usr_job' },
          createdAt: 1,
          updatedAt: 1,
        }),
      );
      const sent = () => store.read.deliveries.list(WS, { subscriptionId: 'whk_job_drift' }, 10);
      const job = startAnalyticsRollups(
        { store, clock: () => now },
        { intervalSeconds: 1, fastSecondsPerKb: 5, logger: pino({ level: 'silent' }) },
      );
      try {
        const [row] = await until('the drift delivery is queued', async () => {
          const rows = await sent();
          return rows.length > 0 ? rows : undefined;
        });
        expect(row).toMatchObject({ eventType: 'agent.drift_detected', taskId: null, status: 'pending' });
        expect(JSON.parse(row?.body ?? '{}').data).toMatchObject({
          agentId: 'agt_job',
          driftedMetrics: ['intervention'],
        });
        // Two more runs (one a second) with nothing new to fold on the same day skip the test; nothing more is sent.
        await new Promise((resolve) => setTimeout(resolve, 2_500));
        expect(await sent()).toHaveLength(1);
      } finally {
        await job.stop();
      }
    });
  });
}
