import { emptyStageHistograms } from '../../domain/analytics/rollup.js';
import type { Store } from '../../domain/store.js';
import { createTestDatabase, DATABASES, type TestDatabaseHandle } from '../../test-support/databases.js';
import { rawDataSource } from '../../test-support/raw-data-source.js';
import { openStore } from '../open-store.js';
import { TrackAgentDriftAndStageTimes1764840500000 } from './1764840500000-track-agent-drift-and-stage-times.js';
import { MIGRATIONS } from './index.js';

const BEFORE = MIGRATIONS.slice(0, MIGRATIONS.indexOf(TrackAgentDriftAndStageTimes1764840500000));
const EMPTY = JSON.stringify(new Array(16).fill(0));

for (const database of DATABASES) {
  describe(`${database}: migration 1764840500000 (drift states, stage times)`, () => {
    let db: TestDatabaseHandle;
    let store: Store | null = null;

    beforeAll(async () => {
      db = await createTestDatabase(database);
      const before = await rawDataSource(db, BEFORE);
      await before.runMigrations();
      // A rollup folded before stage times were kept.
      await before.query(
        `INSERT INTO analytics_rollups (id, workspace_id, day, queue, source, agent_id, agent_version, reviewer_id,
           reviewer_name, tasks, offered_histogram, claimed_histogram, confidence_buckets, updated_at)
         VALUES ('r1', 'wsp_old', '2026-03-01', 'q', 'api', '', '', '', '', 3, ?, ?, '[]', 1)`,
        [EMPTY, EMPTY],
      );
      await before.destroy();
      store = await openStore(db.config);
    });
    afterAll(async () => {
      await store?.close();
      await db.drop();
    });

    test('older rollups read with empty stage histograms; drift state starts empty and moves compare-and-set', async () => {
      if (!store) throw new Error('store not open');
      const [old] = await store.read.analytics.listRollups('wsp_old', {
        cube: 'work',
        fromDay: '2026-03-01',
        toDay: '2026-03-01',
      });
      expect(old).toMatchObject({ tasks: 3, stageHistograms: emptyStageHistograms() });
      expect(await store.read.analytics.listDriftStates('wsp_old')).toEqual([]);
      const live = store;
      expect(await live.transaction((tx) => tx.analytics.markDrift('wsp_old', 'agt', true, 5))).toBe(true);
      expect(await live.transaction((tx) => tx.analytics.markDrift('wsp_old', 'agt', true, 6))).toBe(false);
      expect(await live.transaction((tx) => tx.analytics.markDrift('wsp_old', 'agt', false, 7))).toBe(true);
      expect(await live.transaction((tx) => tx.analytics.markDrift('wsp_old', 'agt', false, 8))).toBe(false);
      expect(await live.read.analytics.listDriftStates('wsp_old')).toEqual([
        { agentId: 'agt', drifted: false, changedAt: 7 },
      ]);
    });

    test('down drops the table and the column, and up runs again', async () => {
      await store?.close();
      store = null;
      const source = await rawDataSource(db, MIGRATIONS);
      try {
        const laterAndThis = MIGRATIONS.length - MIGRATIONS.indexOf(TrackAgentDriftAndStageTimes1764840500000);
        for (let i = 0; i < laterAndThis; i++) await source.undoLastMigration();
        await expect(source.query('SELECT * FROM analytics_drift_states')).rejects.toThrow();
        await expect(source.query('SELECT stage_histograms FROM analytics_rollups')).rejects.toThrow();
        await source.runMigrations();
        expect(await source.query('SELECT COUNT(*) AS n FROM analytics_drift_states')).toEqual([
          { n: database === 'mysql' ? '0' : 0 },
        ]);
      } finally {
        await source.destroy();
      }
    });
  });
}
