import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sensitive-data classification (issue 17 item 2): `classification` holds, as JSON, which of the
 * queue's detectors fired at which paths when the task was created (never the values), and the risk
 * level they raised it from. NULL: the queue enabled no detectors. Plain SQL, on MySQL because
 * `tasks` has generated columns TypeORM's schema builder trips over.
 */
export class TasksCarryClassification1764850000100 implements MigrationInterface {
  name = 'TasksCarryClassification1764850000100';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Up to 100 paths per detector: past MySQL's 64 KB TEXT in the worst case, so MEDIUMTEXT there.
    const type = queryRunner.connection.driver.options.type === 'mysql' ? 'MEDIUMTEXT' : 'TEXT';
    await queryRunner.query(`ALTER TABLE tasks ADD COLUMN classification ${type} NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE tasks DROP COLUMN classification');
  }
}
