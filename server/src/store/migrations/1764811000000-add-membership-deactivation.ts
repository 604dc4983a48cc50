import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * A membership can be deactivated (and reactivated) by an admin: the person keeps their account and
 * their name in the workspace's history, but cannot log in to it, and their sessions and review
 * links stop working. NULL is active, as every membership was before.
 */
export class AddMembershipDeactivation1764811000000 implements MigrationInterface {
  name = 'AddMembershipDeactivation1764811000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'memberships',
      new TableColumn({ name: 'deactivated_at', type: 'bigint', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('memberships', 'deactivated_at');
  }
}
