import { type MigrationInterface, type QueryRunner, TableColumn, TableForeignKey, TableIndex } from 'typeorm';

/**
 * An invitation becomes an offer that carries the address, the role and the name the admin typed;
 * nothing about an account changes until the invitee accepts. Before, inviting created the account
 * and its membership at once, so an admin's answer told "new address" from "exists elsewhere", and
 * an admin of another workspace could give a password-less invited account a password of their own
 * choosing (issue 11, finding 1).
 *
 * Existing rows are carried over: every invitation gets its account's address and its membership's
 * role, and the memberships of accounts that never chose a password (invited, not accepted) are
 * removed — their unused invitation now holds that role, and accepting it creates the membership,
 * as for every new invitation. Accounts that have a password keep every membership they have.
 */
export class InvitationsCarryAddressAndRole1764700000000 implements MigrationInterface {
  name = 'InvitationsCarryAddressAndRole1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('invitations', [
      new TableColumn({ name: 'email', type: 'varchar', length: '254', isNullable: true }),
      new TableColumn({ name: 'role', type: 'varchar', length: '16', isNullable: true }),
      new TableColumn({ name: 'name', type: 'varchar', length: '200', isNullable: true }),
    ]);
    await queryRunner.query(
      `UPDATE invitations SET
         email = (SELECT u.email FROM users u WHERE u.id = invitations.user_id),
         name = (SELECT u.name FROM users u WHERE u.id = invitations.user_id),
         role = COALESCE(
           (SELECT m.role FROM memberships m
             WHERE m.workspace_id = invitations.workspace_id AND m.user_id = invitations.user_id),
           'viewer')`,
    );
    await queryRunner.query(
      'DELETE FROM memberships WHERE user_id IN (SELECT id FROM users WHERE password_hash IS NULL)',
    );

    // Replace the (workspace, user) index before dropping it: on MySQL it also serves the workspace foreign key.
    await queryRunner.createIndex(
      'invitations',
      // A new invitation revokes the unused ones to the same workspace and address; the users page lists them.
      new TableIndex({ name: 'idx_invitations_workspace_email', columnNames: ['workspace_id', 'email'] }),
    );
    await queryRunner.dropIndex('invitations', 'idx_invitations_workspace_user');
    const table = await queryRunner.getTable('invitations');
    const userForeignKey = table?.foreignKeys.find((key) => key.columnNames.includes('user_id'));
    if (userForeignKey) await queryRunner.dropForeignKey('invitations', userForeignKey);
    await queryRunner.dropColumn('invitations', 'user_id');
    for (const column of ['email', 'role']) {
      const current = (await queryRunner.getTable('invitations'))?.findColumnByName(column);
      if (!current) throw new Error(`invitations.${column} is missing`);
      const required = current.clone();
      required.isNullable = false;
      // MariaDB reports a nullable column's default as the text "NULL"; copied over it would become 'NULL'.
      required.default = undefined;
      await queryRunner.changeColumn('invitations', current, required);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'invitations',
      new TableColumn({ name: 'user_id', type: 'varchar', length: '40', isNullable: true }),
    );
    await queryRunner.query(
      'UPDATE invitations SET user_id = (SELECT u.id FROM users u WHERE u.email = invitations.email)',
    );
    // Invitations to addresses that have no account yet cannot be expressed in the old shape.
    await queryRunner.query('DELETE FROM invitations WHERE user_id IS NULL');
    // The old shape kept a membership for every account that was invited and has no password yet.
    const insertIgnore = queryRunner.connection.driver.options.type === 'mysql' ? 'INSERT IGNORE' : 'INSERT OR IGNORE';
    await queryRunner.query(
      `${insertIgnore} INTO memberships (workspace_id, user_id, role, created_at)
       SELECT i.workspace_id, i.user_id, i.role, i.created_at FROM invitations i JOIN users u ON u.id = i.user_id
        WHERE u.password_hash IS NULL AND i.used_at IS NULL AND i.revoked_at IS NULL`,
    );
    const current = (await queryRunner.getTable('invitations'))?.findColumnByName('user_id');
    if (!current) throw new Error('invitations.user_id is missing');
    const required = current.clone();
    required.isNullable = false;
    required.default = undefined;
    await queryRunner.changeColumn('invitations', current, required);
    await queryRunner.createForeignKey(
      'invitations',
      new TableForeignKey({ columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'] }),
    );
    await queryRunner.createIndex(
      'invitations',
      new TableIndex({ name: 'idx_invitations_workspace_user', columnNames: ['workspace_id', 'user_id'] }),
    );
    await queryRunner.dropIndex('invitations', 'idx_invitations_workspace_email');
    await queryRunner.dropColumns('invitations', ['email', 'role', 'name']);
  }
}
