import type { WebhookEventType } from '@loopgate/shared';
import type { WebhookSubscriptionRecord, WebhookSubscriptionRepository } from '../../domain/delivery/delivery-ports.js';
import { type ActorType, type JsonText, ownerOrNull, parseJson } from '../rows.js';
import { insertRow, type Sql } from '../sql.js';

/** A `webhook_subscriptions` row. */
interface WebhookSubscriptionRow {
  id: string;
  workspace_id: string;
  url: string;
  /** A JSON array of event types. */
  events: JsonText;
  description: string | null;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: number | null;
  status: WebhookSubscriptionRecord['status'];
  disabled_reason: string | null;
  /** Who subscribed; NULL for subscriptions from before it was recorded. */
  created_by_type: ActorType | null;
  created_by_id: string | null;
  created_at: number;
  updated_at: number;
}

function rowToSubscription(row: WebhookSubscriptionRow): WebhookSubscriptionRecord {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    url: row.url,
    events: parseJson<WebhookEventType[]>(row.events),
    description: row.description,
    secret: row.secret,
    previousSecret: row.previous_secret,
    previousSecretExpiresAt: row.previous_secret_expires_at,
    status: row.status,
    disabledReason: row.disabled_reason,
    createdBy: ownerOrNull(row.created_by_type, row.created_by_id),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class SqlWebhookSubscriptionRepository implements WebhookSubscriptionRepository {
  constructor(private readonly sql: Sql) {}

  async insert(s: WebhookSubscriptionRecord): Promise<void> {
    const row: WebhookSubscriptionRow = {
      id: s.id,
      workspace_id: s.workspaceId,
      url: s.url,
      events: JSON.stringify(s.events),
      description: s.description,
      secret: s.secret,
      previous_secret: s.previousSecret,
      previous_secret_expires_at: s.previousSecretExpiresAt,
      status: s.status,
      disabled_reason: s.disabledReason,
      created_by_type: s.createdBy?.type ?? null,
      created_by_id: s.createdBy?.id ?? null,
      created_at: s.createdAt,
      updated_at: s.updatedAt,
    };
    await insertRow(this.sql, 'webhook_subscriptions', row);
  }

  async findById(workspaceId: string, id: string): Promise<WebhookSubscriptionRecord | null> {
    const { rows } = await this.sql.query<WebhookSubscriptionRow>(
      'SELECT * FROM webhook_subscriptions WHERE id = ? AND workspace_id = ?',
      [id, workspaceId],
    );
    return rows[0] ? rowToSubscription(rows[0]) : null;
  }

  async list(workspaceId: string): Promise<WebhookSubscriptionRecord[]> {
    const { rows } = await this.sql.query<WebhookSubscriptionRow>(
      'SELECT * FROM webhook_subscriptions WHERE workspace_id = ? ORDER BY created_at, id',
      [workspaceId],
    );
    return rows.map(rowToSubscription);
  }

  async listActive(workspaceId: string): Promise<WebhookSubscriptionRecord[]> {
    const { rows } = await this.sql.query<WebhookSubscriptionRow>(
      "SELECT * FROM webhook_subscriptions WHERE workspace_id = ? AND status = 'active'",
      [workspaceId],
    );
    return rows.map(rowToSubscription);
  }

  async delete(workspaceId: string, id: string): Promise<boolean> {
    const { affected } = await this.sql.query('DELETE FROM webhook_subscriptions WHERE id = ? AND workspace_id = ?', [
      id,
      workspaceId,
    ]);
    return affected === 1;
  }

  async rotateSecret(
    workspaceId: string,
    id: string,
    secret: string,
    previousExpiresAt: number,
    now: number,
  ): Promise<void> {
    await this.sql.query(
      `UPDATE webhook_subscriptions SET previous_secret = secret, previous_secret_expires_at = ?, secret = ?, updated_at = ?
       WHERE id = ? AND workspace_id = ?`,
      [previousExpiresAt, secret, now, id, workspaceId],
    );
  }

  async disable(workspaceId: string, id: string, reason: string, now: number): Promise<void> {
    await this.sql.query(
      "UPDATE webhook_subscriptions SET status = 'disabled', disabled_reason = ?, updated_at = ? WHERE id = ? AND workspace_id = ?",
      [reason.slice(0, 500), now, id, workspaceId],
    );
  }
}
