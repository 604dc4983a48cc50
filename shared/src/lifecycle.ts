/**
 * A task's lifecycle as plain constants: its statuses, which of them are final or a reviewer's decision,
 * the webhook events, and the event each final status is delivered as. No zod here (the schemas in
 * ./task.ts and ./deliveries.ts are built from these lists), so the n8n node and the Zapier app bundle
 * the lists without the schema library.
 */

export const OPEN_TASK_STATUSES = ['pending_review', 'in_review'] as const;
/** The final statuses a decision (a reviewer's, or the routing policy's auto-approval) produces. */
export const DECIDED_TASK_STATUSES = ['approved', 'approved_with_modifications', 'rejected'] as const;
/**
 * `revoked`: an admin withdrew an approval after the fact (issue 16 item 7); the approval it withdrew
 * stays on the task as its decision, and the revocation is its last event.
 */
export const FINAL_TASK_STATUSES = [...DECIDED_TASK_STATUSES, 'expired', 'cancelled', 'revoked'] as const;
/** The statuses an admin may revoke, within the revoke window. */
export const REVOCABLE_TASK_STATUSES = ['approved', 'approved_with_modifications'] as const;
export const TASK_STATUSES = [...OPEN_TASK_STATUSES, ...FINAL_TASK_STATUSES] as const;

export type TaskStatus = (typeof TASK_STATUSES)[number];
export type FinalTaskStatus = (typeof FINAL_TASK_STATUSES)[number];
export type DecidedTaskStatus = (typeof DECIDED_TASK_STATUSES)[number];

/** Takes any string, so clients can ask about a status read off the wire before trusting it. */
export function isFinalStatus(status: string): status is FinalTaskStatus {
  return (FINAL_TASK_STATUSES as readonly string[]).includes(status);
}

export function isDecidedStatus(status: string): status is DecidedTaskStatus {
  return (DECIDED_TASK_STATUSES as readonly string[]).includes(status);
}

export const WEBHOOK_EVENT_TYPES = [
  'task.created',
  'task.decided',
  'task.escalated',
  'task.expired',
  'task.cancelled',
  'task.revoked',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The events a task's own callback URL receives without asking: the final ones. */
export const FINAL_WEBHOOK_EVENTS: readonly WebhookEventType[] = [
  'task.decided',
  'task.expired',
  'task.cancelled',
  'task.revoked',
];

/** The webhook event a task that ended in each final status is delivered as. */
export const WEBHOOK_EVENT_FOR_FINAL_STATUS: Readonly<Record<FinalTaskStatus, WebhookEventType>> = {
  approved: 'task.decided',
  approved_with_modifications: 'task.decided',
  rejected: 'task.decided',
  expired: 'task.expired',
  cancelled: 'task.cancelled',
  revoked: 'task.revoked',
};
