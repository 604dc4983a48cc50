import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * A workspace's callback allow list: host names, addresses and CIDR ranges its callbacks and
 * webhooks may reach although they are private, as a JSON array of strings. NULL (every row before
 * this migration) is an empty list, so nothing changes for existing workspaces.
 */
export class AddCallbackAllowlist1764730000000 implements MigrationInterface {
  name = 'AddCallbackAllowlist1764730000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'workspace_delivery_settings',
      new TableColumn({ name: 'callback_allowlist', type: 'text', isNullable: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('workspace_delivery_settings', 'callback_allowlist');
  }
}
