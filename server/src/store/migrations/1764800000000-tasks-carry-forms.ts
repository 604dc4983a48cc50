import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * A task may carry `form` (payload fields a reviewer edits through labelled inputs) and `responseForm`
 * (what a reviewer must answer), both JSON forms in the MCP elicitation subset (shared/forms). Tasks
 * created before have neither, so both are nullable.
 */
export class TasksCarryForms1764800000000 implements MigrationInterface {
  name = 'TasksCarryForms1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.driver.options.type === 'mysql' ? 'mediumtext' : 'text';
    await queryRunner.addColumns('tasks', [
      new TableColumn({ name: 'form', type, isNullable: true }),
      new TableColumn({ name: 'response_form', type, isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('tasks', 'response_form');
    await queryRunner.dropColumn('tasks', 'form');
  }
}
