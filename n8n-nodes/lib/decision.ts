/**
 * A Loopgate callback (the Standard Webhooks envelope of shared/src/deliveries.ts) → the item the
 * Request Approval node resumes with. Kept free of n8n imports so it is unit-tested on its own.
 */

export const DECISIONS = ['approved', 'approved_with_modifications', 'rejected', 'expired', 'cancelled'] as const;
export type Decision = (typeof DECISIONS)[number];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface DecisionItem {
  [key: string]: Json | undefined;
  decision: Decision;
  approved: boolean;
  /** The payload to act on: the reviewer's modified payload, else the original. */
  payload: Json;
  originalPayload: Json;
  modifiedPayload: Json;
  modified: boolean;
  /** approve_with_modifications: the unified diff the reviewer confirmed, original → modified. */
  diff: string | null;
  reviewer: { type: string; id: string | null; name: string | null } | null;
  comment: string | null;
  taskId: string;
  externalRef: string | null;
  event: string;
  /** Who ended the wait: the server (decision, SLA expiry, cancel) or n8n's own wait limit. */
  resumedBy: 'loopgate' | 'wait_limit';
  createdAt: string | null;
  decidedAt: string | null;
  receivedAt: string;
}

export type CallbackOutcome = { resume: true; item: DecisionItem } | { resume: false; reason: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * Only a final status resumes the workflow; anything else (an escalation notice, a malformed body) is
 * acknowledged and ignored, so the execution keeps waiting for the real decision.
 */
export function decisionFromCallback(body: unknown, receivedAt: Date): CallbackOutcome {
  if (!isObject(body) || !isObject(body.data)) return { resume: false, reason: 'not a Loopgate callback' };
  const data = body.data;
  const status = str(data.status);
  if (status === null || !(DECISIONS as readonly string[]).includes(status)) {
    return { resume: false, reason: `task status ${String(status)} is not final` };
  }
  const decision = status as Decision;
  const originalPayload = (data.originalPayload ?? null) as Json;
  const modifiedPayload = (data.modifiedPayload ?? null) as Json;
  const modified = decision === 'approved_with_modifications' && data.modifiedPayload !== undefined;
  const task = isObject(data.task) ? data.task : {};
  const taskDecision = isObject(task.decision) ? task.decision : undefined;
  const decidedBy = taskDecision && isObject(taskDecision.decidedBy) ? taskDecision.decidedBy : undefined;
  const firstReviewer = Array.isArray(data.reviewers) && isObject(data.reviewers[0]) ? data.reviewers[0] : undefined;
  const who = decidedBy ?? firstReviewer;
  return {
    resume: true,
    item: {
      decision,
      approved: decision === 'approved' || decision === 'approved_with_modifications',
      payload: modified ? modifiedPayload : originalPayload,
      originalPayload,
      modifiedPayload,
      modified,
      diff: modified ? str(data.diff) : null,
      reviewer: who ? { type: String(who.type ?? 'user'), id: str(who.id), name: str(who.name) } : null,
      comment: str(data.comment),
      taskId: String(data.taskId ?? task.id ?? ''),
      externalRef: str(data.externalRef),
      event: String(body.type ?? ''),
      resumedBy: 'loopgate',
      createdAt: str(data.createdAt),
      decidedAt: str(data.decidedAt),
      receivedAt: receivedAt.toISOString(),
    },
  };
}

/**
 * Fields put on the waiting items before the node pauses. When n8n's own wait limit ends the wait it
 * runs no node code and passes these items on as they are, so they must already say "expired by the
 * wait limit" rather than carry whatever `decision` the input had (an earlier approval, say).
 */
export function backstopFields(taskId: string): Record<string, Json> {
  return {
    decision: 'expired',
    approved: false,
    resumedBy: 'wait_limit',
    taskId,
  };
}
