import { type MigrationInterface, type QueryRunner, Table, TableColumn } from 'typeorm';

/**
 * Issue 16 item 8. `analytics_drift_states` remembers, per workspace and agent, whether the drift test
 * last found the agent changed, so `agent.drift_detected` goes out once per change: the analytics job
 * flips the row compare-and-set in the transaction that queues the webhook. No row means not drifted.
 * `analytics_rollups.stage_histograms` adds the time tasks spent in each board stage to the rollups
 * (JSON, like the other histograms); rows folded before it are null and read as empty.
 */
export class TrackAgentDriftAndStageTimes1764840500000 implements MigrationInterface {
  name = 'TrackAgentDriftAndStageTimes1764840500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'analytics_drift_states',
        columns: [
          { name: 'workspace_id', type: 'varchar', length: '40', isPrimary: true },
          { name: 'agent_id', type: 'varchar', length: '128', isPrimary: true },
          { name: 'drifted', type: 'integer', default: 0 },
          { name: 'changed_at', type: 'bigint' },
        ],
      }),
    );
    await queryRunner.addColumn(
      'analytics_rollups',
      new TableColumn({ name: 'stage_histograms', type: 'text', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('analytics_rollups', 'stage_histograms');
    await queryRunner.dropTable('analytics_drift_states');
  }
}
