import type { DeliveryRecord } from '../domain/delivery/delivery-ports.js';

/**
 * A delivery row as the store holds it, for tests that write the outbox without the delivery hook:
 * a callback of task.decided, delivered once at `createdAt`, with no recorded URL owner.
 */
export function deliveryRecord(
  workspaceId: string,
  id: string,
  createdAt: number,
  extra: Partial<DeliveryRecord> = {},
): DeliveryRecord {
  return {
    id,
    workspaceId,
    kind: 'callback',
    taskId: null,
    subscriptionId: null,
    eventType: 'task.decided',
    url: 'https://example.com/hook',
    urlOwner: null,
    body: '{}',
    status: 'delivered',
    attempts: 1,
    nextAttemptAt: null,
    leaseToken: null,
    lastStatusCode: 200,
    lastError: null,
    createdAt,
    updatedAt: createdAt,
    deliveredAt: createdAt,
    ...extra,
  };
}
