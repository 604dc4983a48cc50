import type { WebhookEventType } from '@loopgate/shared';
import { newId } from '../kernel/ids.js';
import type { Repositories } from '../store.js';

/**
 * Queues an event that belongs to no task (agent.drift_detected) for every active subscription of the
 * workspace that lists it, inside the caller's transaction: the same outbox rows the task events use,
 * so the worker signs, retries and logs them the same way. Returns how many rows it queued.
 */
export async function queueWorkspaceEvent(
  tx: Repositories,
  event: { workspaceId: string; type: WebhookEventType; body: string; now: number },
): Promise<number> {
  let queued = 0;
  for (const subscription of await tx.webhooks.listActive(event.workspaceId)) {
    if (!subscription.events.includes(event.type)) continue;
    await tx.deliveries.insert({
      id: newId('delivery', event.now),
      workspaceId: event.workspaceId,
      kind: 'subscription',
      taskId: null,
      subscriptionId: subscription.id,
      eventType: event.type,
      url: subscription.url,
      urlOwner: subscription.createdBy,
      body: event.body,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: event.now,
      leaseToken: null,
      lastStatusCode: null,
      lastError: null,
      createdAt: event.now,
      updatedAt: event.now,
      deliveredAt: null,
    });
    queued += 1;
  }
  return queued;
}
