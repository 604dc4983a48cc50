import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * An approve-with-modifications decision keeps the diff the reviewer confirmed (a unified diff from
 * the original payload to the modified one) next to the modified payload, so the record says what
 * changed in the form it was reviewed, whatever later renders it. Decisions made before this
 * migration have none; readers fall back to computing it.
 */
export class StoreDecisionDiff1764400000000 implements MigrationInterface {
  name = 'StoreDecisionDiff1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    await queryRunner.addColumn(
      'tasks',
      new TableColumn({ name: 'decision_diff', type: mysql ? 'mediumtext' : 'text', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('tasks', 'decision_diff');
  }
}
