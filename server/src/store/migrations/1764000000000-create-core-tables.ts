import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * Workspaces, users, API keys, tasks, task events and idempotency keys. Written with TypeORM's
 * schema builder so one migration serves SQLite and MySQL; times are epoch milliseconds in BIGINT
 * columns (no time-zone conversions in either driver), JSON is stored as text.
 */
export class CreateCoreTables1764000000000 implements MigrationInterface {
  name = 'CreateCoreTables1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    // MySQL's TEXT holds 64 KiB; payloads may be as large as the request body limit.
    const json = mysql ? 'mediumtext' : 'text';
    const id = { type: 'varchar', length: '40' } as const;
    const time = { type: 'bigint' } as const;

    await queryRunner.createTable(
      new Table({
        name: 'workspaces',
        columns: [
          { name: 'id', ...id, isPrimary: true },
          { name: 'slug', type: 'varchar', length: '64', isUnique: true },
          { name: 'name', type: 'varchar', length: '200' },
          { name: 'created_at', ...time },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [
          { name: 'id', ...id, isPrimary: true },
          { name: 'email', type: 'varchar', length: '254', isUnique: true },
          { name: 'name', type: 'varchar', length: '200', isNullable: true },
          { name: 'password_hash', type: 'varchar', length: '255' },
          { name: 'created_at', ...time },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'memberships',
        columns: [
          { name: 'workspace_id', ...id, isPrimary: true },
          { name: 'user_id', ...id, isPrimary: true },
          { name: 'role', type: 'varchar', length: '16' },
          { name: 'created_at', ...time },
        ],
        foreignKeys: [
          { columnNames: ['workspace_id'], referencedTableName: 'workspaces', referencedColumnNames: ['id'] },
          { columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'] },
        ],
        indices: [{ name: 'idx_memberships_user', columnNames: ['user_id'] }],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'api_keys',
        columns: [
          { name: 'id', ...id, isPrimary: true },
          { name: 'workspace_id', ...id },
          { name: 'name', type: 'varchar', length: '200' },
          { name: 'role', type: 'varchar', length: '16' },
          { name: 'prefix', type: 'varchar', length: '16' },
          { name: 'key_hash', type: 'varchar', length: '64', isUnique: true },
          { name: 'created_at', ...time },
          { name: 'revoked_at', ...time, isNullable: true },
        ],
        foreignKeys: [
          { columnNames: ['workspace_id'], referencedTableName: 'workspaces', referencedColumnNames: ['id'] },
        ],
        indices: [{ name: 'idx_api_keys_workspace', columnNames: ['workspace_id'] }],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'tasks',
        columns: [
          { name: 'id', ...id, isPrimary: true },
          { name: 'workspace_id', ...id },
          { name: 'queue', type: 'varchar', length: '64' },
          { name: 'title', type: 'varchar', length: '500' },
          { name: 'description', type: 'text', isNullable: true },
          { name: 'payload', type: json },
          { name: 'context', type: json, isNullable: true },
          { name: 'confidence', type: 'double', isNullable: true },
          { name: 'risk_level', type: 'varchar', length: '16', isNullable: true },
          { name: 'tags', type: 'text' },
          { name: 'source', type: 'varchar', length: '64' },
          { name: 'external_ref', type: 'varchar', length: '255', isNullable: true },
          { name: 'callback_url', type: 'varchar', length: '2048', isNullable: true },
          { name: 'status', type: 'varchar', length: '32' },
          { name: 'due_at', ...time, isNullable: true },
          { name: 'created_at', ...time },
          { name: 'updated_at', ...time },
          { name: 'closed_at', ...time, isNullable: true },
          { name: 'version', type: 'integer' },
          { name: 'created_by_type', type: 'varchar', length: '16' },
          { name: 'created_by_id', type: 'varchar', length: '40', isNullable: true },
          { name: 'created_by_name', type: 'varchar', length: '200', isNullable: true },
          { name: 'decision_action', type: 'varchar', length: '32', isNullable: true },
          { name: 'decision_comment', type: 'text', isNullable: true },
          { name: 'decision_modified_payload', type: json, isNullable: true },
          { name: 'decided_by_type', type: 'varchar', length: '16', isNullable: true },
          { name: 'decided_by_id', type: 'varchar', length: '40', isNullable: true },
          { name: 'decided_by_name', type: 'varchar', length: '200', isNullable: true },
          { name: 'decided_at', ...time, isNullable: true },
        ],
        foreignKeys: [
          { columnNames: ['workspace_id'], referencedTableName: 'workspaces', referencedColumnNames: ['id'] },
        ],
      }),
    );
    // One index per query the API runs: newest-first listing, optionally by status or queue, and lookup by external reference.
    await queryRunner.createIndices('tasks', [
      new TableIndex({ name: 'idx_tasks_ws_created', columnNames: ['workspace_id', 'created_at', 'id'] }),
      new TableIndex({
        name: 'idx_tasks_ws_status_created',
        columnNames: ['workspace_id', 'status', 'created_at', 'id'],
      }),
      new TableIndex({
        name: 'idx_tasks_ws_queue_created',
        columnNames: ['workspace_id', 'queue', 'created_at', 'id'],
      }),
      new TableIndex({ name: 'idx_tasks_ws_external_ref', columnNames: ['workspace_id', 'external_ref'] }),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'task_events',
        columns: [
          {
            name: 'seq',
            type: mysql ? 'bigint' : 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          { name: 'id', ...id, isUnique: true },
          { name: 'workspace_id', ...id },
          { name: 'task_id', ...id },
          { name: 'type', type: 'varchar', length: '32' },
          { name: 'from_status', type: 'varchar', length: '32', isNullable: true },
          { name: 'to_status', type: 'varchar', length: '32', isNullable: true },
          { name: 'actor_type', type: 'varchar', length: '16' },
          { name: 'actor_id', type: 'varchar', length: '40', isNullable: true },
          { name: 'actor_name', type: 'varchar', length: '200', isNullable: true },
          { name: 'reason', type: 'text', isNullable: true },
          { name: 'data', type: json, isNullable: true },
          { name: 'created_at', ...time },
        ],
        foreignKeys: [{ columnNames: ['task_id'], referencedTableName: 'tasks', referencedColumnNames: ['id'] }],
        indices: [{ name: 'idx_task_events_task', columnNames: ['task_id', 'seq'] }],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'idempotency_keys',
        columns: [
          { name: 'workspace_id', ...id, isPrimary: true },
          { name: 'idem_key', type: 'varchar', length: '255', isPrimary: true },
          { name: 'request_hash', type: 'varchar', length: '64' },
          { name: 'state', type: 'varchar', length: '16' },
          { name: 'response_status', type: 'integer', isNullable: true },
          { name: 'response_body', type: json, isNullable: true },
          { name: 'created_at', ...time },
          { name: 'updated_at', ...time },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'idempotency_keys',
      'task_events',
      'tasks',
      'api_keys',
      'memberships',
      'users',
      'workspaces',
    ]) {
      await queryRunner.dropTable(table);
    }
  }
}
