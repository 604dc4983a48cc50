import type { TaskWebhookEventType, WebhookPayload } from '@loopgate/shared';
import { iso } from '../kernel/iso-time.js';
import type { TaskEventRecord, TaskRecord } from '../tasks/task-record.js';
import { toTaskView } from '../tasks/task-view.js';

/** Task event types (task_events.type) and the webhook event each one is delivered as. */
export const WEBHOOK_EVENT_FOR: Readonly<Record<string, TaskWebhookEventType>> = {
  created: 'task.created',
  decided: 'task.decided',
  expired: 'task.expired',
  escalated: 'task.escalated',
  cancelled: 'task.cancelled',
  revoked: 'task.revoked',
};

/** The body every receiver gets: Standard Webhooks' {type, timestamp, data}, with the decision up front. */
export function buildWebhookPayload(
  type: TaskWebhookEventType,
  task: TaskRecord,
  event: TaskEventRecord,
): WebhookPayload {
  const view = toTaskView(task, 'webhook');
  return {
    type,
    timestamp: iso(event.createdAt),
    data: {
      taskId: task.id,
      status: task.status,
      action: task.decision?.action ?? null,
      comment: task.decision?.comment ?? (event.type === 'decided' ? null : event.reason),
      reviewers: task.decision ? [task.decision.decidedBy] : [],
      originalPayload: task.payload,
      modifiedPayload: task.decision?.modifiedPayload ?? null,
      diff: task.decision?.diff ?? null,
      reasonCode: task.decision?.reasonCode ?? null,
      response: task.decision?.response ?? null,
      payloadDigest: task.decision?.payloadDigest ?? null,
      externalRef: task.externalRef,
      event: { id: event.id, type: event.type, reason: event.reason, data: event.data },
      createdAt: iso(task.createdAt),
      decidedAt: task.decision ? iso(task.decision.decidedAt) : null,
      task: view,
    },
  };
}
