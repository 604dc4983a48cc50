import type { Actor, Task, TaskEvent, TaskWebhookEventType, WebhookPayload } from '@loopgate/shared';
import type { Bundle, ZObject } from 'zapier-platform-core';
import { callApi, isNotFound } from './api.js';

type Json = WebhookPayload['data']['originalPayload'];

/**
 * What a Zap sees after a Loopgate decision or event: one flat record for "Request Approval" (its
 * resumed output) and the "Task Decided/Escalated/Expired" triggers, so later steps map the same
 * fields whichever way the Zap learnt of the task. Filter and Paths steps route on `decision` or
 * `approved`.
 */
export interface TaskEventOutput {
  /** Unique per task change (task id and version), so Zapier can deduplicate. */
  id: string;
  event: TaskWebhookEventType;
  taskId: string;
  title: string;
  queue: string;
  /** The task status: approved, approved_with_modifications, rejected, expired, cancelled, or still open. */
  decision: string;
  /** true only for approved and approved_with_modifications. */
  approved: boolean;
  action: string | null;
  /** The payload to act on: the reviewer's edited version when there is one, else the original. */
  payload: Json;
  originalPayload: Json;
  modifiedPayload: Json | null;
  wasModified: boolean;
  /** The unified diff the reviewer confirmed (original → modified); "" when nothing was modified. */
  diff: string;
  comment: string | null;
  /** An approval's answers to the task's Response Fields (numbers and yes/no as JSON); null without them. */
  response: { [key: string]: string | number | boolean } | null;
  /** A rejection's reason code, one of the queue's rejectReasons; null otherwise. */
  reasonCode: string | null;
  /** Who decided, as names joined by ", " (several with a quorum); "" when nobody has yet. */
  reviewer: string;
  reviewers: Actor[];
  reason: string | null;
  externalRef: string | null;
  createdAt: string;
  decidedAt: string | null;
  timestamp: string;
  escalated: boolean;
  escalationStep: number;
}

const APPROVED = new Set(['approved', 'approved_with_modifications']);

function actorName(actor: { type: string; id: string | null; name: string | null }): string {
  return actor.name ?? actor.id ?? actor.type;
}

/**
 * The record for `event`, built from the task as Loopgate has it (read with the connection's key), never
 * from a delivery body: whoever learns a callback or hook URL can POST anything to it. `historyEntry` is
 * the task-history entry the event stands for (its reason and time); without one (trigger samples)
 * those fields stay empty.
 */
export function outputFromTask(task: Task, event: TaskWebhookEventType, historyEntry?: TaskEvent): TaskEventOutput {
  const decision = task.decision;
  const reviewers = decision ? [decision.decidedBy] : [];
  // As in the delivery body: a decision's comment, else why the task expired, was cancelled or escalated.
  const why = historyEntry && historyEntry.type !== 'decided' ? historyEntry.reason : null;
  return {
    id: `${task.id}-v${task.version}`,
    event,
    taskId: task.id,
    title: task.title,
    queue: task.queue,
    decision: task.status,
    approved: APPROVED.has(task.status),
    action: decision?.action ?? null,
    payload: decision?.modifiedPayload ?? task.payload,
    originalPayload: task.payload,
    modifiedPayload: decision?.modifiedPayload ?? null,
    wasModified: (decision?.modifiedPayload ?? null) !== null,
    diff: decision?.diff ?? '',
    comment: decision?.comment ?? why,
    response: decision?.response ?? null,
    reasonCode: decision?.reasonCode ?? null,
    reviewer: reviewers.map(actorName).join(', '),
    reviewers,
    reason: historyEntry?.reason ?? null,
    externalRef: task.externalRef,
    createdAt: task.createdAt,
    decidedAt: decision?.decidedAt ?? task.closedAt,
    timestamp: historyEntry?.createdAt ?? task.updatedAt,
    escalated: task.workflow.escalated,
    escalationStep: task.workflow.escalationStep,
  };
}

/** The task-history entry type each webhook event is delivered for (server/src/domain/delivery-service.ts). */
const HISTORY_TYPE: Record<TaskWebhookEventType, string> = {
  'task.created': 'created',
  'task.decided': 'decided',
  'task.escalated': 'escalated',
  'task.expired': 'expired',
  'task.cancelled': 'cancelled',
  'task.revoked': 'revoked',
};

/**
 * Reads a task and its history back with the connection's key: the server's state is what a Zap goes
 * on with. null when the key cannot see the task (a made-up id, another workspace).
 */
export async function readTaskBack(
  z: ZObject,
  bundle: Bundle,
  taskId: string,
): Promise<{ task: Task; history: TaskEvent[] } | null> {
  const path = `/api/v1/tasks/${encodeURIComponent(taskId)}`;
  let task: Task;
  try {
    task = await callApi<Task>(z, bundle, 'GET', path);
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
  const history = await callApi<{ data: TaskEvent[] }>(z, bundle, 'GET', `${path}/events`);
  return { task, history: history.data };
}

/** The latest history entry `event` was delivered for (its reason and time go into the record). */
export function historyEntryFor(history: readonly TaskEvent[], event: TaskWebhookEventType): TaskEvent | undefined {
  return [...history].reverse().find((entry) => entry.type === HISTORY_TYPE[event]);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks that a request Zapier hands us (callback or hook) is a Loopgate delivery envelope; anything
 * else is refused loudly rather than turned into a half-empty record a Filter step would misread.
 */
export function parseDelivery(z: ZObject, body: unknown): WebhookPayload {
  const data = isObject(body) ? body.data : undefined;
  if (
    !isObject(body) ||
    typeof body.type !== 'string' ||
    typeof body.timestamp !== 'string' ||
    !isObject(data) ||
    typeof data.taskId !== 'string' ||
    typeof data.status !== 'string' ||
    !Array.isArray(data.reviewers) ||
    !isObject(data.event) ||
    !isObject(data.task) ||
    !isObject(data.task.workflow)
  ) {
    throw new z.errors.Error(
      'The request is not a Loopgate delivery ({type, timestamp, data: {taskId, status, …}})',
      'invalid_delivery',
      400,
    );
  }
  return body as unknown as WebhookPayload;
}
