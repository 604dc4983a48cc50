import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/**
 * Refused integration requests (unsigned or mis-signed Slack clicks, unknown integrations) are counted,
 * not logged one row each: a count per workspace, source, reason and hour, while integration_audit
 * keeps only the first few of each hour as samples. Anyone on the internet can send these requests,
 * so what they cost in storage must not grow with how many are sent. `scope` is the workspace id, or ''
 * when the request named no known integration.
 */
export class CountIntegrationRefusals1764710000000 implements MigrationInterface {
  name = 'CountIntegrationRefusals1764710000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'integration_refusals',
        columns: [
          { name: 'scope', type: 'varchar', length: '40', isPrimary: true },
          { name: 'source', type: 'varchar', length: '32', isPrimary: true },
          { name: 'reason', type: 'varchar', length: '32', isPrimary: true },
          { name: 'window_start', type: 'bigint', isPrimary: true },
          { name: 'refused', type: 'integer', default: 0 },
          { name: 'last_at', type: 'bigint' },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('integration_refusals');
  }
}
