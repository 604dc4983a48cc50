import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * A decision (and each vote towards it) keeps the reviewer's answers to the task's responseForm and,
 * for a reject, the code of the reason chosen from the queue's rejectReasons. Older decisions have
 * neither, so all four columns are nullable.
 */
export class DecisionsCarryResponseAndReason1764800001000 implements MigrationInterface {
  name = 'DecisionsCarryResponseAndReason1764800001000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const json = queryRunner.connection.driver.options.type === 'mysql' ? 'mediumtext' : 'text';
    await queryRunner.addColumns('tasks', [
      new TableColumn({ name: 'decision_reason_code', type: 'varchar', length: '64', isNullable: true }),
      new TableColumn({ name: 'decision_response', type: json, isNullable: true }),
    ]);
    await queryRunner.addColumns('task_votes', [
      new TableColumn({ name: 'reason_code', type: 'varchar', length: '64', isNullable: true }),
      new TableColumn({ name: 'response', type: json, isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('task_votes', 'response');
    await queryRunner.dropColumn('task_votes', 'reason_code');
    await queryRunner.dropColumn('tasks', 'decision_response');
    await queryRunner.dropColumn('tasks', 'decision_reason_code');
  }
}
