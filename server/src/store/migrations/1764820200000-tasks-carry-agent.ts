import { type MigrationInterface, type QueryRunner, TableColumn, TableIndex } from 'typeorm';

/**
 * A task names the agent that asked (`agent: { id, name?, version?, model? }`), so tasks can be
 * filtered by agent now and counted and halted per agent later. NULL: none was named, as before.
 * The index serves `GET /tasks?agent=` (newest first within the workspace).
 */
export class TasksCarryAgent1764820200000 implements MigrationInterface {
  name = 'TasksCarryAgent1764820200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('tasks', [
      new TableColumn({ name: 'agent_id', type: 'varchar', length: '128', isNullable: true }),
      new TableColumn({ name: 'agent_name', type: 'varchar', length: '200', isNullable: true }),
      new TableColumn({ name: 'agent_version', type: 'varchar', length: '64', isNullable: true }),
      new TableColumn({ name: 'agent_model', type: 'varchar', length: '128', isNullable: true }),
    ]);
    await queryRunner.createIndex(
      'tasks',
      new TableIndex({ name: 'idx_tasks_agent', columnNames: ['workspace_id', 'agent_id', 'created_at'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Plain SQL: TypeORM's helpers read the table's generated (urgency) columns from a metadata table
    // it keeps only on SQLite, and fail on MySQL.
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    await queryRunner.query(mysql ? 'DROP INDEX idx_tasks_agent ON tasks' : 'DROP INDEX idx_tasks_agent');
    for (const column of ['agent_id', 'agent_name', 'agent_version', 'agent_model']) {
      await queryRunner.query(`ALTER TABLE tasks DROP COLUMN ${column}`);
    }
  }
}
