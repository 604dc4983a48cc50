import type { Actor, Task, WebhookEventType, WebhookPayload } from '@loopgate/shared';
import type { ZObject } from 'zapier-platform-core';

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
  event: WebhookEventType;
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

/** From the envelope Loopgate POSTs to a callback URL or a subscription. */
export function outputFromDelivery(envelope: WebhookPayload): TaskEventOutput {
  const { data } = envelope;
  const task = data.task;
  const reviewers = data.reviewers.map((r) => ({ type: r.type, id: r.id, name: r.name }) as Actor);
  return {
    id: `${data.taskId}-v${task.version}`,
    event: envelope.type,
    taskId: data.taskId,
    title: task.title,
    queue: task.queue,
    decision: data.status,
    approved: APPROVED.has(data.status),
    action: data.action,
    payload: data.modifiedPayload ?? data.originalPayload,
    originalPayload: data.originalPayload,
    modifiedPayload: data.modifiedPayload,
    wasModified: data.modifiedPayload !== null,
    diff: data.diff ?? '',
    comment: data.comment,
    reviewer: reviewers.map(actorName).join(', '),
    reviewers,
    reason: data.event.reason,
    externalRef: data.externalRef,
    createdAt: data.createdAt,
    decidedAt: data.decidedAt,
    timestamp: envelope.timestamp,
    escalated: task.workflow.escalated,
    escalationStep: task.workflow.escalationStep,
  };
}

/** The same record built from a task read through the API (trigger samples, where no delivery exists). */
export function outputFromTask(task: Task, event: WebhookEventType): TaskEventOutput {
  const decision = task.decision;
  const reviewers = decision ? [decision.decidedBy] : [];
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
    comment: decision?.comment ?? null,
    reviewer: reviewers.map(actorName).join(', '),
    reviewers,
    reason: null,
    externalRef: task.externalRef,
    createdAt: task.createdAt,
    decidedAt: decision?.decidedAt ?? task.closedAt,
    timestamp: task.updatedAt,
    escalated: task.workflow.escalated,
    escalationStep: task.workflow.escalationStep,
  };
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
