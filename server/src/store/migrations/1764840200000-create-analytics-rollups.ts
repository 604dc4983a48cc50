import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/**
 * Analytics read from rollups, not from the tasks table: one row per workspace, UTC day and slice
 * (queue, source, agent, agent version, reviewer) with counts, time-to-decision histograms and
 * confidence buckets, folded in by the analytics job. The key columns are hashed into `id` so the
 * primary key stays short on MySQL whatever the names' lengths; the slice columns are kept for
 * filtering. `analytics_watermarks` holds how far the job has folded (closed_at, task id), so a run
 * folds only tasks closed since the last one. The tasks index serves exactly that read.
 */
export class CreateAnalyticsRollups1764840200000 implements MigrationInterface {
  name = 'CreateAnalyticsRollups1764840200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const count = { type: 'integer', default: 0 } as const;
    await queryRunner.createTable(
      new Table({
        name: 'analytics_rollups',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'workspace_id', type: 'varchar', length: '40' },
          { name: 'day', type: 'varchar', length: '10' },
          { name: 'queue', type: 'varchar', length: '200' },
          { name: 'source', type: 'varchar', length: '200' },
          { name: 'agent_id', type: 'varchar', length: '128' },
          { name: 'agent_version', type: 'varchar', length: '64' },
          { name: 'reviewer_id', type: 'varchar', length: '128' },
          { name: 'reviewer_name', type: 'varchar', length: '320' },
          { name: 'tasks', ...count },
          { name: 'auto_approved', ...count },
          { name: 'approved', ...count },
          { name: 'modified', ...count },
          { name: 'rejected', ...count },
          { name: 'expired', ...count },
          { name: 'cancelled', ...count },
          { name: 'sla_tasks', ...count },
          { name: 'within_sla', ...count },
          { name: 'breached', ...count },
          { name: 'escalated', ...count },
          { name: 'fast_decisions', ...count },
          { name: 'handling_ms', type: 'bigint', default: 0 },
          { name: 'edit_chars', type: 'bigint', default: 0 },
          // JSON arrays of counts, one per bucket (see domain/analytics/rollup.ts).
          { name: 'offered_histogram', type: 'text' },
          { name: 'claimed_histogram', type: 'text' },
          { name: 'confidence_buckets', type: 'text' },
          { name: 'updated_at', type: 'bigint' },
        ],
        indices: [{ name: 'idx_analytics_rollups_ws_day', columnNames: ['workspace_id', 'day'] }],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'analytics_watermarks',
        columns: [
          { name: 'id', type: 'varchar', length: '40', isPrimary: true },
          { name: 'closed_at', type: 'bigint' },
          { name: 'task_id', type: 'varchar', length: '40' },
          { name: 'folded_at', type: 'bigint' },
        ],
      }),
    );
    // Plain SQL: TypeORM's index helpers read the tasks table's generated columns and fail on MySQL.
    await queryRunner.query('CREATE INDEX idx_tasks_closed ON tasks (closed_at, id)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    await queryRunner.query(mysql ? 'DROP INDEX idx_tasks_closed ON tasks' : 'DROP INDEX idx_tasks_closed');
    await queryRunner.dropTable('analytics_watermarks');
    await queryRunner.dropTable('analytics_rollups');
  }
}
