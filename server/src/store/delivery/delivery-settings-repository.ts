import type { DeliverySettingsRecord, DeliverySettingsRepository } from '../../domain/delivery/delivery-ports.js';
import { type Flag, type JsonText, parseJson } from '../rows.js';
import { insertRow, type Sql } from '../sql.js';

/** A `workspace_delivery_settings` row. */
interface DeliverySettingsRow {
  workspace_id: string;
  callback_secret: string;
  previous_callback_secret: string | null;
  previous_secret_expires_at: number | null;
  allow_private_callbacks: Flag;
  /** A JSON array of hosts and ranges; NULL (or empty) for rows from before the allowlist. */
  callback_allowlist: JsonText | null;
  updated_at: number;
}

/** A `task_delivery_options` row: what a task asked for at creation. */
interface TaskDeliveryOptionsRow {
  task_id: string;
  workspace_id: string;
  notify_escalations: Flag;
}

function rowToSettings(row: DeliverySettingsRow): DeliverySettingsRecord {
  return {
    workspaceId: row.workspace_id,
    callbackSecret: row.callback_secret,
    previousCallbackSecret: row.previous_callback_secret,
    previousSecretExpiresAt: row.previous_secret_expires_at,
    allowPrivateCallbacks: row.allow_private_callbacks === 1,
    callbackAllowlist: row.callback_allowlist ? parseJson<string[]>(row.callback_allowlist) : [],
    updatedAt: row.updated_at,
  };
}

export class SqlDeliverySettingsRepository implements DeliverySettingsRepository {
  constructor(private readonly sql: Sql) {}

  async find(workspaceId: string): Promise<DeliverySettingsRecord | null> {
    const { rows } = await this.sql.query<DeliverySettingsRow>(
      'SELECT * FROM workspace_delivery_settings WHERE workspace_id = ?',
      [workspaceId],
    );
    return rows[0] ? rowToSettings(rows[0]) : null;
  }

  async insertIfMissing(s: DeliverySettingsRecord): Promise<DeliverySettingsRecord> {
    const row: DeliverySettingsRow = {
      workspace_id: s.workspaceId,
      callback_secret: s.callbackSecret,
      previous_callback_secret: s.previousCallbackSecret,
      previous_secret_expires_at: s.previousSecretExpiresAt,
      allow_private_callbacks: s.allowPrivateCallbacks ? 1 : 0,
      callback_allowlist: JSON.stringify(s.callbackAllowlist),
      updated_at: s.updatedAt,
    };
    await insertRow(this.sql, 'workspace_delivery_settings', row, { ignore: true });
    return (await this.find(s.workspaceId)) ?? s;
  }

  async update(s: DeliverySettingsRecord): Promise<void> {
    await this.sql.query(
      `UPDATE workspace_delivery_settings SET callback_secret = ?, previous_callback_secret = ?, previous_secret_expires_at = ?,
         allow_private_callbacks = ?, callback_allowlist = ?, updated_at = ? WHERE workspace_id = ?`,
      [
        s.callbackSecret,
        s.previousCallbackSecret,
        s.previousSecretExpiresAt,
        s.allowPrivateCallbacks ? 1 : 0,
        JSON.stringify(s.callbackAllowlist),
        s.updatedAt,
        s.workspaceId,
      ],
    );
  }

  async setTaskOptions(workspaceId: string, taskId: string, options: { notifyEscalations: boolean }): Promise<void> {
    const row: TaskDeliveryOptionsRow = {
      task_id: taskId,
      workspace_id: workspaceId,
      notify_escalations: options.notifyEscalations ? 1 : 0,
    };
    await insertRow(this.sql, 'task_delivery_options', row, { ignore: true });
  }

  async findTaskOptions(workspaceId: string, taskId: string): Promise<{ notifyEscalations: boolean } | null> {
    const { rows } = await this.sql.query<Pick<TaskDeliveryOptionsRow, 'notify_escalations'>>(
      'SELECT notify_escalations FROM task_delivery_options WHERE task_id = ? AND workspace_id = ?',
      [taskId, workspaceId],
    );
    return rows[0] ? { notifyEscalations: rows[0].notify_escalations === 1 } : null;
  }
}
