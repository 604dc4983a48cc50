import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/**
 * Saved views: a user's named board/list filters, kept as the filter part of the page's query
 * string. A name is unique per user in a workspace, so saving under a taken name is a choice
 * (replace it) rather than a second row.
 */
export class CreateSavedViews1764813300000 implements MigrationInterface {
  name = 'CreateSavedViews1764813300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const id = { type: 'varchar', length: '40' } as const;
    await queryRunner.createTable(
      new Table({
        name: 'saved_views',
        columns: [
          { name: 'id', ...id, isPrimary: true },
          { name: 'workspace_id', ...id },
          { name: 'user_id', ...id },
          { name: 'name', type: 'varchar', length: '60' },
          { name: 'query', type: 'varchar', length: '1000' },
          { name: 'created_at', type: 'bigint' },
        ],
        indices: [
          { name: 'idx_saved_views_owner_name', columnNames: ['workspace_id', 'user_id', 'name'], isUnique: true },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('saved_views');
  }
}
