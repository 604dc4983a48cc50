import type { Actor, DeliveryStatus, WebhookEventType } from '@loopgate/shared';
import type {
  DeliveryAttemptRecord,
  DeliveryKind,
  DeliveryListFilter,
  DeliveryOutcome,
  DeliveryRecord,
  DeliveryRepository,
  DeliverySettingsRecord,
  DeliverySettingsRepository,
  IntegrationAuditRecord,
  IntegrationRefusalCount,
  SlackIntegrationRecord,
  SlackRepository,
  SlackUserLinkRecord,
  WebhookSubscriptionRecord,
  WebhookSubscriptionRepository,
} from '../../domain/delivery/delivery-ports.js';
import type { UrlOwner } from '../../domain/delivery/target-url.js';
import { insertIgnore, placeholders, type Row, type Sql } from '../sql.js';

const str = (value: unknown) => value as string;
const strOrNull = (value: unknown) => (value === null || value === undefined ? null : String(value));
const num = (value: unknown) => Number(value);
const numOrNull = (value: unknown) => (value === null || value === undefined ? null : Number(value));

/** An owner column pair (…_type, …_id); null when none was recorded. */
function ownerOf(type: unknown, id: unknown): UrlOwner {
  return type === null || type === undefined ? null : { type: str(type) as Actor['type'], id: strOrNull(id) };
}

function rowToSubscription(row: Row): WebhookSubscriptionRecord {
  return {
    id: str(row.id),
    workspaceId: str(row.workspace_id),
    url: str(row.url),
    events: JSON.parse(str(row.events)) as WebhookEventType[],
    description: strOrNull(row.description),
    secret: str(row.secret),
    previousSecret: strOrNull(row.previous_secret),
    previousSecretExpiresAt: numOrNull(row.previous_secret_expires_at),
    status: str(row.status) as WebhookSubscriptionRecord['status'],
    disabledReason: strOrNull(row.disabled_reason),
    createdBy: ownerOf(row.created_by_type, row.created_by_id),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

class SqlWebhookSubscriptionRepository implements WebhookSubscriptionRepository {
  constructor(private readonly sql: Sql) {}

  async insert(s: WebhookSubscriptionRecord): Promise<void> {
    await this.sql.query(
      `INSERT INTO webhook_subscriptions (id, workspace_id, url, events, description, secret, previous_secret,
         previous_secret_expires_at, status, disabled_reason, created_by_type, created_by_id, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        s.id,
        s.workspaceId,
        s.url,
        JSON.stringify(s.events),
        s.description,
        s.secret,
        s.previousSecret,
        s.previousSecretExpiresAt,
        s.status,
        s.disabledReason,
        s.createdBy?.type ?? null,
        s.createdBy?.id ?? null,
        s.createdAt,
        s.updatedAt,
      ],
    );
  }

  async findById(workspaceId: string, id: string): Promise<WebhookSubscriptionRecord | null> {
    const { rows } = await this.sql.query('SELECT * FROM webhook_subscriptions WHERE id = ? AND workspace_id = ?', [
      id,
      workspaceId,
    ]);
    return rows[0] ? rowToSubscription(rows[0]) : null;
  }

  async list(workspaceId: string): Promise<WebhookSubscriptionRecord[]> {
    const { rows } = await this.sql.query(
      'SELECT * FROM webhook_subscriptions WHERE workspace_id = ? ORDER BY created_at, id',
      [workspaceId],
    );
    return rows.map(rowToSubscription);
  }

  async listActive(workspaceId: string): Promise<WebhookSubscriptionRecord[]> {
    const { rows } = await this.sql.query(
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

function rowToDelivery(row: Row): DeliveryRecord {
  return {
    id: str(row.id),
    workspaceId: str(row.workspace_id),
    kind: str(row.kind) as DeliveryKind,
    taskId: strOrNull(row.task_id),
    subscriptionId: strOrNull(row.subscription_id),
    eventType: str(row.event_type),
    url: str(row.url),
    urlOwner: ownerOf(row.url_owner_type, row.url_owner_id),
    body: str(row.body),
    status: str(row.status) as DeliveryStatus,
    attempts: num(row.attempts),
    nextAttemptAt: numOrNull(row.next_attempt_at),
    leaseToken: strOrNull(row.lease_token),
    lastStatusCode: numOrNull(row.last_status_code),
    lastError: strOrNull(row.last_error),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
    deliveredAt: numOrNull(row.delivered_at),
  };
}

class SqlDeliveryRepository implements DeliveryRepository {
  constructor(private readonly sql: Sql) {}

  async insert(d: DeliveryRecord): Promise<void> {
    await this.sql.query(
      `INSERT INTO webhook_deliveries (id, workspace_id, kind, task_id, subscription_id, event_type, url, url_owner_type,
         url_owner_id, body, status, attempts, next_attempt_at, lease_token, last_status_code, last_error, created_at,
         updated_at, delivered_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        d.id,
        d.workspaceId,
        d.kind,
        d.taskId,
        d.subscriptionId,
        d.eventType,
        d.url,
        d.urlOwner?.type ?? null,
        d.urlOwner?.id ?? null,
        d.body,
        d.status,
        d.attempts,
        d.nextAttemptAt,
        d.leaseToken,
        d.lastStatusCode,
        d.lastError,
        d.createdAt,
        d.updatedAt,
        d.deliveredAt,
      ],
    );
  }

  async findById(workspaceId: string, id: string): Promise<DeliveryRecord | null> {
    const { rows } = await this.sql.query('SELECT * FROM webhook_deliveries WHERE id = ? AND workspace_id = ?', [
      id,
      workspaceId,
    ]);
    return rows[0] ? rowToDelivery(rows[0]) : null;
  }

  async findForWorker(id: string): Promise<DeliveryRecord | null> {
    const { rows } = await this.sql.query('SELECT * FROM webhook_deliveries WHERE id = ?', [id]);
    return rows[0] ? rowToDelivery(rows[0]) : null;
  }

  async list(
    workspaceId: string,
    filter: DeliveryListFilter,
    limit: number,
    after?: { createdAt: number; id: string },
  ): Promise<DeliveryRecord[]> {
    const where = ['workspace_id = ?'];
    const params: unknown[] = [workspaceId];
    if (filter.taskId !== undefined) {
      where.push('task_id = ?');
      params.push(filter.taskId);
    }
    if (filter.subscriptionId !== undefined) {
      where.push('subscription_id = ?');
      params.push(filter.subscriptionId);
    }
    if (filter.status !== undefined) {
      where.push('status = ?');
      params.push(filter.status);
    }
    if (after) {
      where.push('(created_at < ? OR (created_at = ? AND id < ?))');
      params.push(after.createdAt, after.createdAt, after.id);
    }
    params.push(limit);
    const { rows } = await this.sql.query(
      `SELECT * FROM webhook_deliveries WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ?`,
      params,
    );
    return rows.map(rowToDelivery);
  }

  async listDue(now: number, limit: number): Promise<DeliveryRecord[]> {
    const { rows } = await this.sql.query(
      "SELECT * FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?",
      [now, limit],
    );
    return rows.map(rowToDelivery);
  }

  async claim(id: string, expectedNextAttemptAt: number, leaseToken: string, leaseUntil: number): Promise<boolean> {
    const { affected } = await this.sql.query(
      "UPDATE webhook_deliveries SET next_attempt_at = ?, lease_token = ? WHERE id = ? AND status = 'pending' AND next_attempt_at = ?",
      [leaseUntil, leaseToken, id, expectedNextAttemptAt],
    );
    return affected === 1;
  }

  async complete(
    id: string,
    leaseToken: string,
    outcome: DeliveryOutcome,
    result: { statusCode: number | null; error: string | null },
    now: number,
  ): Promise<boolean> {
    const nextAttemptAt = outcome.status === 'pending' ? outcome.nextAttemptAt : null;
    const deliveredAt = outcome.status === 'delivered' ? outcome.at : null;
    const { affected } = await this.sql.query(
      `UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, next_attempt_at = ?, lease_token = NULL,
         last_status_code = ?, last_error = ?, updated_at = ?, delivered_at = ?
       WHERE id = ? AND lease_token = ? AND status = 'pending'`,
      [
        outcome.status,
        nextAttemptAt,
        result.statusCode,
        result.error?.slice(0, 1000) ?? null,
        now,
        deliveredAt,
        id,
        leaseToken,
      ],
    );
    return affected === 1;
  }

  async appendAttempt(a: DeliveryAttemptRecord): Promise<void> {
    await this.sql.query(
      `INSERT INTO webhook_delivery_attempts (delivery_id, workspace_id, attempt, started_at, status_code, latency_ms, error)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [
        a.deliveryId,
        a.workspaceId,
        a.attempt,
        a.startedAt,
        a.statusCode,
        Math.round(a.latencyMs),
        a.error?.slice(0, 1000) ?? null,
      ],
    );
  }

  async listAttempts(workspaceId: string, deliveryIds: string[]): Promise<DeliveryAttemptRecord[]> {
    if (deliveryIds.length === 0) return [];
    const { rows } = await this.sql.query(
      `SELECT * FROM webhook_delivery_attempts WHERE delivery_id IN (${deliveryIds.map(() => '?').join(', ')})
       AND workspace_id = ? ORDER BY delivery_id, seq`,
      [...deliveryIds, workspaceId],
    );
    return rows.map((row) => ({
      deliveryId: str(row.delivery_id),
      workspaceId: str(row.workspace_id),
      attempt: num(row.attempt),
      startedAt: num(row.started_at),
      statusCode: numOrNull(row.status_code),
      latencyMs: num(row.latency_ms),
      error: strOrNull(row.error),
    }));
  }

  async requeue(workspaceId: string, id: string, now: number): Promise<boolean> {
    const { affected } = await this.sql.query(
      `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?, lease_token = NULL, updated_at = ?
       WHERE id = ? AND workspace_id = ?`,
      [now, now, id, workspaceId],
    );
    return affected === 1;
  }

  async cancelPendingForSubscription(workspaceId: string, subscriptionId: string, now: number): Promise<void> {
    await this.sql.query(
      `UPDATE webhook_deliveries SET status = 'cancelled', next_attempt_at = NULL, lease_token = NULL, updated_at = ?
       WHERE workspace_id = ? AND subscription_id = ? AND status = 'pending'`,
      [now, workspaceId, subscriptionId],
    );
  }

  async deleteFinished(
    statuses: readonly DeliveryStatus[],
    changedBefore: number,
    limit: number,
  ): Promise<{ selected: number; deliveries: number; attempts: number }> {
    if (statuses.length === 0) return { selected: 0, deliveries: 0, attempts: 0 };
    const finished = `status IN (${placeholders(statuses.length)}) AND updated_at <= ?`;
    // Read through idx_deliveries_status_updated. On MySQL the rows stay locked until commit, so an admin's
    // redeliver cannot make one pending between this read and the delete; SKIP LOCKED lets a second
    // process take the next rows instead of queueing behind this one. SQLite's writer is alone anyway.
    const lock = this.sql.dialect === 'mysql' ? ' FOR UPDATE SKIP LOCKED' : '';
    const { rows } = await this.sql.query(`SELECT id FROM webhook_deliveries WHERE ${finished} LIMIT ?${lock}`, [
      ...statuses,
      changedBefore,
      limit,
    ]);
    const ids = rows.map((row) => str(row.id));
    if (ids.length === 0) return { selected: 0, deliveries: 0, attempts: 0 };
    const deleted = await this.sql.query(
      `DELETE FROM webhook_deliveries WHERE id IN (${placeholders(ids.length)}) AND ${finished}`,
      [...ids, ...statuses, changedBefore],
    );
    // Only the attempts of deliveries that are gone: a row that was kept keeps its log.
    const attempts = await this.sql.query(
      `DELETE FROM webhook_delivery_attempts WHERE delivery_id IN (${placeholders(ids.length)})
       AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.id = webhook_delivery_attempts.delivery_id)`,
      ids,
    );
    return { selected: ids.length, deliveries: deleted.affected, attempts: attempts.affected };
  }
}

function rowToSettings(row: Row): DeliverySettingsRecord {
  return {
    workspaceId: str(row.workspace_id),
    callbackSecret: str(row.callback_secret),
    previousCallbackSecret: strOrNull(row.previous_callback_secret),
    previousSecretExpiresAt: numOrNull(row.previous_secret_expires_at),
    allowPrivateCallbacks: num(row.allow_private_callbacks) === 1,
    callbackAllowlist: row.callback_allowlist ? (JSON.parse(str(row.callback_allowlist)) as string[]) : [],
    updatedAt: num(row.updated_at),
  };
}

class SqlDeliverySettingsRepository implements DeliverySettingsRepository {
  constructor(private readonly sql: Sql) {}

  async find(workspaceId: string): Promise<DeliverySettingsRecord | null> {
    const { rows } = await this.sql.query('SELECT * FROM workspace_delivery_settings WHERE workspace_id = ?', [
      workspaceId,
    ]);
    return rows[0] ? rowToSettings(rows[0]) : null;
  }

  async insertIfMissing(s: DeliverySettingsRecord): Promise<DeliverySettingsRecord> {
    await this.sql.query(
      `${insertIgnore(this.sql.dialect)} workspace_delivery_settings (workspace_id, callback_secret, previous_callback_secret,
         previous_secret_expires_at, allow_private_callbacks, callback_allowlist, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [
        s.workspaceId,
        s.callbackSecret,
        s.previousCallbackSecret,
        s.previousSecretExpiresAt,
        s.allowPrivateCallbacks ? 1 : 0,
        JSON.stringify(s.callbackAllowlist),
        s.updatedAt,
      ],
    );
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
    await this.sql.query(
      `${insertIgnore(this.sql.dialect)} task_delivery_options (task_id, workspace_id, notify_escalations) VALUES (?, ?, ?)`,
      [taskId, workspaceId, options.notifyEscalations ? 1 : 0],
    );
  }

  async findTaskOptions(workspaceId: string, taskId: string): Promise<{ notifyEscalations: boolean } | null> {
    const { rows } = await this.sql.query(
      'SELECT notify_escalations FROM task_delivery_options WHERE task_id = ? AND workspace_id = ?',
      [taskId, workspaceId],
    );
    return rows[0] ? { notifyEscalations: num(rows[0].notify_escalations) === 1 } : null;
  }
}

function rowToSlack(row: Row): SlackIntegrationRecord {
  return {
    id: str(row.id),
    workspaceId: str(row.workspace_id),
    queue: strOrNull(row.queue),
    webhookUrl: str(row.webhook_url),
    signingSecret: str(row.signing_secret),
    createdAt: num(row.created_at),
  };
}

/** integration_refusals.scope for requests that named no known integration. */
const NO_WORKSPACE = '';

class SqlSlackRepository implements SlackRepository {
  constructor(private readonly sql: Sql) {}

  async insertIntegration(i: SlackIntegrationRecord): Promise<void> {
    await this.sql.query(
      'INSERT INTO slack_integrations (id, workspace_id, queue, webhook_url, signing_secret, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      [i.id, i.workspaceId, i.queue, i.webhookUrl, i.signingSecret, i.createdAt],
    );
  }

  async findIntegration(id: string): Promise<SlackIntegrationRecord | null> {
    const { rows } = await this.sql.query('SELECT * FROM slack_integrations WHERE id = ?', [id]);
    return rows[0] ? rowToSlack(rows[0]) : null;
  }

  async listIntegrations(workspaceId: string): Promise<SlackIntegrationRecord[]> {
    const { rows } = await this.sql.query(
      'SELECT * FROM slack_integrations WHERE workspace_id = ? ORDER BY created_at, id',
      [workspaceId],
    );
    return rows.map(rowToSlack);
  }

  async deleteIntegration(workspaceId: string, id: string): Promise<boolean> {
    const { affected } = await this.sql.query('DELETE FROM slack_integrations WHERE id = ? AND workspace_id = ?', [
      id,
      workspaceId,
    ]);
    return affected === 1;
  }

  async upsertUserLink(link: SlackUserLinkRecord): Promise<void> {
    const { affected } = await this.sql.query(
      'UPDATE slack_user_links SET user_id = ? WHERE integration_id = ? AND slack_user_id = ?',
      [link.userId, link.integrationId, link.slackUserId],
    );
    if (affected > 0) return;
    await this.sql.query(
      'INSERT INTO slack_user_links (integration_id, slack_user_id, workspace_id, user_id, created_at) VALUES (?, ?, ?, ?, ?)',
      [link.integrationId, link.slackUserId, link.workspaceId, link.userId, link.createdAt],
    );
  }

  async findUserLink(integrationId: string, slackUserId: string): Promise<SlackUserLinkRecord | null> {
    const { rows } = await this.sql.query(
      'SELECT * FROM slack_user_links WHERE integration_id = ? AND slack_user_id = ?',
      [integrationId, slackUserId],
    );
    const row = rows[0];
    return row
      ? {
          integrationId: str(row.integration_id),
          workspaceId: str(row.workspace_id),
          slackUserId: str(row.slack_user_id),
          userId: str(row.user_id),
          createdAt: num(row.created_at),
        }
      : null;
  }

  async appendAudit(r: IntegrationAuditRecord): Promise<void> {
    await this.sql.query(
      'INSERT INTO integration_audit (workspace_id, source, outcome, detail, created_at) VALUES (?, ?, ?, ?, ?)',
      [r.workspaceId, r.source, r.outcome, r.detail.slice(0, 1000), r.createdAt],
    );
  }

  async listAudit(workspaceId: string, limit: number): Promise<IntegrationAuditRecord[]> {
    const { rows } = await this.sql.query(
      'SELECT * FROM integration_audit WHERE workspace_id = ? ORDER BY seq DESC LIMIT ?',
      [workspaceId, limit],
    );
    return rows.map((row) => ({
      workspaceId: strOrNull(row.workspace_id),
      source: str(row.source),
      outcome: str(row.outcome),
      detail: str(row.detail),
      createdAt: num(row.created_at),
    }));
  }

  async countRefusal(r: {
    workspaceId: string | null;
    source: string;
    reason: string;
    windowStart: number;
    at: number;
  }): Promise<number> {
    const key = [r.workspaceId ?? NO_WORKSPACE, r.source, r.reason, r.windowStart];
    const where = 'scope = ? AND source = ? AND reason = ? AND window_start = ?';
    const bump = () =>
      this.sql.query(`UPDATE integration_refusals SET refused = refused + 1, last_at = ? WHERE ${where}`, [
        r.at,
        ...key,
      ]);
    // The window's row exists after its first refusal, so this is one UPDATE; only the first of a window
    // inserts (IGNORE: a concurrent first may have just done so) and bumps again.
    if ((await bump()).affected === 0) {
      await this.sql.query(
        `${insertIgnore(this.sql.dialect)} integration_refusals (scope, source, reason, window_start, refused, last_at) VALUES (?, ?, ?, ?, 0, ?)`,
        [...key, r.at],
      );
      await bump();
    }
    const { rows } = await this.sql.query(`SELECT refused FROM integration_refusals WHERE ${where}`, key);
    return num(rows[0]?.refused);
  }

  async listRefusals(workspaceId: string | null, since: number): Promise<IntegrationRefusalCount[]> {
    const { rows } = await this.sql.query(
      'SELECT * FROM integration_refusals WHERE scope = ? AND window_start >= ? ORDER BY window_start DESC, source, reason',
      [workspaceId ?? NO_WORKSPACE, since],
    );
    return rows.map((row) => ({
      workspaceId: str(row.scope) === NO_WORKSPACE ? null : str(row.scope),
      source: str(row.source),
      reason: str(row.reason),
      windowStart: num(row.window_start),
      refused: num(row.refused),
      lastAt: num(row.last_at),
    }));
  }
}

export function createDeliveryRepositories(sql: Sql) {
  return {
    webhooks: new SqlWebhookSubscriptionRepository(sql),
    deliveries: new SqlDeliveryRepository(sql),
    deliverySettings: new SqlDeliverySettingsRepository(sql),
    slack: new SqlSlackRepository(sql),
  };
}
