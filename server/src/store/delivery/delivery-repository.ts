import type { DeliveryStatus } from '@loopgate/shared';
import type {
  DeliveryAttemptRecord,
  DeliveryKind,
  DeliveryListFilter,
  DeliveryOutcome,
  DeliveryRecord,
  DeliveryRepository,
} from '../../domain/delivery/delivery-ports.js';
import { type ActorType, ownerOrNull } from '../rows.js';
import { allOf, compare, equals, insertRow, isIn, olderThan, type Sql } from '../sql.js';

/** A `webhook_deliveries` row: one message of the outbox, retried until it is delivered or gives up. */
interface DeliveryRow {
  id: string;
  workspace_id: string;
  kind: DeliveryKind;
  task_id: string | null;
  subscription_id: string | null;
  event_type: string;
  url: string;
  /** Who registered the URL; NULL when it was not recorded. */
  url_owner_type: ActorType | null;
  url_owner_id: string | null;
  body: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number | null;
  lease_token: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
}

/** A `webhook_delivery_attempts` row. */
interface DeliveryAttemptRow {
  /** Autoincrement: the order attempts were made in. */
  seq: number;
  delivery_id: string;
  workspace_id: string;
  attempt: number;
  started_at: number;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
}

function rowToDelivery(row: DeliveryRow): DeliveryRecord {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    kind: row.kind,
    taskId: row.task_id,
    subscriptionId: row.subscription_id,
    eventType: row.event_type,
    url: row.url,
    urlOwner: ownerOrNull(row.url_owner_type, row.url_owner_id),
    body: row.body,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    leaseToken: row.lease_token,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deliveredAt: row.delivered_at,
  };
}

export class SqlDeliveryRepository implements DeliveryRepository {
  constructor(private readonly sql: Sql) {}

  async insert(d: DeliveryRecord): Promise<void> {
    const row: DeliveryRow = {
      id: d.id,
      workspace_id: d.workspaceId,
      kind: d.kind,
      task_id: d.taskId,
      subscription_id: d.subscriptionId,
      event_type: d.eventType,
      url: d.url,
      url_owner_type: d.urlOwner?.type ?? null,
      url_owner_id: d.urlOwner?.id ?? null,
      body: d.body,
      status: d.status,
      attempts: d.attempts,
      next_attempt_at: d.nextAttemptAt,
      lease_token: d.leaseToken,
      last_status_code: d.lastStatusCode,
      last_error: d.lastError,
      created_at: d.createdAt,
      updated_at: d.updatedAt,
      delivered_at: d.deliveredAt,
    };
    await insertRow(this.sql, 'webhook_deliveries', row);
  }

  async findById(workspaceId: string, id: string): Promise<DeliveryRecord | null> {
    const { rows } = await this.sql.query<DeliveryRow>(
      'SELECT * FROM webhook_deliveries WHERE id = ? AND workspace_id = ?',
      [id, workspaceId],
    );
    return rows[0] ? rowToDelivery(rows[0]) : null;
  }

  async findForWorker(id: string): Promise<DeliveryRecord | null> {
    const { rows } = await this.sql.query<DeliveryRow>('SELECT * FROM webhook_deliveries WHERE id = ?', [id]);
    return rows[0] ? rowToDelivery(rows[0]) : null;
  }

  async list(
    workspaceId: string,
    filter: DeliveryListFilter,
    limit: number,
    after?: { createdAt: number; id: string },
  ): Promise<DeliveryRecord[]> {
    const where = allOf(
      equals('workspace_id', workspaceId),
      equals('task_id', filter.taskId),
      equals('subscription_id', filter.subscriptionId),
      equals('status', filter.status),
      olderThan(after),
    );
    const { rows } = await this.sql.query<DeliveryRow>(
      `SELECT * FROM webhook_deliveries WHERE ${where.sql} ORDER BY created_at DESC, id DESC LIMIT ?`,
      [...where.params, limit],
    );
    return rows.map(rowToDelivery);
  }

  async listDue(now: number, limit: number): Promise<DeliveryRecord[]> {
    const { rows } = await this.sql.query<DeliveryRow>(
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
    const row: Omit<DeliveryAttemptRow, 'seq'> = {
      delivery_id: a.deliveryId,
      workspace_id: a.workspaceId,
      attempt: a.attempt,
      started_at: a.startedAt,
      status_code: a.statusCode,
      latency_ms: Math.round(a.latencyMs),
      error: a.error?.slice(0, 1000) ?? null,
    };
    await insertRow(this.sql, 'webhook_delivery_attempts', row);
  }

  async listAttempts(workspaceId: string, deliveryIds: string[]): Promise<DeliveryAttemptRecord[]> {
    if (deliveryIds.length === 0) return [];
    const ofDeliveries = isIn('delivery_id', deliveryIds);
    const { rows } = await this.sql.query<DeliveryAttemptRow>(
      `SELECT * FROM webhook_delivery_attempts WHERE ${ofDeliveries.sql}
       AND workspace_id = ? ORDER BY delivery_id, seq`,
      [...ofDeliveries.params, workspaceId],
    );
    return rows.map((row) => ({
      deliveryId: row.delivery_id,
      workspaceId: row.workspace_id,
      attempt: row.attempt,
      startedAt: row.started_at,
      statusCode: row.status_code,
      latencyMs: row.latency_ms,
      error: row.error,
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
    const finished = allOf(isIn('status', statuses), compare('updated_at', '<=', changedBefore));
    // Read through idx_deliveries_status_updated. On MySQL the rows stay locked until commit, so an admin's
    // redeliver cannot make one pending between this read and the delete; SKIP LOCKED lets a second
    // process take the next rows instead of queueing behind this one. SQLite's writer is alone anyway.
    const lock = this.sql.dialect === 'mysql' ? ' FOR UPDATE SKIP LOCKED' : '';
    const { rows } = await this.sql.query<Pick<DeliveryRow, 'id'>>(
      `SELECT id FROM webhook_deliveries WHERE ${finished.sql} LIMIT ?${lock}`,
      [...finished.params, limit],
    );
    const ids = rows.map((row) => row.id);
    if (ids.length === 0) return { selected: 0, deliveries: 0, attempts: 0 };
    const picked = isIn('id', ids);
    const deleted = await this.sql.query(`DELETE FROM webhook_deliveries WHERE ${picked.sql} AND ${finished.sql}`, [
      ...picked.params,
      ...finished.params,
    ]);
    // Only the attempts of deliveries that are gone: a row that was kept keeps its log.
    const ofPicked = isIn('delivery_id', ids);
    const attempts = await this.sql.query(
      `DELETE FROM webhook_delivery_attempts WHERE ${ofPicked.sql}
       AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.id = webhook_delivery_attempts.delivery_id)`,
      ofPicked.params,
    );
    return { selected: ids.length, deliveries: deleted.affected, attempts: attempts.affected };
  }
}
