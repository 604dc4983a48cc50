import type { Task, TaskPage, TaskWebhookEventType, WebhookSubscription } from '@loopgate/shared';
import { isDecidedStatus } from '@loopgate/shared/lifecycle';
import type { Bundle, Trigger, ZObject } from 'zapier-platform-core';
import { callApi, isNotFound } from '../api.js';
import { taskEventOutputFields } from '../output-fields.js';
import { SAMPLE_DECISION, SAMPLE_ESCALATION, SAMPLE_EXPIRY } from '../samples.js';
import { historyEntryFor, outputFromTask, parseDelivery, readTaskBack, type TaskEventOutput } from '../task-output.js';

interface TaskEventTriggerSpec {
  key: string;
  event: TaskWebhookEventType;
  label: string;
  description: string;
  /** Which recent tasks stand for this event when Zapier asks for samples (performList). */
  matches: (task: Task) => boolean;
  sample: TaskEventOutput;
}

/** Subscribed through POST /api/v1/webhooks; Zapier stores the answer and hands it to performUnsubscribe. */
async function subscribe(z: ZObject, bundle: Bundle, spec: TaskEventTriggerSpec) {
  const subscription = await callApi<WebhookSubscription>(z, bundle, 'POST', '/api/v1/webhooks', {
    body: { url: bundle.targetUrl, events: [spec.event], description: `Zapier: ${spec.label}` },
  });
  // Keep the id only: Zapier stores subscribeData, and the signing secret has no use there.
  return { id: subscription.id, events: subscription.events };
}

async function unsubscribe(z: ZObject, bundle: Bundle) {
  const id = bundle.subscribeData?.id;
  if (!id) throw new z.errors.Error('No subscription to remove (subscribeData.id is missing)', 'not_found', 404);
  try {
    await callApi<void>(z, bundle, 'DELETE', `/api/v1/webhooks/${encodeURIComponent(id)}`);
  } catch (error) {
    // Already gone (deleted in Loopgate by an admin): the Zap is unsubscribed either way.
    if (!isNotFound(error)) throw error;
  }
  return { id };
}

/**
 * One delivery, one record; deliveries of other event types (a widened subscription) are ignored. The
 * hook URL is no proof (anyone who learns it can POST to it), so the body only names the task: the
 * record is the task as Loopgate has it, and nothing fires unless the server agrees the event happened
 * (the task exists for this key and is decided, escalated or expired).
 */
async function receive(z: ZObject, bundle: Bundle, spec: TaskEventTriggerSpec): Promise<TaskEventOutput[]> {
  const envelope = parseDelivery(z, bundle.cleanedRequest);
  if (envelope.type !== spec.event) return [];
  const read = await readTaskBack(z, bundle, envelope.data.taskId);
  if (!read || !spec.matches(read.task)) return [];
  return [outputFromTask(read.task, spec.event, historyEntryFor(read.history, spec.event))];
}

async function listRecent(z: ZObject, bundle: Bundle, spec: TaskEventTriggerSpec): Promise<TaskEventOutput[]> {
  const params: Record<string, string | number> = { limit: 100 };
  if (spec.event === 'task.expired') params.status = 'expired';
  const page = await callApi<TaskPage>(z, bundle, 'GET', '/api/v1/tasks', { params });
  return page.data
    .filter(spec.matches)
    .slice(0, 3)
    .map((task) => outputFromTask(task, spec.event));
}

function taskEventTrigger(spec: TaskEventTriggerSpec): Trigger {
  return {
    key: spec.key,
    noun: 'Task',
    display: { label: spec.label, description: spec.description },
    operation: {
      type: 'hook',
      performSubscribe: (z: ZObject, bundle: Bundle) => subscribe(z, bundle, spec),
      performUnsubscribe: (z: ZObject, bundle: Bundle) => unsubscribe(z, bundle),
      perform: (z: ZObject, bundle: Bundle) => receive(z, bundle, spec),
      performList: (z: ZObject, bundle: Bundle) => listRecent(z, bundle, spec),
      sample: { ...spec.sample },
      outputFields: taskEventOutputFields,
    },
  };
}

export const taskDecided = taskEventTrigger({
  key: 'task_decided',
  event: 'task.decided',
  label: 'Task Decided',
  description: 'Triggers when a reviewer (or the routing policy) approves, edits or rejects a task.',
  matches: (task) => isDecidedStatus(task.status),
  sample: SAMPLE_DECISION,
});

export const taskEscalated = taskEventTrigger({
  key: 'task_escalated',
  event: 'task.escalated',
  label: 'Task Escalated',
  description: "Triggers when a task breaches its SLA and the queue's escalation chain takes a step.",
  matches: (task) => task.workflow.escalated,
  sample: SAMPLE_ESCALATION,
});

export const taskExpired = taskEventTrigger({
  key: 'task_expired',
  event: 'task.expired',
  label: 'Task Expired',
  description: 'Triggers when nobody decided a task in time and it ended expired.',
  matches: (task) => task.status === 'expired',
  sample: SAMPLE_EXPIRY,
});
