import { FINAL_WEBHOOK_EVENTS, type TaskWebhookEventType } from '@loopgate/shared';
import { newId } from '../kernel/ids.js';
import type { Repositories } from '../store.js';

import type { TaskEventRecord, TaskRecord } from '../tasks/task-record.js';
import type { DeliveryRecord } from './delivery-ports.js';
import type { UrlOwner } from './target-url.js';
import { buildWebhookPayload, WEBHOOK_EVENT_FOR } from './webhook-payload.js';

/**
 * Lets the process that queues a delivery send it straight after commit, without a second claim
 * transaction: the row is written already leased to it. If the process dies first, the lease runs
 * out and any worker picks the row up, with the same id.
 */
export interface LocalDispatch {
  lease(taskId: string, deliveryId: string): { token: string; leaseUntil: number } | null;
}

export interface DeliveryHookDeps {
  clock: () => number;
  dispatch?: LocalDispatch;
  /** Extra deliveries for a change (Slack notifications), queued in the same transaction. */
  extra?: (tx: Repositories, change: { task: TaskRecord; event: TaskEventRecord }) => Promise<DeliveryDraft[]>;
}

export interface DeliveryDraft {
  kind: DeliveryRecord['kind'];
  url: string;
  urlOwner: UrlOwner;
  eventType: string;
  body: string;
  subscriptionId: string | null;
}

/**
 * The `onTaskChange` hook: queues the outbox rows for one task change inside its transaction, so a
 * committed decision always has its deliveries and a rolled-back one never does.
 */
export function createDeliveryHook(deps: DeliveryHookDeps) {
  return async (tx: Repositories, change: { task: TaskRecord; event: TaskEventRecord }): Promise<void> => {
    const { task, event } = change;
    const type = WEBHOOK_EVENT_FOR[event.type];
    const drafts: DeliveryDraft[] = [];
    if (type) {
      let body: string | undefined;
      const payload = () => {
        body ??= JSON.stringify(buildWebhookPayload(type, task, event));
        return body;
      };
      if (task.callbackUrl && (await wantsCallback(tx, task, type))) {
        drafts.push({
          kind: 'callback',
          url: task.callbackUrl,
          urlOwner: task.createdBy,
          eventType: type,
          body: payload(),
          subscriptionId: null,
        });
      }
      for (const subscription of await tx.webhooks.listActive(task.workspaceId)) {
        if (!subscription.events.includes(type)) continue;
        drafts.push({
          kind: 'subscription',
          url: subscription.url,
          urlOwner: subscription.createdBy,
          eventType: type,
          body: payload(),
          subscriptionId: subscription.id,
        });
      }
    }
    if (deps.extra) drafts.push(...(await deps.extra(tx, change)));
    const now = deps.clock();
    for (const draft of drafts) {
      const id = newId('delivery', now);
      const lease = deps.dispatch?.lease(task.id, id) ?? null;
      await tx.deliveries.insert({
        id,
        workspaceId: task.workspaceId,
        kind: draft.kind,
        taskId: task.id,
        subscriptionId: draft.subscriptionId,
        eventType: draft.eventType,
        url: draft.url,
        urlOwner: draft.urlOwner,
        body: draft.body,
        status: 'pending',
        attempts: 0,
        nextAttemptAt: lease ? lease.leaseUntil : now,
        leaseToken: lease ? lease.token : null,
        lastStatusCode: null,
        lastError: null,
        createdAt: now,
        updatedAt: now,
        deliveredAt: null,
      });
    }
  };
}

async function wantsCallback(tx: Repositories, task: TaskRecord, type: TaskWebhookEventType): Promise<boolean> {
  if (FINAL_WEBHOOK_EVENTS.includes(type)) return true;
  if (type !== 'task.escalated') return false;
  return (await tx.deliverySettings.findTaskOptions(task.workspaceId, task.id))?.notifyEscalations === true;
}
