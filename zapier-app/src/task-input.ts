import type { CreateTaskInput, RiskLevel } from '@loopgate/shared';
import { buildFormFromRows, type FormFieldRow } from '@loopgate/shared/form-builder';
import type { Bundle, PlainInputField, ZObject } from 'zapier-platform-core';

const RISK_LEVELS: RiskLevel[] = ['low', 'medium', 'high', 'critical'];

const FIELD_TYPES = [
  { value: 'string', label: 'Text', sample: 'string' },
  { value: 'number', label: 'Number', sample: 'number' },
  { value: 'integer', label: 'Whole number', sample: 'integer' },
  { value: 'boolean', label: 'Yes/No', sample: 'boolean' },
  { value: 'enum', label: 'Choice', sample: 'enum' },
];

/**
 * The line-item fields of one form row; payload path and read-only only for the payload form. Zapier
 * wants child keys unique across the action, so each group's keys carry its prefix (`formName`, `responseName`).
 */
function formRowFields(prefix: 'form' | 'response', intro: string): PlainInputField[] {
  const row: PlainInputField[] = [
    { key: `${prefix}Name`, label: 'Field Name', required: false, helpText: `${intro} The name: e.g. \`amount\`.` },
    { key: `${prefix}Label`, label: 'Label', required: false, helpText: 'What the reviewer reads next to the input.' },
    { key: `${prefix}Type`, label: 'Type', required: false, choices: FIELD_TYPES, default: 'string' },
    {
      key: `${prefix}Options`,
      label: 'Choices',
      required: false,
      helpText: 'Choice fields: `value` or `value=Label`, comma-separated (e.g. `late=Arrived late, damaged`).',
    },
    { key: `${prefix}Required`, label: 'Required', type: 'boolean', required: false },
  ];
  if (prefix === 'response') return row;
  return [
    ...row,
    {
      key: 'formPath',
      label: 'Payload Path',
      required: false,
      helpText: 'A JSON Pointer to the payload value this field edits, e.g. `/refund/amount`. Empty: `/<field name>`.',
    },
    { key: 'formReadOnly', label: 'Read-Only', type: 'boolean', required: false },
  ];
}

/** The fields a Zap fills in to create a task; shared by "Request Approval" and "Create Task". */
export const taskInputFields: PlainInputField[] = [
  { key: 'title', label: 'Title', required: true, helpText: 'What the reviewer is asked to approve.' },
  { key: 'description', label: 'Description', type: 'text', required: false },
  {
    key: 'payload',
    label: 'Payload',
    type: 'text',
    required: true,
    helpText:
      'The proposed output the reviewer approves, rejects or edits. JSON (e.g. `{"orderId": 1234, "amount": 42.5}`) is stored as JSON; anything else as text.',
  },
  {
    key: 'context',
    label: 'Context',
    type: 'text',
    required: false,
    helpText: 'Background for the reviewer (JSON or text): the AI reasoning, the source record, links.',
  },
  {
    key: 'confidence',
    label: 'Confidence',
    type: 'number',
    required: false,
    helpText: "The automation's confidence from 0 to 1; a queue's routing policy can send low confidence to review.",
  },
  {
    key: 'riskLevel',
    label: 'Risk Level',
    required: false,
    choices: RISK_LEVELS.map((level) => ({ value: level, label: level, sample: level })),
  },
  {
    key: 'queue',
    label: 'Queue',
    required: false,
    dynamic: 'queue_list.id.name',
    helpText: 'Which review queue (its reviewers, policy, SLA and escalation). Empty: the default queue.',
  },
  {
    key: 'slaMinutes',
    label: 'SLA (minutes)',
    type: 'integer',
    required: false,
    helpText: "How long reviewers have before the queue's escalation and timeout apply. Empty: the queue's SLA.",
  },
  {
    key: 'externalRef',
    label: 'External Reference',
    required: false,
    helpText: 'Your own id for this item (order number, ticket id); "Find Task" can look it up.',
  },
  { key: 'tags', label: 'Tags', required: false, list: true },
  {
    key: 'reviewers',
    label: 'Reviewers',
    required: false,
    list: true,
    helpText:
      "E-mail addresses to ask by e-mail instead of the queue's reviewer group: workspace members, or external reviewers (guests), who must be on the workspace's allowlist (Settings → External reviewers in Loopgate) and decide by e-mail link where the queue's level allows guests. Empty: the queue decides.",
  },
  {
    key: 'formFields',
    label: 'Form Fields',
    required: false,
    children: formRowFields(
      'form',
      'Payload fields the reviewer edits through labelled inputs instead of raw JSON, one line per field (the payload must be JSON).',
    ),
  },
  {
    key: 'responseFields',
    label: 'Response Fields',
    required: false,
    children: formRowFields(
      'response',
      'What the reviewer must answer when approving, one line per field; the answers come out as "Response".',
    ),
  },
];

/** JSON when it parses as JSON, otherwise the text itself: Zap fields arrive as strings. */
export function jsonOrText(value: unknown): CreateTaskInput['payload'] {
  if (typeof value !== 'string') return (value ?? null) as CreateTaskInput['payload'];
  const trimmed = value.trim();
  if (/^[[{"]/.test(trimmed) || /^(-?\d|true$|false$|null$)/.test(trimmed)) {
    try {
      return JSON.parse(trimmed) as CreateTaskInput['payload'];
    } catch {
      // Not JSON after all: the reviewer sees the text as typed.
    }
  }
  return value;
}

function optionalString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = String(value);
  return text.trim() === '' ? undefined : text;
}

function optionalNumber(z: ZObject, value: unknown, field: string): number | undefined {
  const text = optionalString(value);
  if (text === undefined) return undefined;
  const number = Number(text);
  if (!Number.isFinite(number)) {
    throw new z.errors.Error(`${field} must be a number, got "${text}"`, 'validation_failed', 400);
  }
  return number;
}

/** A Zap list field (an array, one value, or nothing) as trimmed, non-empty strings. */
function listOf(value: unknown): string[] {
  const values = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return values.map((item) => String(item).trim()).filter((item) => item !== '');
}

/** Zapier hands line-item checkboxes over as booleans or as text ("true", "yes"). */
function checked(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  return ['true', 'yes', '1', 'on'].includes(
    String(value ?? '')
      .trim()
      .toLowerCase(),
  );
}

/** A line-item group (an array of objects, one per line, keys carrying `prefix`) as form rows. */
function formRowsOf(value: unknown, prefix: 'form' | 'response'): FormFieldRow[] {
  const lines = Array.isArray(value) ? value : [];
  return lines
    .filter((line): line is Record<string, unknown> => typeof line === 'object' && line !== null)
    .map((line) => ({
      name: optionalString(line[`${prefix}Name`]),
      label: optionalString(line[`${prefix}Label`]),
      type: optionalString(line[`${prefix}Type`]),
      options: optionalString(line[`${prefix}Options`]),
      required: checked(line[`${prefix}Required`]),
      path: optionalString(line[`${prefix}Path`]),
      readOnly: checked(line[`${prefix}ReadOnly`]),
    }));
}

function formFrom(z: ZObject, value: unknown, prefix: 'form' | 'response') {
  const what = prefix === 'form' ? 'Form Fields' : 'Response Fields';
  const built = buildFormFromRows(formRowsOf(value, prefix), what, prefix === 'form');
  if (!built.ok) throw new z.errors.Error(built.message, 'validation_failed', 400);
  return built.form;
}

/** The POST /api/v1/tasks body from a Zap's input; the server validates it and answers in its own words. */
export function taskBodyFromInput(z: ZObject, bundle: Bundle): CreateTaskInput {
  const input = bundle.inputData;
  const slaMinutes = optionalNumber(z, input.slaMinutes, 'SLA (minutes)');
  const tags = listOf(input.tags);
  const reviewers = listOf(input.reviewers);
  const body: CreateTaskInput = {
    title: String(input.title ?? ''),
    payload: jsonOrText(input.payload),
    source: 'zapier',
  };
  const description = optionalString(input.description);
  if (description !== undefined) body.description = description;
  if (optionalString(input.context) !== undefined) body.context = jsonOrText(input.context);
  const confidence = optionalNumber(z, input.confidence, 'Confidence');
  if (confidence !== undefined) body.confidence = confidence;
  const riskLevel = optionalString(input.riskLevel);
  if (riskLevel !== undefined) body.riskLevel = riskLevel as RiskLevel;
  const queue = optionalString(input.queue);
  if (queue !== undefined) body.queue = queue;
  if (slaMinutes !== undefined) body.slaSeconds = Math.round(slaMinutes * 60);
  const externalRef = optionalString(input.externalRef);
  if (externalRef !== undefined) body.externalRef = externalRef;
  // The Zap is the agent, so tasks can be filtered (and later counted) per Zap. Zapier still sends
  // meta.zap.id although its types mark it deprecated; without it no agent is named.
  const zapId = (bundle.meta as { zap?: { id?: unknown } } | undefined)?.zap?.id;
  if (typeof zapId === 'string' || typeof zapId === 'number') body.agent = { id: `zapier:zap:${zapId}` };
  if (tags.length > 0) body.tags = tags;
  if (reviewers.length > 0) body.reviewers = reviewers;
  const form = formFrom(z, input.formFields, 'form');
  if (form !== undefined) body.form = form;
  const responseForm = formFrom(z, input.responseFields, 'response');
  if (responseForm !== undefined) body.responseForm = responseForm;
  return body;
}
