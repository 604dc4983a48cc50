/**
 * Node parameters → the body of POST /api/v1/tasks, and the n8n wait deadline. Pure functions, so the
 * rules are unit-tested without an n8n host; the node turns a thrown InputError into a NodeOperationError.
 */
import { buildFormFromRows, type FormFieldRow } from '@loopgate/shared/form-builder';
import type { Form } from '@loopgate/shared/forms';

export class InputError extends Error {
  override readonly name = 'InputError';
}

export const RISK_LEVEL_OPTIONS = ['low', 'medium', 'high', 'critical'] as const;

export interface TaskFields {
  title: string;
  description?: string;
  /** The JSON parameter as n8n hands it over: text typed into the field or an object from an expression. */
  payload: unknown;
  context?: unknown;
  confidence?: number;
  riskLevel?: string;
  queue?: string;
  /** Comma- or newline-separated e-mail addresses. */
  reviewers?: string;
  /** Comma-separated. */
  tags?: string;
  /** Minutes until the server's SLA expires the task; 0 or unset: the queue's default. */
  slaMinutes?: number;
  /** An absolute due time (ISO 8601); exclusive with slaMinutes. */
  dueAt?: string;
  externalRef?: string;
  /** "Form Fields": payload fields the reviewer edits through labelled inputs. */
  formFields?: FormFieldRow[];
  /** "Response Fields": what the reviewer must answer when approving (decision.response). */
  responseFields?: FormFieldRow[];
}

export interface CreateTaskBody {
  title: string;
  payload: unknown;
  source: 'n8n';
  description?: string;
  context?: unknown;
  confidence?: number;
  riskLevel?: string;
  queue?: string;
  tags?: string[];
  reviewers?: string[];
  slaSeconds?: number;
  dueAt?: string;
  externalRef?: string;
  agent?: AgentOfTask;
  callbackUrl?: string;
  form?: Form;
  responseForm?: Form;
}

/** Which automation asked: the workflow, so tasks can be filtered (and later counted) per workflow. */
export interface AgentOfTask {
  id: string;
  name?: string;
}

/** The workflow as the task's agent; n8n ids have no spaces, names are cut to the server's limit. */
export function workflowAgent(workflow: { id?: string; name?: string }): AgentOfTask | undefined {
  if (!workflow.id) return undefined;
  const name = workflow.name?.trim();
  return { id: `n8n:workflow:${workflow.id}`, ...(name ? { name: name.slice(0, 200) } : {}) };
}

const EMAIL = /^[^\s@,;]+@[^\s@,;]+\.[^\s@,;]+$/;

/** A JSON parameter: objects pass through, text is parsed (empty text: undefined). */
export function parseJsonParameter(name: string, value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') return value;
  if (value.trim() === '') return undefined;
  try {
    return JSON.parse(value);
  } catch {
    throw new InputError(`${name} is not valid JSON`);
  }
}

function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(/[,\n]/)
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

export function buildCreateTaskBody(fields: TaskFields, callbackUrl?: string, agent?: AgentOfTask): CreateTaskBody {
  const title = fields.title.trim();
  if (title === '') throw new InputError('Title must not be empty');
  const payload = parseJsonParameter('Payload', fields.payload);
  if (payload === undefined) throw new InputError('Payload to review is required (any JSON value)');
  const body: CreateTaskBody = { title, payload, source: 'n8n' };
  if (fields.description) body.description = fields.description;

  const context = parseJsonParameter('Context', fields.context);
  const reviewers = splitList(fields.reviewers);
  const badEmail = reviewers.find((email) => !EMAIL.test(email));
  if (badEmail !== undefined) throw new InputError(`Reviewer "${badEmail}" is not an e-mail address`);
  // Named reviewers are asked by e-mail instead of the queue's reviewer group: members, or guests on the
  // workspace's external reviewers allowlist; the server refuses anyone else (reviewer_not_member).
  if (reviewers.length > 0) body.reviewers = reviewers;
  if (context !== undefined) body.context = context;

  if (fields.confidence !== undefined && fields.confidence !== null) {
    if (!(fields.confidence >= 0 && fields.confidence <= 1)) {
      throw new InputError('Confidence must be between 0 and 1');
    }
    body.confidence = fields.confidence;
  }
  if (fields.riskLevel) {
    if (!(RISK_LEVEL_OPTIONS as readonly string[]).includes(fields.riskLevel)) {
      throw new InputError(`Risk level must be one of ${RISK_LEVEL_OPTIONS.join(', ')}`);
    }
    body.riskLevel = fields.riskLevel;
  }
  if (fields.queue) body.queue = fields.queue.trim();
  const tags = splitList(fields.tags);
  if (tags.length > 0) body.tags = tags;
  if (fields.slaMinutes && fields.dueAt) throw new InputError('Give either an SLA or a due time, not both');
  if (fields.slaMinutes) {
    if (!(fields.slaMinutes > 0)) throw new InputError('SLA must be a positive number of minutes');
    body.slaSeconds = Math.max(1, Math.round(fields.slaMinutes * 60));
  }
  if (fields.dueAt) {
    const due = Date.parse(fields.dueAt);
    if (Number.isNaN(due)) throw new InputError(`Due time "${fields.dueAt}" is not a date`);
    body.dueAt = new Date(due).toISOString();
  }
  if (fields.externalRef) body.externalRef = fields.externalRef;
  if (agent) body.agent = agent;
  const form = buildFormFromRows(fields.formFields, 'Form Fields', true);
  if (!form.ok) throw new InputError(form.message);
  if (form.form) body.form = form.form;
  const responseForm = buildFormFromRows(fields.responseFields, 'Response Fields', false);
  if (!responseForm.ok) throw new InputError(responseForm.message);
  if (responseForm.form) body.responseForm = responseForm.form;
  if (callbackUrl !== undefined) body.callbackUrl = callbackUrl;
  return body;
}

/** n8n's "wait forever" date (its WAIT_INDEFINITELY), so a wait without a backstop looks like n8n's own. */
export const WAIT_INDEFINITELY = new Date('3000-01-01T00:00:00.000Z');

/** How long after the server's own deadline the n8n backstop fires by default. */
export const BACKSTOP_GRACE_MS = 60 * 60 * 1000;

/**
 * When n8n stops waiting on its own. Loopgate owns the deadline (its SLA sweeper expires the task and
 * calls back with `expired`); n8n's wait limit is only a backstop for a server that never answers.
 * An explicit wait limit wins; otherwise the task's deadline plus an hour; otherwise forever.
 */
export function waitTill(
  now: number,
  body: Pick<CreateTaskBody, 'slaSeconds' | 'dueAt'>,
  waitLimitMinutes?: number,
): Date {
  if (waitLimitMinutes !== undefined && waitLimitMinutes > 0) return new Date(now + waitLimitMinutes * 60_000);
  if (body.slaSeconds !== undefined) return new Date(now + body.slaSeconds * 1000 + BACKSTOP_GRACE_MS);
  if (body.dueAt !== undefined) return new Date(Date.parse(body.dueAt) + BACKSTOP_GRACE_MS);
  return WAIT_INDEFINITELY;
}
