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

/** The events about one task: their body is the task envelope (webhookPayloadSchema). */
export const TASK_WEBHOOK_EVENT_TYPES = [
  'task.created',
  'task.decided',
  'task.escalated',
  'task.expired',
  'task.cancelled',
  'task.revoked',
] as const;
export type TaskWebhookEventType = (typeof TASK_WEBHOOK_EVENT_TYPES)[number];

/**
 * The events about an agent (issue 16 item 8): the analytics job's drift test found its rates changed,
 * or back to normal. Only subscriptions receive them; their body is agentDriftWebhookPayloadSchema.
 */
export const AGENT_WEBHOOK_EVENT_TYPES = ['agent.drift_detected', 'agent.drift_cleared'] as const;
export type AgentWebhookEventType = (typeof AGENT_WEBHOOK_EVENT_TYPES)[number];

/** Every event a subscription may list. */
export const WEBHOOK_EVENT_TYPES = [...TASK_WEBHOOK_EVENT_TYPES, ...AGENT_WEBHOOK_EVENT_TYPES] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The events a task's own callback URL receives without asking: the final ones. */
export const FINAL_WEBHOOK_EVENTS: readonly TaskWebhookEventType[] = [
  'task.decided',
  'task.expired',
  'task.cancelled',
  'task.revoked',
];

/** The webhook event a task that ended in each final status is delivered as. */
export const WEBHOOK_EVENT_FOR_FINAL_STATUS: Readonly<Record<FinalTaskStatus, TaskWebhookEventType>> = {
  approved: 'task.decided',
  approved_with_modifications: 'task.decided',
  rejected: 'task.decided',
  expired: 'task.expired',
  cancelled: 'task.cancelled',
  revoked: 'task.revoked',
};
