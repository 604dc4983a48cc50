import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';

/**
 * Who registered each URL Loopgate calls, so every view of it can apply one rule (admins and the
 * owner see it whole, everyone else its origin): the subscriber of a webhook subscription, and on
 * each delivery the owner of its URL (the task's creator for a callback, the subscriber for a
 * subscription; none for Slack, which only admins set up). Existing callback deliveries get their
 * task's creator; subscriptions made before this have no recorded subscriber, so only admins see
 * their URLs whole.
 */
export class RecordTargetUrlOwners1764720000000 implements MigrationInterface {
  name = 'RecordTargetUrlOwners1764720000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const ownerColumns = (prefix: string) => [
      new TableColumn({ name: `${prefix}_type`, type: 'varchar', length: '16', isNullable: true }),
      new TableColumn({ name: `${prefix}_id`, type: 'varchar', length: '40', isNullable: true }),
    ];
    await queryRunner.addColumns('webhook_subscriptions', ownerColumns('created_by'));
    await queryRunner.addColumns('webhook_deliveries', ownerColumns('url_owner'));
    await queryRunner.query(
      `UPDATE webhook_deliveries
       SET url_owner_type = (SELECT t.created_by_type FROM tasks t WHERE t.id = webhook_deliveries.task_id),
           url_owner_id = (SELECT t.created_by_id FROM tasks t WHERE t.id = webhook_deliveries.task_id)
       WHERE kind = 'callback'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumns('webhook_deliveries', ['url_owner_type', 'url_owner_id']);
    await queryRunner.dropColumns('webhook_subscriptions', ['created_by_type', 'created_by_id']);
  }
}
