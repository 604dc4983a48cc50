import { type MigrationInterface, type QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';
import { NO_DEADLINE, RISK_RANK, UNKNOWN_RISK_RANK } from '../../domain/tasks/urgency.js';

/*
 * The urgency order (domain/tasks/urgency.ts: deadline, risk, priority, age, id) sorted by
 * expressions (COALESCE, CASE, -priority), which no index served: every board column and every
 * `GET /tasks?sort=urgency` sorted all matching rows to return 50, so the board slowed with the
 * number of open tasks. The three computed parts become virtual generated columns (computed on
 * read, never written by the application, kept in step with their inputs by the database), and
 * two indexes end in the whole key:
 *   - idx_tasks_ws_urgency_board (workspace, status, escalated, claimed, key…): a board column's
 *     first cards straight off the index. It has idx_tasks_ws_board's prefix, so it replaces it.
 *   - idx_tasks_ws_urgency (workspace, key…): the task list in urgency order.
 */
const RISK_RANK_SQL = `CASE risk_level ${Object.entries(RISK_RANK)
  .map(([level, rank]) => `WHEN '${level}' THEN ${rank}`)
  .join(' ')} ELSE ${UNKNOWN_RISK_RANK} END`;

export const URGENCY_COLUMNS = [
  { name: 'urgency_due', type: 'bigint', asExpression: `COALESCE(due_at, ${NO_DEADLINE})` },
  { name: 'urgency_risk', type: 'integer', asExpression: RISK_RANK_SQL },
  { name: 'urgency_priority', type: 'integer', asExpression: '0 - priority' },
] as const;

const KEY = ['urgency_due', 'urgency_risk', 'urgency_priority', 'created_at', 'id'];

export class IndexUrgencyOrder1764813200000 implements MigrationInterface {
  name = 'IndexUrgencyOrder1764813200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.driver.options.type === 'mysql') {
      // TypeORM writes "VIRTUAL NULL", which MariaDB refuses; MySQL alters in place, nothing to keep.
      for (const column of URGENCY_COLUMNS) {
        const type = column.type === 'bigint' ? 'BIGINT' : 'INT';
        await queryRunner.query(
          `ALTER TABLE tasks ADD COLUMN ${column.name} ${type} AS (${column.asExpression}) VIRTUAL`,
        );
      }
    } else {
      // SQLite: through TypeORM, which keeps generated columns' expressions in typeorm_metadata (its
      // own layout, made here: it creates the table only for entities it synchronises, which
      // Loopgate never does) so its table rebuilds in later migrations keep them.
      await queryRunner.createTable(
        new Table({
          name: 'typeorm_metadata',
          columns: [
            { name: 'type', type: 'varchar', length: '255' },
            { name: 'database', type: 'varchar', length: '255', isNullable: true },
            { name: 'schema', type: 'varchar', length: '255', isNullable: true },
            { name: 'table', type: 'varchar', length: '255', isNullable: true },
            { name: 'name', type: 'varchar', length: '255', isNullable: true },
            { name: 'value', type: 'text', isNullable: true },
          ],
        }),
        true,
      );
      await queryRunner.addColumns(
        'tasks',
        URGENCY_COLUMNS.map(
          (column) =>
            new TableColumn({
              name: column.name,
              type: column.type,
              asExpression: column.asExpression,
              generatedType: 'VIRTUAL',
              isNullable: true,
            }),
        ),
      );
    }
    await queryRunner.createIndex(
      'tasks',
      new TableIndex({
        name: 'idx_tasks_ws_urgency_board',
        columnNames: ['workspace_id', 'status', 'escalated', 'claimed', ...KEY],
      }),
    );
    await queryRunner.createIndex(
      'tasks',
      new TableIndex({ name: 'idx_tasks_ws_urgency', columnNames: ['workspace_id', ...KEY] }),
    );
    await queryRunner.dropIndex('tasks', 'idx_tasks_ws_board');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.driver.options.type === 'mysql') {
      // Plain SQL: with generated columns in the table, TypeORM's helpers look for the metadata
      // table it keeps only on SQLite, and fail.
      await queryRunner.query(
        'CREATE INDEX idx_tasks_ws_board ON tasks (workspace_id, status, escalated, claimed, created_at)',
      );
      await queryRunner.query('DROP INDEX idx_tasks_ws_urgency ON tasks');
      await queryRunner.query('DROP INDEX idx_tasks_ws_urgency_board ON tasks');
      await queryRunner.query(
        `ALTER TABLE tasks ${URGENCY_COLUMNS.map((column) => `DROP COLUMN ${column.name}`).join(', ')}`,
      );
      return;
    }
    await queryRunner.createIndex(
      'tasks',
      new TableIndex({
        name: 'idx_tasks_ws_board',
        columnNames: ['workspace_id', 'status', 'escalated', 'claimed', 'created_at'],
      }),
    );
    await queryRunner.dropIndex('tasks', 'idx_tasks_ws_urgency');
    await queryRunner.dropIndex('tasks', 'idx_tasks_ws_urgency_board');
    await queryRunner.dropColumns(
      'tasks',
      URGENCY_COLUMNS.map((column) => column.name),
    );
  }
}
