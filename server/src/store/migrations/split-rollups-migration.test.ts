import { createTestDatabase, DATABASES, type TestDatabaseHandle } from '../../test-support/databases.js';
import { rawDataSource } from '../../test-support/raw-data-source.js';
import { openStore } from '../open-store.js';
import { SplitAnalyticsRollupsByReport1764840700000 } from './1764840700000-split-analytics-rollups-by-report.js';
import { MIGRATIONS } from './index.js';

const BEFORE = MIGRATIONS.slice(0, MIGRATIONS.indexOf(SplitAnalyticsRollupsByReport1764840700000));
const histogram = (bucket: number, count: number) =>
  JSON.stringify(Array.from({ length: 16 }, (_, index) => (index === bucket ? count : 0)));

/** A rollup of the single table: one (day, queue, source, agent, version, reviewer) slice. */
const oldRollup = (id: string, source: string, version: string, reviewer: [string, string], approved: number) => [
  `INSERT INTO analytics_rollups (id, workspace_id, day, queue, source, agent_id, agent_version, reviewer_id,
     reviewer_name, tasks, approved, handling_ms, offered_histogram, claimed_histogram, confidence_buckets, updated_at)
   VALUES (?, 'wsp_old', '2026-03-01', 'q', ?, 'agt', ?, ?, ?, ?, ?, ?, ?, ?, '[]', 1)`,
  [
    id,
    source,
    version,
    reviewer[0],
    reviewer[1],
    approved,
    approved,
    approved * 1000,
    histogram(2, approved),
    histogram(0, 0),
  ],
];

for (const database of DATABASES) {
  describe(`${database}: migration 1764840700000 (rollups split by report)`, () => {
    let db: TestDatabaseHandle;

    beforeAll(async () => {
      db = await createTestDatabase(database);
      const before = await rawDataSource(db, BEFORE);
      await before.runMigrations();
      const ann: [string, string] = ['usr_ann', 'ann@example.com'];
      const bo: [string, string] = ['usr_bo', 'bo@example.com'];
      for (const [sql, params] of [
        oldRollup('r1', 'api', 'v1', ann, 3),
        oldRollup('r2', 'api', 'v1', bo, 2),
        oldRollup('r3', 'n8n', 'v2', ann, 4),
        oldRollup('r4', 'api', 'v1', ['', ''], 1),
      ])
        await before.query(sql as string, params as unknown[]);
      await before.destroy();
    });
    afterAll(async () => {
      await db.drop();
    });

    test('folded history is re-added into the two tables, nothing lost', async () => {
      const store = await openStore(db.config);
      try {
        const range = { fromDay: '2026-03-01', toDay: '2026-03-01' };
        const work = await store.read.analytics.listRollups('wsp_old', { cube: 'work', ...range });
        // (api, v1) adds ann's 3, bo's 2 and the reviewer-less 1; (n8n, v2) keeps ann's 4.
        expect(
          work
            .map((r) => [r.source, r.agentVersion, r.reviewerId, r.tasks, r.handlingMs, r.offeredHistogram[2]])
            .sort(),
        ).toEqual([
          ['api', 'v1', '', 6, 6000, 6],
          ['n8n', 'v2', '', 4, 4000, 4],
        ]);
        const people = await store.read.analytics.listRollups('wsp_old', { cube: 'reviewers', ...range });
        // ann's two slices (api v1, n8n v2) become one: source and version are not kept there.
        expect(
          people.map((r) => [r.reviewerId, r.reviewerName, r.source, r.approved, r.offeredHistogram[2]]).sort(),
        ).toEqual([
          ['usr_ann', 'ann@example.com', '', 7, 7],
          ['usr_bo', 'bo@example.com', '', 2, 2],
        ]);
      } finally {
        await store.close();
      }
    });

    test('down empties the rollups and the watermark so the job refolds; up runs again', async () => {
      const source = await rawDataSource(db, MIGRATIONS);
      try {
        const laterAndThis = MIGRATIONS.length - MIGRATIONS.indexOf(SplitAnalyticsRollupsByReport1764840700000);
        for (let i = 0; i < laterAndThis; i++) await source.undoLastMigration();
        await expect(source.query('SELECT cube FROM analytics_rollups')).rejects.toThrow();
        await source.runMigrations();
        const counted: { n: unknown }[] = await source.query('SELECT COUNT(*) AS n FROM analytics_rollups');
        expect(Number(counted[0]?.n)).toBe(0);
      } finally {
        await source.destroy();
      }
    });
  });
}
