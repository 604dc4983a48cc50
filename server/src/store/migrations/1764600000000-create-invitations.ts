import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/**
 * E-mail invitations. An invited account exists (so it can hold a role) before it has a password:
 * `users.password_hash` becomes nullable, and NULL means "invited, not accepted yet" — such an account
 * cannot log in. Each invitation's token is stored as its SHA-256 only, like review links and sessions.
 */
export class CreateInvitations1764600000000 implements MigrationInterface {
  name = 'CreateInvitations1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const users = await queryRunner.getTable('users');
    const passwordHash = users?.findColumnByName('password_hash');
    if (!passwordHash) throw new Error('users.password_hash is missing');
    const nullable = passwordHash.clone();
    nullable.isNullable = true;
    await queryRunner.changeColumn('users', passwordHash, nullable);

    const id = { type: 'varchar', length: '40' } as const;
    const time = { type: 'bigint' } as const;
    await queryRunner.createTable(
      new Table({
        name: 'invitations',
        columns: [
          { name: 'token_hash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'workspace_id', ...id },
          { name: 'user_id', ...id },
          { name: 'invited_by', ...id, isNullable: true },
          { name: 'created_at', ...time },
          { name: 'expires_at', ...time },
          { name: 'used_at', ...time, isNullable: true },
          { name: 'revoked_at', ...time, isNullable: true },
        ],
        foreignKeys: [
          { columnNames: ['workspace_id'], referencedTableName: 'workspaces', referencedColumnNames: ['id'] },
          { columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'] },
        ],
        indices: [
          // A new invitation revokes the user's unused ones to the same workspace.
          { name: 'idx_invitations_workspace_user', columnNames: ['workspace_id', 'user_id'] },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('invitations');
    // Accounts that never accepted stay locked: '!' is no password hash, so no password matches it.
    await queryRunner.query("UPDATE users SET password_hash = '!' WHERE password_hash IS NULL");
    const users = await queryRunner.getTable('users');
    const passwordHash = users?.findColumnByName('password_hash');
    if (!passwordHash) throw new Error('users.password_hash is missing');
    const required = passwordHash.clone();
    required.isNullable = false;
    await queryRunner.changeColumn('users', passwordHash, required);
  }
}
