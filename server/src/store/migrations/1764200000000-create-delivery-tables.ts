import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * Decision delivery: webhook subscriptions, the delivery outbox and its attempt log, per-workspace
 * delivery settings (callback secret, private-address switch), per-task delivery options, and the
 * Slack integration (incoming webhook per workspace/queue, Slack user → Loopgate user links, audit).
 */
export class CreateDeliveryTables1764200000000 implements MigrationInterface {
  name = 'CreateDeliveryTables1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    const json = mysql ? 'mediumtext' : 'text';
    const id = { type: 'varchar', length: '40' } as const;
    const time = { type: 'bigint' } as const;
    const url = { type: 'varchar', length: '2048' } as const;
    const secret = { type: 'varchar', length: '200' } as const;
    const serial = {
      type: mysql ? 'bigint' : 'integer',
      isPrimary: true,
      isGenerated: true,
      generationStrategy: 'increment',
    } as const;

    await queryRunner.createTable(
      new Table({
        name: 'workspace_delivery_settings',
        columns: [
          { name: 'workspace_id', ...id, isPrimary: true },
          { name: 'callback_secret', ...secret },
          { name: 'previous_callback_secret', ...secret, isNullable: true },
          { name: 'previous_secret_expires_at', ...time, isNullable: true },
          { name: 'allow_private_callbacks', type: 'integer', default: 0 },
          { name: 'updated_at', ...time },
        ],
        foreignKeys: [
          { columnNames: ['workspace_id'], referencedTableName: 'workspaces', referencedColumnNames: ['id'] },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'task_delivery_options',
        columns: [
          { name: 'task_id', ...id, isPrimary: true },
          { name: 'workspace_id', ...id },
          { name: 'notify_escalations', type: 'integer', default: 0 },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'webhook_subscriptions',
        columns: [
          { name: 'id', ...id, isPrimary: true },
          { name: 'workspace_id', ...id },
          { name: 'url', ...url },
          { name: 'events', type: 'varchar', length: '500' },
          { name: 'description', type: 'varchar', length: '500', isNullable: true },
          { name: 'secret', ...secret },
          { name: 'previous_secret', ...secret, isNullable: true },
          { name: 'previous_secret_expires_at', ...time, isNullable: true },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'disabled_reason', type: 'varchar', length: '500', isNullable: true },
          { name: 'created_at', ...time },
          { name: 'updated_at', ...time },
        ],
        foreignKeys: [
          { columnNames: ['workspace_id'], referencedTableName: 'workspaces', referencedColumnNames: ['id'] },
        ],
      }),
    );
    // Listing (admin API) and the per-change lookup of active subscriptions.
    await queryRunner.createIndices('webhook_subscriptions', [
      new TableIndex({ name: 'idx_webhook_subs_ws_created', columnNames: ['workspace_id', 'created_at', 'id'] }),
      new TableIndex({ name: 'idx_webhook_subs_ws_status', columnNames: ['workspace_id', 'status'] }),
    ]);

    await queryRunner.createTable(
      new Table({
        name: 'webhook_deliveries',
        columns: [
          { name: 'id', ...id, isPrimary: true },
          { name: 'workspace_id', ...id },
          { name: 'kind', type: 'varchar', length: '16' },
          { name: 'task_id', ...id, isNullable: true },
          { name: 'subscription_id', ...id, isNullable: true },
          { name: 'event_type', type: 'varchar', length: '32' },
          { name: 'url', ...url },
          { name: 'body', type: json },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'attempts', type: 'integer' },
          { name: 'next_attempt_at', ...time, isNullable: true },
          { name: 'lease_token', type: 'varchar', length: '40', isNullable: true },
          { name: 'last_status_code', type: 'integer', isNullable: true },
          { name: 'last_error', type: 'varchar', length: '1000', isNullable: true },
          { name: 'created_at', ...time },
          { name: 'updated_at', ...time },
          { name: 'delivered_at', ...time, isNullable: true },
        ],
      }),
    );
    await queryRunner.createIndices('webhook_deliveries', [
      // The worker: pending rows by due time.
      new TableIndex({ name: 'idx_deliveries_status_due', columnNames: ['status', 'next_attempt_at'] }),
      // The API and the task page: newest first, whole workspace, by task, by subscription.
      new TableIndex({ name: 'idx_deliveries_ws_created', columnNames: ['workspace_id', 'created_at', 'id'] }),
      new TableIndex({
        name: 'idx_deliveries_ws_task_created',
        columnNames: ['workspace_id', 'task_id', 'created_at', 'id'],
      }),
      new TableIndex({
        name: 'idx_deliveries_ws_sub_created',
        columnNames: ['workspace_id', 'subscription_id', 'created_at', 'id'],
      }),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'webhook_delivery_attempts',
        columns: [
          { name: 'seq', ...serial },
          { name: 'delivery_id', ...id },
          { name: 'workspace_id', ...id },
          { name: 'attempt', type: 'integer' },
          { name: 'started_at', ...time },
          { name: 'status_code', type: 'integer', isNullable: true },
          { name: 'latency_ms', type: 'integer' },
          { name: 'error', type: 'varchar', length: '1000', isNullable: true },
        ],
        indices: [{ name: 'idx_delivery_attempts_delivery', columnNames: ['delivery_id', 'seq'] }],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'slack_integrations',
        columns: [
          { name: 'id', ...id, isPrimary: true },
          { name: 'workspace_id', ...id },
          { name: 'queue', type: 'varchar', length: '64', isNullable: true },
          { name: 'webhook_url', ...url },
          { name: 'signing_secret', ...secret },
          { name: 'created_at', ...time },
        ],
        foreignKeys: [
          { columnNames: ['workspace_id'], referencedTableName: 'workspaces', referencedColumnNames: ['id'] },
        ],
        indices: [{ name: 'idx_slack_integrations_ws', columnNames: ['workspace_id', 'created_at'] }],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'slack_user_links',
        columns: [
          { name: 'integration_id', ...id, isPrimary: true },
          { name: 'slack_user_id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'workspace_id', ...id },
          { name: 'user_id', ...id },
          { name: 'created_at', ...time },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'integration_audit',
        columns: [
          { name: 'seq', ...serial },
          { name: 'workspace_id', ...id, isNullable: true },
          { name: 'source', type: 'varchar', length: '32' },
          { name: 'outcome', type: 'varchar', length: '32' },
          { name: 'detail', type: 'varchar', length: '1000' },
          { name: 'created_at', ...time },
        ],
        indices: [{ name: 'idx_integration_audit_ws', columnNames: ['workspace_id', 'seq'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'integration_audit',
      'slack_user_links',
      'slack_integrations',
      'webhook_delivery_attempts',
      'webhook_deliveries',
      'webhook_subscriptions',
      'task_delivery_options',
      'workspace_delivery_settings',
    ]) {
      await queryRunner.dropTable(table);
    }
  }
}
