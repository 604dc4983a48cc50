import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * Mail settings. Each user may choose the time zone mail shows times in, how review mail reaches them
 * (each task, or an hourly or daily digest) and how many mails an hour they take at most; a workspace
 * may set the time zone its members fall back to. NULL everywhere means the default (UTC, each task,
 * the built-in cap), so existing rows need no backfill.
 */
export class AddMailSettings1764802000000 implements MigrationInterface {
  name = 'AddMailSettings1764802000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('users', [
      new TableColumn({ name: 'time_zone', type: 'varchar', length: '64', isNullable: true }),
      new TableColumn({ name: 'mail_mode', type: 'varchar', length: '16', isNullable: true }),
      new TableColumn({ name: 'mails_per_hour', type: 'integer', isNullable: true }),
    ]);
    await queryRunner.addColumn(
      'workspaces',
      new TableColumn({ name: 'time_zone', type: 'varchar', length: '64', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35 and MySQL): TypeORM's SQLite dropColumn rebuilds the
    // table, which other tables' foreign keys to users and workspaces refuse.
    await queryRunner.query('ALTER TABLE workspaces DROP COLUMN time_zone');
    for (const column of ['mails_per_hour', 'mail_mode', 'time_zone']) {
      await queryRunner.query(`ALTER TABLE users DROP COLUMN ${column}`);
    }
  }
}
