import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Payload retention (issue 16 item 4): when LOOPGATE_PAYLOAD_RETENTION_DAYS erases a closed task's
 * payload and context, `payload_erased_at` says when, and `erased_payload_digest` keeps the SHA-256 of
 * what the reviewer was shown (the audit entries' `shownDigest`), so the task still proves what it
 * was without holding it. The index leads with `payload_erased_at` so housekeeping finds the tasks
 * not yet erased without walking the ones it erased before. Plain SQL, on MySQL because `tasks` has
 * generated columns TypeORM's schema builder trips over, and the same statements serve SQLite.
 */
export class TasksCarryPayloadErasure1764840410000 implements MigrationInterface {
  name = 'TasksCarryPayloadErasure1764840410000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE tasks ADD COLUMN payload_erased_at BIGINT NULL');
    await queryRunner.query('ALTER TABLE tasks ADD COLUMN erased_payload_digest VARCHAR(64) NULL');
    await queryRunner.query('CREATE INDEX idx_tasks_payload_retention ON tasks (payload_erased_at, closed_at, id)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    await queryRunner.query(
      mysql ? 'DROP INDEX idx_tasks_payload_retention ON tasks' : 'DROP INDEX idx_tasks_payload_retention',
    );
    await queryRunner.query('ALTER TABLE tasks DROP COLUMN erased_payload_digest');
    await queryRunner.query('ALTER TABLE tasks DROP COLUMN payload_erased_at');
  }
}
