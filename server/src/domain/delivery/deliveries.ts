import type { Delivery, ListDeliveriesQuery } from '@loopgate/shared';
import { authorize, type Principal } from '../kernel/access.js';
import { notFound } from '../kernel/errors.js';
import { iso } from '../kernel/iso-time.js';
import { decodeCursor, encodeCursor } from '../tasks/task-cursor.js';
import type { DeliveryAttemptRecord, DeliveryRecord } from './delivery-ports.js';
import type { DeliveryServiceDeps } from './subscriptions.js';
import { type UrlViewer, viewTargetUrl } from './target-url.js';

// ——— Deliveries: list, inspect, redeliver ———

export function toDeliveryView(d: DeliveryRecord, viewer: UrlViewer, attempts?: DeliveryAttemptRecord[]): Delivery {
  return {
    id: d.id,
    kind: d.kind,
    taskId: d.taskId,
    subscriptionId: d.subscriptionId,
    eventType: d.eventType,
    url: viewTargetUrl(viewer, d.url, d.urlOwner),
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.status === 'pending' && d.nextAttemptAt !== null ? iso(d.nextAttemptAt) : null,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    createdAt: iso(d.createdAt),
    deliveredAt: d.deliveredAt === null ? null : iso(d.deliveredAt),
    ...(attempts
      ? {
          attemptLog: attempts.map((a) => ({
            attempt: a.attempt,
            startedAt: iso(a.startedAt),
            statusCode: a.statusCode,
            latencyMs: a.latencyMs,
            error: a.error,
          })),
        }
      : {}),
  };
}

export async function listDeliveries(
  deps: Pick<DeliveryServiceDeps, 'store'>,
  principal: Principal,
  query: ListDeliveriesQuery,
): Promise<{ deliveries: Delivery[]; nextCursor: string | null }> {
  authorize(principal, 'task:read');
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const rows = await deps.store.read.deliveries.list(
    principal.workspaceId,
    { taskId: query.taskId, subscriptionId: query.subscriptionId, status: query.status },
    query.limit + 1,
    after,
  );
  const page = rows.slice(0, query.limit);
  const attempts = await deps.store.read.deliveries.listAttempts(
    principal.workspaceId,
    page.map((d) => d.id),
  );
  const last = page[page.length - 1];
  return {
    deliveries: page.map((d) =>
      toDeliveryView(
        d,
        principal,
        attempts.filter((a) => a.deliveryId === d.id),
      ),
    ),
    nextCursor: rows.length > query.limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
  };
}

export async function getDelivery(deps: Pick<DeliveryServiceDeps, 'store'>, principal: Principal, id: string) {
  authorize(principal, 'task:read');
  const delivery = await deps.store.read.deliveries.findById(principal.workspaceId, id);
  if (!delivery) throw notFound(`Delivery ${id}`);
  const attempts = await deps.store.read.deliveries.listAttempts(principal.workspaceId, [id]);
  return toDeliveryView(delivery, principal, attempts);
}

/**
 * An admin's "send it again": the same delivery (same webhook-id, same body), due now. With
 * `scope.taskId` (the task page's button) a delivery of another task is not found.
 */
export async function redeliver(
  deps: Pick<DeliveryServiceDeps, 'store' | 'clock' | 'kick'>,
  principal: Principal,
  id: string,
  scope: { taskId?: string } = {},
) {
  authorize(principal, 'workspace:admin');
  if (scope.taskId !== undefined) {
    const delivery = await deps.store.read.deliveries.findById(principal.workspaceId, id);
    if (delivery?.taskId !== scope.taskId) throw notFound(`Delivery ${id} of task ${scope.taskId}`);
  }
  const ok = await deps.store.transaction((tx) => tx.deliveries.requeue(principal.workspaceId, id, deps.clock()));
  if (!ok) throw notFound(`Delivery ${id}`);
  deps.kick?.();
  return getDelivery(deps, principal, id);
}
