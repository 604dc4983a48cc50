import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/**
 * Standing approvals (issue 17): "approve, and the same for the next N hours". One row per grant,
 * kept after it expires or is revoked so the task page and the ledger can still name it.
 * `match_key` is what a new task must carry to match: the payload digest (scope payload) or the
 * digest of the title (scope title), so the lookup on every task creation is one fixed-width index.
 */
export class CreateStandingGrants1764850000300 implements MigrationInterface {
  name = 'CreateStandingGrants1764850000300';

  async up(queryRunner: QueryRunner): Promise<void> {
    const id = { type: 'varchar', length: '40' } as const;
    const actor = (prefix: string, nullable: boolean) => [
      { name: `${prefix}_type`, type: 'varchar', length: '16', isNullable: nullable },
      { name: `${prefix}_id`, type: 'varchar', length: '64', isNullable: true },
      { name: `${prefix}_name`, type: 'varchar', length: '200', isNullable: true },
    ];
    await queryRunner.createTable(
      new Table({
        name: 'standing_grants',
        columns: [
          { name: 'id', ...id, isPrimary: true },
          { name: 'workspace_id', ...id },
          { name: 'queue', type: 'varchar', length: '64' },
          { name: 'agent_id', type: 'varchar', length: '128' },
          { name: 'scope', type: 'varchar', length: '16' },
          { name: 'match_key', type: 'varchar', length: '64' },
          { name: 'payload_digest', type: 'varchar', length: '64', isNullable: true },
          { name: 'title', type: 'varchar', length: '500', isNullable: true },
          { name: 'from_task_id', ...id },
          ...actor('created_by', false),
          { name: 'created_at', type: 'bigint' },
          { name: 'expires_at', type: 'bigint' },
          ...actor('revoked_by', true),
          { name: 'revoked_at', type: 'bigint', isNullable: true },
          { name: 'revoke_reason', type: 'varchar', length: '2000', isNullable: true },
          { name: 'use_count', type: 'integer', default: 0 },
        ],
        indices: [
          {
            name: 'idx_standing_grants_match',
            columnNames: ['workspace_id', 'queue', 'agent_id', 'scope', 'match_key', 'expires_at'],
          },
          { name: 'idx_standing_grants_task', columnNames: ['workspace_id', 'from_task_id'] },
          { name: 'idx_standing_grants_created', columnNames: ['workspace_id', 'created_at'] },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('standing_grants');
  }
}
