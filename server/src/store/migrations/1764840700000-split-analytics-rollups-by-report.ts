import type { MigrationInterface, QueryRunner } from 'typeorm';
import { addCounts, keyString, type Rollup, type RollupKey } from '../../domain/analytics/rollup.js';
import { type RollupRow, rollupToRow, rowToRollup } from '../analytics/analytics-repository.js';
import { insertRows, sqlOn } from '../sql.js';

/** Rows of the old single table read per page, in id order. */
const PAGE = 2000;

/**
 * Splits the analytics rollups into the two tables of rollup.ts (`cube`): `work` without the reviewer,
 * `reviewers` without source and agent version. The single table keyed by every slice at once held
 * ~270 rows a day on a busy workspace, about as many rows as tasks, so a 90-day report read 24,000 rows
 * and took 850 ms (bench analytics over 1M tasks). The rows already folded are re-added into the two
 * tables here, so the history stays whole without re-reading the tasks, and the watermark stays put.
 * The index leads with the cube every read names.
 */
export class SplitAnalyticsRollupsByReport1764840700000 implements MigrationInterface {
  name = 'SplitAnalyticsRollupsByReport1764840700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    await queryRunner.query("ALTER TABLE analytics_rollups ADD COLUMN cube VARCHAR(16) NOT NULL DEFAULT 'all'");
    await queryRunner.query(
      mysql
        ? 'DROP INDEX idx_analytics_rollups_ws_day ON analytics_rollups'
        : 'DROP INDEX idx_analytics_rollups_ws_day',
    );
    await queryRunner.query(
      'CREATE INDEX idx_analytics_rollups_ws_cube_day ON analytics_rollups (workspace_id, cube, day)',
    );

    const split = new Map<string, Rollup>();
    const add = (key: RollupKey, reviewerName: string, rollup: Rollup) => {
      const id = keyString(key);
      const seen = split.get(id);
      split.set(
        id,
        seen
          ? { ...seen, reviewerName: seen.reviewerName || reviewerName, ...addCounts(seen, rollup) }
          : { ...rollup, ...key, reviewerName },
      );
    };
    let after = '';
    for (;;) {
      const rows: RollupRow[] = await queryRunner.query(
        `SELECT * FROM analytics_rollups WHERE cube = 'all' AND id > ? ORDER BY id LIMIT ${PAGE}`,
        [after],
      );
      for (const row of rows) {
        const old = rowToRollup({ ...row, ...numbers(row) });
        const { workspaceId, day, queue, source, agentId, agentVersion, reviewerId } = old;
        add({ cube: 'work', workspaceId, day, queue, source, agentId, agentVersion, reviewerId: '' }, '', old);
        if (reviewerId !== '') {
          const key: RollupKey = {
            cube: 'reviewers',
            workspaceId,
            day,
            queue,
            source: '',
            agentId,
            agentVersion: '',
            reviewerId,
          };
          add(key, old.reviewerName, old);
        }
      }
      const last = rows.at(-1);
      if (!last || rows.length < PAGE) break;
      after = last.id;
    }
    await queryRunner.query("DELETE FROM analytics_rollups WHERE cube = 'all'");
    const now = Date.now();
    const fresh = [...split.values()].map((rollup) => rollupToRow(rollup, now));
    const sql = sqlOn(mysql ? 'mysql' : 'sqlite', queryRunner);
    for (let index = 0; index < fresh.length; index += 500) {
      await insertRows(sql, 'analytics_rollups', fresh.slice(index, index + 500));
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The slices the split dropped cannot be recovered from the two tables: going back starts the
    // single table empty and refolds every closed task from the tasks themselves.
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    await queryRunner.query('DELETE FROM analytics_rollups');
    await queryRunner.query('DELETE FROM analytics_watermarks');
    await queryRunner.query(
      mysql
        ? 'DROP INDEX idx_analytics_rollups_ws_cube_day ON analytics_rollups'
        : 'DROP INDEX idx_analytics_rollups_ws_cube_day',
    );
    await queryRunner.query('CREATE INDEX idx_analytics_rollups_ws_day ON analytics_rollups (workspace_id, day)');
    await queryRunner.query('ALTER TABLE analytics_rollups DROP COLUMN cube');
  }
}

/** MySQL hands BIGINT columns back as strings; the counts are added up, so they must be numbers. */
function numbers(row: RollupRow): Partial<RollupRow> {
  return {
    handling_ms: Number(row.handling_ms),
    edit_chars: Number(row.edit_chars),
  };
}
