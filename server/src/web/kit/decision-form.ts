import {
  type DecisionInput,
  decisionInputSchema,
  type FormProblem,
  parseFormValues,
  payloadFromForm,
  type RejectReason,
} from '@loopgate/shared';
import { z } from 'zod';
import {
  fieldChanges,
  lineDiff,
  parseEditedPayload,
  payloadText,
  samePayload,
} from '../../domain/approvals/payload-diff.js';
import type { JsonValue, TaskRecord } from '../../domain/tasks/task-record.js';
import { formText, optionalFormText, readForm, sentText } from './forms.js';
import type { DecisionPreview } from './view-models.js';

/**
 * The approval panel's one form (task page and e-mail link page alike): the comment, the payload
 * editor and every decision button share it, so whatever button is pressed, the server sees the
 * edit. `action=edit` is the confirm step's "Edit again": it only shows the editor again.
 */
const decisionForm = z.object({
  action: formText,
  comment: formText,
  /** Absent when the page offered no editor (an Approve-only or Reject-only e-mail link). */
  modifiedPayload: sentText,
  confirm: formText,
  /** Reject's reason code, when the queue lists reasons to choose from. */
  reasonCode: formText,
  /** Approve's "and the same for the next N hours": '' (none), payload or title, and the hours. */
  grantScope: formText,
  grantHours: formText,
});

/** What the page shows again when it does not decide: nothing typed is dropped. */
export interface Typed {
  edited?: string;
  comment: string;
  /** The task's form fields as posted (name → text, a checkbox → whether it was ticked). */
  fields?: Record<string, string | boolean>;
  /** Per field name: what is wrong with it. */
  fieldErrors?: Record<string, string>;
  /** The task's responseForm answers as posted, and what is wrong with them. */
  response?: Record<string, string | boolean>;
  responseErrors?: Record<string, string>;
}

/**
 * Form inputs are posted as `field.<name>` and answers as `response.<name>`, so a property named like
 * a panel field (action, comment) cannot clash.
 */
export const FIELD_PREFIX = 'field.';
export const RESPONSE_PREFIX = 'response.';

/** Inputs posted under `prefix`, when the page rendered them (it also posts `<marker>=1`). */
function posted(body: unknown, marker: string, prefix: string): Record<string, string | boolean> | undefined {
  const raw = (body ?? {}) as Record<string, unknown>;
  if (raw[marker] !== '1') return undefined;
  const fields: Record<string, string | boolean> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key.startsWith(prefix) && typeof value === 'string') fields[key.slice(prefix.length)] = value;
  }
  return fields;
}

function fieldErrorsOf(problems: FormProblem[]): Record<string, string> {
  return Object.fromEntries(problems.map((problem) => [problem.path, problem.message]));
}

export type FormDecision =
  | { kind: 'decide'; input: DecisionInput }
  /** A confirm step (or a refused post shown as one): decide nothing, show `preview`. */
  | { kind: 'preview'; preview: DecisionPreview; error?: string; status: number }
  /** Back to the panel with what was typed, and the error if there is one. */
  | { kind: 'panel'; typed: Typed; error?: string; status: number };

export const EDITED_APPROVE_REFUSED = 'You changed the payload — approve with changes or revert.';
export const REJECT_NEEDS_REASON = 'Say why you reject the task: the agent and your colleagues read it.';
export const REJECT_NEEDS_CODE = 'Choose one of the reasons listed.';
export const RESPONSE_NEEDED = 'Answer the questions marked below before you approve.';

/**
 * A posted decision form → decide, confirm first, or refuse, from the task as it is now:
 * - Approve with an edited payload is never the original's approval: it becomes the confirm step
 *   of Approve with changes (409), so the edit is neither lost nor silently applied.
 * - Approve with changes and Reject each decide only with `confirm=1`, after the reviewer has seen
 *   the diff (with field paths and a change count) or the rejection's reason; Reject needs a reason.
 */
export function readDecisionForm(
  task: TaskRecord,
  body: unknown,
  { rejectReasons = [] }: { rejectReasons?: readonly RejectReason[] } = {},
): FormDecision {
  const form = readForm(decisionForm, body);
  const { action, confirm } = form;
  let edited = form.modifiedPayload;
  const comment = form.comment.replace(/\r\n/g, '\n');
  const fields = task.form ? posted(body, 'fields', FIELD_PREFIX) : undefined;
  const response = task.responseForm ? (posted(body, 'responses', RESPONSE_PREFIX) ?? {}) : undefined;
  const typed: Typed = { edited, comment, fields, response };
  const commentOrNone = optionalFormText.parse(comment);
  const reasonCode = optionalFormText.parse(form.reasonCode);
  // Only Approve carries it: the schema refuses a grant with any other action, and so would the page.
  const grant = form.grantScope === '' ? undefined : { scope: form.grantScope, hours: Number(form.grantHours) };

  // The answers a responseForm asks for: typed the right way, checked before anything is decided.
  let answers: Record<string, unknown> | undefined;
  if (task.responseForm && response && (action === 'approve' || action === 'approve_with_modifications')) {
    const values = parseFormValues(task.responseForm, response);
    if (!values.ok) {
      const responseErrors = fieldErrorsOf(values.problems);
      return { kind: 'panel', typed: { ...typed, responseErrors }, error: RESPONSE_NEEDED, status: 400 };
    }
    answers = values.value;
  }

  // Labelled inputs: typed values → the payload they make; the JSON editor stays one click away.
  if (task.form && fields && action !== 'edit' && action !== 'reject') {
    const values = parseFormValues(task.form, fields);
    if (!values.ok) {
      const fieldErrors = fieldErrorsOf(values.problems);
      return { kind: 'panel', typed: { ...typed, fieldErrors }, error: 'Check the fields marked below.', status: 400 };
    }
    const built = payloadFromForm(task.form, task.payload, values.value);
    if (!built.ok) {
      const fieldErrors = fieldErrorsOf(built.problems);
      return { kind: 'panel', typed: { ...typed, fieldErrors }, error: 'Check the fields marked below.', status: 400 };
    }
    const fromFields = built.value as JsonValue;
    const jsonEdited = edited === undefined ? undefined : parseEditedPayload(task.payload, edited);
    const jsonChanged = jsonEdited !== undefined && (!jsonEdited.ok || !samePayload(task.payload, jsonEdited.value));
    if (jsonChanged && !samePayload(task.payload, fromFields)) {
      const error = 'You changed both the fields and the JSON: keep one of the two edits.';
      return { kind: 'panel', typed, error, status: 400 };
    }
    if (!jsonChanged) edited = payloadText(fromFields);
  }

  if (action === 'edit') return { kind: 'panel', typed, status: 200 };

  if (action === 'approve' || action === 'approve_with_modifications') {
    const wantsChanges = action === 'approve_with_modifications';
    if (edited === undefined) {
      if (wantsChanges) return { kind: 'panel', typed, error: 'Edit the payload first.', status: 400 };
      return decide({ action, comment: commentOrNone, response: answers, grant }, typed);
    }
    const parsed = parseEditedPayload(task.payload, edited);
    if (!parsed.ok) {
      const error = wantsChanges ? parsed.error : `${EDITED_APPROVE_REFUSED} ${parsed.error}`;
      return { kind: 'panel', typed, error, status: 400 };
    }
    if (samePayload(task.payload, parsed.value)) {
      if (!wantsChanges) return decide({ action, comment: commentOrNone, response: answers, grant }, typed);
      return { kind: 'panel', typed, error: 'You have not changed the payload; use Approve instead.', status: 400 };
    }
    const preview: DecisionPreview = {
      kind: 'modify',
      changes: fieldChanges(task.payload, parsed.value),
      diff: lineDiff(payloadText(task.payload), payloadText(parsed.value)),
      edited,
      comment,
      response: response ?? null,
    };
    if (!wantsChanges) return { kind: 'preview', preview, error: EDITED_APPROVE_REFUSED, status: 409 };
    if (confirm !== '1') return { kind: 'preview', preview, status: 200 };
    return decide({ action, comment: commentOrNone, modifiedPayload: parsed.value, response: answers }, typed);
  }

  if (action === 'reject') {
    const preview: DecisionPreview = { kind: 'reject', edited, comment, reasonCode: reasonCode ?? '' };
    if (confirm !== '1') return { kind: 'preview', preview, status: 200 };
    if (commentOrNone === undefined) return { kind: 'preview', preview, error: REJECT_NEEDS_REASON, status: 400 };
    if (rejectReasons.length > 0 && !rejectReasons.some((reason) => reason.code === reasonCode)) {
      return { kind: 'preview', preview, error: REJECT_NEEDS_CODE, status: 400 };
    }
    return decide({ action, comment: commentOrNone, reasonCode }, typed);
  }

  return { kind: 'panel', typed, error: 'Choose approve, reject or approve with changes.', status: 400 };
}

function decide(input: unknown, typed: Typed): FormDecision {
  const result = decisionInputSchema.safeParse(input);
  if (!result.success) {
    return {
      kind: 'panel',
      typed,
      error: result.error.issues[0]?.message ?? 'The decision is not valid.',
      status: 400,
    };
  }
  return { kind: 'decide', input: result.data };
}
