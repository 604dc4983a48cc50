import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/**
 * Durable digests and the hourly cap: a task waiting to go into a user's next digest is a row (so a
 * restart loses nothing), and every review mail sent to a user takes one of the hour's numbered slots up to their cap.
 */
export class CreateMailDigest1764802050000 implements MigrationInterface {
  name = 'CreateMailDigest1764802050000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const id = { type: 'varchar', length: '40' } as const;
    const time = { type: 'bigint' } as const;
    await queryRunner.createTable(
      new Table({
        name: 'mail_digest_items',
        columns: [
          { name: 'user_id', ...id, isPrimary: true },
          { name: 'task_id', ...id, isPrimary: true },
          { name: 'level', type: 'integer', isPrimary: true },
          { name: 'workspace_id', ...id },
          { name: 'email', type: 'varchar', length: '320' },
          { name: 'due_at', ...time },
          { name: 'created_at', ...time },
        ],
        indices: [{ name: 'idx_mail_digest_items_due', columnNames: ['due_at'] }],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'mail_sends',
        // One row per review mail: slot k of the user's cap in the clock hour starting at hour_start. The
        // key makes taking a slot atomic, so concurrent senders cannot exceed the cap.
        columns: [
          { name: 'user_id', ...id, isPrimary: true },
          { name: 'hour_start', ...time, isPrimary: true },
          { name: 'slot', type: 'integer', isPrimary: true },
          { name: 'sent_at', ...time },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('mail_sends');
    await queryRunner.dropTable('mail_digest_items');
  }
}
