/**
 * What the Request Approval node resumes with, built from the task as Loopgate has it (read back with
 * the node's own credential, see lib/resume.ts), never from the callback body. Kept free of n8n
 * imports so it is unit-tested on its own.
 */
import { type FinalTaskStatus, isFinalStatus, WEBHOOK_EVENT_FOR_FINAL_STATUS } from '@loopgate/shared/lifecycle';

/** The node resumes with the task's final status as its decision. */
export type Decision = FinalTaskStatus;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface ActorJson {
  type: string;
  id: string | null;
  name: string | null;
}

/** The fields of GET /api/v1/tasks/{id} the node reads (shared/src/task.ts has the whole shape). */
export interface ServerTask {
  id: string;
  status: string;
  payload: Json;
  externalRef: string | null;
  callbackUrl: string | null;
  createdAt: string;
  decision: {
    action: string;
    comment: string | null;
    modifiedPayload: Json;
    diff: string | null;
    /** reject: the reason's code (the queue's rejectReasons); absent from servers before forms. */
    reasonCode?: string | null;
    /** An approval: the answers to the task's responseForm. */
    response?: { [key: string]: string | number | boolean } | null;
    decidedBy: ActorJson;
    decidedAt: string;
  } | null;
}

/** One entry of GET /api/v1/tasks/{id}/events: a final event without a decision says why in `reason`. */
export interface ServerTaskEvent {
  type: string;
  toStatus: string | null;
  reason: string | null;
}

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
  /** The reviewer's comment; for an expired or cancelled task, the reason Loopgate recorded. */
  comment: string | null;
  /** A reject's reason code, one of the queue's rejectReasons; null otherwise. */
  reasonCode: string | null;
  /** An approval's answers to the task's responseForm ("Response Fields"); null without one. */
  response: { [key: string]: string | number | boolean } | null;
  taskId: string;
  externalRef: string | null;
  /** The webhook event the final status is delivered as (task.decided, task.expired, task.cancelled). */
  event: string;
  /** Who ended the wait: the server (decision, SLA expiry, cancel) or n8n's own wait limit. */
  resumedBy: 'loopgate' | 'wait_limit';
  createdAt: string | null;
  decidedAt: string | null;
  receivedAt: string;
}

export type ResumeOutcome = { resume: true; item: DecisionItem } | { resume: false; reason: string };

/**
 * Only a final status resumes the workflow; an open task (an escalation notice, or a callback that
 * claims a decision the server does not have) keeps the execution waiting for the real one.
 * `events` is the task's history, needed only when the task ended without a decision.
 */
export function decisionFromTask(
  task: ServerTask,
  events: readonly ServerTaskEvent[],
  receivedAt: Date,
): ResumeOutcome {
  if (!isFinalStatus(task.status)) return { resume: false, reason: `task status ${task.status} is not final` };
  const decision = task.status;
  const taken = task.decision;
  const modified = decision === 'approved_with_modifications' && taken !== null && taken.modifiedPayload !== null;
  const closing = [...events].reverse().find((event) => event.toStatus === decision);
  return {
    resume: true,
    item: {
      decision,
      approved: decision === 'approved' || decision === 'approved_with_modifications',
      payload: modified ? taken.modifiedPayload : task.payload,
      originalPayload: task.payload,
      modifiedPayload: taken?.modifiedPayload ?? null,
      modified,
      diff: modified ? taken.diff : null,
      reviewer: taken ? { type: taken.decidedBy.type, id: taken.decidedBy.id, name: taken.decidedBy.name } : null,
      comment: taken ? taken.comment : (closing?.reason ?? null),
      reasonCode: taken?.reasonCode ?? null,
      response: taken?.response ?? null,
      taskId: task.id,
      externalRef: task.externalRef,
      event: WEBHOOK_EVENT_FOR_FINAL_STATUS[decision],
      resumedBy: 'loopgate',
      createdAt: task.createdAt,
      decidedAt: taken?.decidedAt ?? null,
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
