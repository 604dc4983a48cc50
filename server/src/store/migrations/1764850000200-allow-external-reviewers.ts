import { type MigrationInterface, type QueryRunner, TableColumn, TableForeignKey } from 'typeorm';

/**
 * External (guest) reviewers (issue 17): the workspace's allowlist of addresses and domains a task
 * may name without their being members, as a JSON array (NULL, every row before this: empty, off);
 * and review links that may belong to a guest, who has no users row — so the link's user_id stops
 * referencing users. A guest's link carries a key derived from their address in user_id (`guest_…`),
 * which keeps the one-link-per-task-level-reviewer-action key that makes N processes mail once.
 */
export class AllowExternalReviewers1764850000200 implements MigrationInterface {
  name = 'AllowExternalReviewers1764850000200';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'workspaces',
      new TableColumn({ name: 'external_reviewers', type: 'text', isNullable: true }),
    );
    const table = await queryRunner.getTable('review_links');
    const userForeignKey = table?.foreignKeys.find((key) => key.columnNames.includes('user_id'));
    if (userForeignKey) await queryRunner.dropForeignKey('review_links', userForeignKey);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Guests' links cannot reference a user; they go with the feature.
    await queryRunner.query('DELETE FROM review_links WHERE user_id NOT IN (SELECT id FROM users)');
    await queryRunner.createForeignKey(
      'review_links',
      new TableForeignKey({ columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'] }),
    );
    // Raw SQL, as for time_zone: TypeORM's SQLite dropColumn rebuilds the table, which the tables
    // that reference workspaces refuse.
    await queryRunner.query('ALTER TABLE workspaces DROP COLUMN external_reviewers');
  }
}
