import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * Each queue's config is numbered: 1 when created, +1 on every change, so a task's routing entry in
 * the audit log can name the config version that routed it (issue 16). Every queue that exists
 * before this migration starts at 1: its earlier versions were not kept, and the ledger's history
 * of it begins here.
 */
export class VersionQueueConfigs1764840300000 implements MigrationInterface {
  name = 'VersionQueueConfigs1764840300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'queues',
      new TableColumn({ name: 'version', type: 'integer', isNullable: false, default: 1 }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('queues', 'version');
  }
}
