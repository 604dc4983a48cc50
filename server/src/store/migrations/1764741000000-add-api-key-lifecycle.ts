import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * API keys get a lifecycle: when each was last used (moved at most once a minute) and who created it
 * (a user, another key or the operator CLI). Both are unknown for keys created before, so nullable.
 */
export class AddApiKeyLifecycle1764741000000 implements MigrationInterface {
  name = 'AddApiKeyLifecycle1764741000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('api_keys', [
      new TableColumn({ name: 'last_used_at', type: 'bigint', isNullable: true }),
      new TableColumn({ name: 'created_by_type', type: 'varchar', length: '16', isNullable: true }),
      new TableColumn({ name: 'created_by_id', type: 'varchar', length: '40', isNullable: true }),
      new TableColumn({ name: 'created_by_name', type: 'varchar', length: '255', isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const column of ['created_by_name', 'created_by_id', 'created_by_type', 'last_used_at']) {
      await queryRunner.dropColumn('api_keys', column);
    }
  }
}
