import { type DecisionInput, decisionInputSchema } from '@loopgate/shared';
import { z } from 'zod';
import { lineDiff, parseEditedPayload, payloadText } from '../../domain/approvals/payload-diff.js';
import type { TaskRecord } from '../../domain/tasks/task-record.js';
import { formText, optionalFormText, readForm } from './forms.js';
import type { PayloadPreview } from './view-models.js';

/** The approval panel's forms (task page and e-mail link page alike). */
const decisionForm = z.object({
  action: formText,
  comment: optionalFormText,
  modifiedPayload: formText,
  confirm: formText,
});

export type FormDecision =
  | { kind: 'decide'; input: DecisionInput }
  | { kind: 'preview'; preview: PayloadPreview }
  | { kind: 'invalid'; error: string; edited?: string };

/**
 * A decision form → the domain's DecisionInput, checked by the API's own schema. A modification
 * without `confirm` is only previewed: the reviewer sees the server's diff before anything is decided.
 */
export function readDecisionForm(task: TaskRecord, body: unknown): FormDecision {
  const { action, comment, modifiedPayload: edited, confirm } = readForm(decisionForm, body);
  if (action === 'approve_with_modifications') {
    const parsed = parseEditedPayload(task.payload, edited);
    if (!parsed.ok) return { kind: 'invalid', error: parsed.error, edited };
    if (confirm !== '1') {
      const diff = lineDiff(payloadText(task.payload), payloadText(parsed.value));
      if (!diff.some((line) => line.op !== 'same')) {
        return { kind: 'invalid', error: 'You have not changed the payload; use Approve instead.', edited };
      }
      return { kind: 'preview', preview: { diff, edited, comment: comment ?? '' } };
    }
    return { kind: 'decide', input: decisionInputSchema.parse({ action, comment, modifiedPayload: parsed.value }) };
  }
  const result = decisionInputSchema.safeParse({ action, comment });
  if (!result.success) return { kind: 'invalid', error: 'Choose approve, reject or approve with modifications.' };
  return { kind: 'decide', input: result.data };
}
