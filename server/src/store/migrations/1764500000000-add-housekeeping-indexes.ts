import { type MigrationInterface, type QueryRunner, TableIndex } from 'typeorm';

/**
 * Indexes for the housekeeping job, so each of its batched deletes reads only the rows it removes
 * rather than scanning tables that grow with every task: finished deliveries by when they last
 * changed, review links by age, idempotency keys by first use. Expired sessions already have
 * idx_web_sessions_expires.
 */
export class AddHousekeepingIndexes1764500000000 implements MigrationInterface {
  name = 'AddHousekeepingIndexes1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      'webhook_deliveries',
      new TableIndex({ name: 'idx_deliveries_status_updated', columnNames: ['status', 'updated_at'] }),
    );
    await queryRunner.createIndex(
      'review_links',
      new TableIndex({ name: 'idx_review_links_created', columnNames: ['created_at'] }),
    );
    await queryRunner.createIndex(
      'idempotency_keys',
      new TableIndex({ name: 'idx_idempotency_keys_created', columnNames: ['created_at'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('idempotency_keys', 'idx_idempotency_keys_created');
    await queryRunner.dropIndex('review_links', 'idx_review_links_created');
    await queryRunner.dropIndex('webhook_deliveries', 'idx_deliveries_status_updated');
  }
}
