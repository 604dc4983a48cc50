import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The board's Source filter lists the sources a workspace's tasks came from. Without an index that
 * was a scan of every task (at 100k open tasks most of the board page's time); with (workspace,
 * source) each distinct source is one index seek (SqlBoardRepository.sources).
 * Plain SQL: TypeORM's index helpers fail on MySQL once `tasks` has generated (urgency) columns.
 */
export class IndexTaskSources1764820300000 implements MigrationInterface {
  name = 'IndexTaskSources1764820300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE INDEX idx_tasks_ws_source ON tasks (workspace_id, source)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    await queryRunner.query(mysql ? 'DROP INDEX idx_tasks_ws_source ON tasks' : 'DROP INDEX idx_tasks_ws_source');
  }
}
