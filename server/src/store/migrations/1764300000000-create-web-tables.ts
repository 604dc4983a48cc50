import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * The web side: login sessions (shared by every server process, hence in the database), the
 * single-use e-mail review links, and the index the queue board reads its columns through.
 * Secrets (session ids, link tokens) are stored as SHA-256 hashes only: a database dump gives no
 * working cookie or link.
 */
export class CreateWebTables1764300000000 implements MigrationInterface {
  name = 'CreateWebTables1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const id = { type: 'varchar', length: '40' } as const;
    const hash = { type: 'varchar', length: '64' } as const;
    const time = { type: 'bigint' } as const;

    await queryRunner.createTable(
      new Table({
        name: 'web_sessions',
        columns: [
          { name: 'id_hash', ...hash, isPrimary: true },
          { name: 'user_id', ...id },
          { name: 'workspace_id', ...id },
          { name: 'csrf_token', type: 'varchar', length: '64' },
          { name: 'created_at', ...time },
          { name: 'expires_at', ...time },
        ],
        foreignKeys: [
          { columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'] },
          { columnNames: ['workspace_id'], referencedTableName: 'workspaces', referencedColumnNames: ['id'] },
        ],
        indices: [
          // Logout everywhere / role changes: a user's sessions.
          { name: 'idx_web_sessions_user', columnNames: ['user_id'] },
          // Purging expired sessions.
          { name: 'idx_web_sessions_expires', columnNames: ['expires_at'] },
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'review_links',
        columns: [
          { name: 'token_hash', ...hash, isPrimary: true },
          { name: 'workspace_id', ...id },
          { name: 'task_id', ...id },
          { name: 'level', type: 'integer' },
          { name: 'user_id', ...id },
          { name: 'email', type: 'varchar', length: '320' },
          { name: 'action', type: 'varchar', length: '32' },
          { name: 'expires_at', ...time, isNullable: true },
          { name: 'used_at', ...time, isNullable: true },
          { name: 'created_at', ...time },
        ],
        foreignKeys: [
          { columnNames: ['task_id'], referencedTableName: 'tasks', referencedColumnNames: ['id'] },
          { columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'] },
        ],
        indices: [
          // One link per task, level, reviewer and action: the insert that wins this key sends the
          // mail, so N processes hearing of the same task send it once.
          {
            name: 'idx_review_links_task_level_user_action',
            columnNames: ['task_id', 'level', 'user_id', 'action'],
            isUnique: true,
          },
        ],
      }),
    );

    // Reviewers a task names by e-mail; they get its review mails instead of the queue's group.
    await queryRunner.createTable(
      new Table({
        name: 'task_reviewers',
        columns: [
          { name: 'task_id', ...id, isPrimary: true },
          { name: 'email', type: 'varchar', length: '320', isPrimary: true },
          { name: 'workspace_id', ...id },
        ],
        foreignKeys: [{ columnNames: ['task_id'], referencedTableName: 'tasks', referencedColumnNames: ['id'] }],
      }),
    );

    // The queue board: each column is one status (plus claimed/escalated flags), newest first, limited.
    await queryRunner.createIndex(
      'tasks',
      new TableIndex({
        name: 'idx_tasks_ws_board',
        columnNames: ['workspace_id', 'status', 'escalated', 'claimed', 'created_at'],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('tasks', 'idx_tasks_ws_board');
    await queryRunner.dropTable('task_reviewers');
    await queryRunner.dropTable('review_links');
    await queryRunner.dropTable('web_sessions');
  }
}
