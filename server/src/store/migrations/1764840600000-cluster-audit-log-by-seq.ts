import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * On MySQL/MariaDB, InnoDB stores a table in primary-key order. The audit log's primary key was its
 * random entry id, so every walk of a chain in seq order (verification, export, pruning) went through
 * the (workspace_id, seq) index and then fetched each row from a random page of the table: once the log
 * outgrew the buffer pool, `loopgate audit verify` over a million entries spent four minutes in random
 * reads (measured on MariaDB 10.11 with its default 128 MB pool: 243 s for the walk against 7 s for the
 * same walk over a table keyed by (workspace_id, seq)). Keying the table by (workspace_id, seq) makes
 * those walks sequential reads and each append a write at the end of its workspace's range; the entry
 * id stays unique.
 *
 * SQLite needs nothing: its tables are stored in rowid order, which is insertion order, and entries
 * are inserted in seq order, so the walk through the unique (workspace_id, seq) index already reads
 * the table front to back.
 */
export class ClusterAuditLogBySeq1764840600000 implements MigrationInterface {
  name = 'ClusterAuditLogBySeq1764840600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.driver.options.type !== 'mysql') return;
    await queryRunner.query(
      `ALTER TABLE audit_log
         DROP PRIMARY KEY,
         ADD PRIMARY KEY (workspace_id, seq),
         ADD UNIQUE KEY uq_audit_log_id (id),
         DROP INDEX uq_audit_log_workspace_seq`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.driver.options.type !== 'mysql') return;
    await queryRunner.query(
      `ALTER TABLE audit_log
         ADD UNIQUE KEY uq_audit_log_workspace_seq (workspace_id, seq),
         DROP PRIMARY KEY,
         ADD PRIMARY KEY (id),
         DROP INDEX uq_audit_log_id`,
    );
  }
}
