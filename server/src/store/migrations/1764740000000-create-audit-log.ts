import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/**
 * The workspace audit log (issue 16 adds the hash chain: `prev_hash` / `hash` here, the last hash on
 * the head). `audit_heads` holds each workspace's last sequence number: the row writers lock to take
 * the next one, so `seq` is 1, 2, 3, … per workspace without gaps or duplicates on SQLite and MySQL.
 */
export class CreateAuditLog1764740000000 implements MigrationInterface {
  name = 'CreateAuditLog1764740000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    const json = mysql ? 'mediumtext' : 'text';
    const id = { type: 'varchar', length: '40' } as const;
    const time = { type: 'bigint' } as const;
    const workspace = {
      columnNames: ['workspace_id'],
      referencedTableName: 'workspaces',
      referencedColumnNames: ['id'],
    };
    await queryRunner.createTable(
      new Table({
        name: 'audit_log',
        columns: [
          { name: 'id', ...id, isPrimary: true },
          { name: 'workspace_id', ...id },
          { name: 'seq', type: 'bigint' },
          { name: 'created_at', ...time },
          { name: 'actor_type', type: 'varchar', length: '16' },
          { name: 'actor_id', ...id, isNullable: true },
          { name: 'actor_name', type: 'varchar', length: '255', isNullable: true },
          { name: 'actor_role', type: 'varchar', length: '16', isNullable: true },
          { name: 'action', type: 'varchar', length: '64' },
          { name: 'target_type', type: 'varchar', length: '32' },
          { name: 'target_id', type: 'varchar', length: '64' },
          { name: 'data', type: json, isNullable: true },
          { name: 'request_id', type: 'varchar', length: '128', isNullable: true },
        ],
        foreignKeys: [workspace],
        // Also the index every read of the log (export, verification) walks.
        uniques: [{ name: 'uq_audit_log_workspace_seq', columnNames: ['workspace_id', 'seq'] }],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'audit_heads',
        columns: [
          { name: 'workspace_id', ...id, isPrimary: true },
          { name: 'last_seq', type: 'bigint' },
        ],
        foreignKeys: [workspace],
      }),
    );
    await queryRunner.query('INSERT INTO audit_heads (workspace_id, last_seq) SELECT id, 0 FROM workspaces');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_heads');
    await queryRunner.dropTable('audit_log');
  }
}
