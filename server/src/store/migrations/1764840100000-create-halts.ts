import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/**
 * Halts (the stop button): one row per halt of a workspace, queue, source or agent, kept after it
 * is resumed so the history stays. `active_key` is `<scope>:<value>` while the halt is active and
 * NULL once resumed: the unique index over it allows one active halt per target (both databases let
 * any number of NULLs through a unique index), and it is the index task creation reads on every call.
 */
export class CreateHalts1764840100000 implements MigrationInterface {
  name = 'CreateHalts1764840100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const id = { type: 'varchar', length: '40' } as const;
    const actor = (prefix: string, nullable: boolean) => [
      { name: `${prefix}_type`, type: 'varchar', length: '16', isNullable: nullable },
      { name: `${prefix}_id`, type: 'varchar', length: '64', isNullable: true },
      { name: `${prefix}_name`, type: 'varchar', length: '200', isNullable: true },
    ];
    await queryRunner.createTable(
      new Table({
        name: 'halts',
        columns: [
          { name: 'id', ...id, isPrimary: true },
          { name: 'workspace_id', ...id },
          { name: 'scope', type: 'varchar', length: '16' },
          { name: 'value', type: 'varchar', length: '128', isNullable: true },
          { name: 'active_key', type: 'varchar', length: '150', isNullable: true },
          { name: 'reason', type: 'varchar', length: '1000', isNullable: true },
          ...actor('created_by', false),
          { name: 'created_at', type: 'bigint' },
          ...actor('resumed_by', true),
          { name: 'resumed_at', type: 'bigint', isNullable: true },
        ],
        indices: [
          { name: 'idx_halts_active', columnNames: ['workspace_id', 'active_key'], isUnique: true },
          { name: 'idx_halts_workspace_created', columnNames: ['workspace_id', 'created_at'] },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('halts');
  }
}
