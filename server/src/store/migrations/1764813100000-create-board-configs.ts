import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/**
 * The queue board's columns as a workspace's admin configured them: one row per workspace, the
 * columns as a JSON document and a version that goes up by one on each change (a change made from
 * an older version is refused). No row: the built-in five columns.
 */
export class CreateBoardConfigs1764813100000 implements MigrationInterface {
  name = 'CreateBoardConfigs1764813100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    await queryRunner.createTable(
      new Table({
        name: 'board_configs',
        columns: [
          { name: 'workspace_id', type: 'varchar', length: '40', isPrimary: true },
          { name: 'config', type: mysql ? 'mediumtext' : 'text' },
          { name: 'version', type: 'integer' },
          { name: 'updated_at', type: 'bigint' },
          { name: 'updated_by', type: 'varchar', length: '40', isNullable: true },
        ],
        foreignKeys: [
          { columnNames: ['workspace_id'], referencedTableName: 'workspaces', referencedColumnNames: ['id'] },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('board_configs');
  }
}
