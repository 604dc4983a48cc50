import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/**
 * Signed checkpoints of the audit log (issue 16 item 2): one row per signed head. The primary key
 * (workspace_id, seq) is what makes the writer safe on several processes (the second signature of a
 * head is not inserted), and the index keyset pages walk. Rows carry the signing key's public half,
 * so a checkpoint stays checkable after the operator changes keys.
 */
export class CreateAuditCheckpoints1764840400000 implements MigrationInterface {
  name = 'CreateAuditCheckpoints1764840400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'audit_checkpoints',
        columns: [
          { name: 'workspace_id', type: 'varchar', length: '40', isPrimary: true },
          { name: 'seq', type: 'bigint', isPrimary: true },
          { name: 'hash', type: 'varchar', length: '64' },
          { name: 'created_at', type: 'bigint' },
          // Base64 of a 64-byte Ed25519 signature is 88 characters.
          { name: 'signature', type: 'varchar', length: '128' },
          { name: 'key_id', type: 'varchar', length: '64' },
          // An Ed25519 SPKI PEM is 113 characters; room for a line-ending difference.
          { name: 'public_key', type: 'varchar', length: '512' },
        ],
        foreignKeys: [
          { columnNames: ['workspace_id'], referencedTableName: 'workspaces', referencedColumnNames: ['id'] },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_checkpoints');
  }
}
