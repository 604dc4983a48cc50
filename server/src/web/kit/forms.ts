import { z } from 'zod';
import { AppError } from '../../domain/kernel/errors.js';
import { fieldErrorsOf } from '../../http-common/field-errors.js';

/*
 * Forms and query strings are read like the API reads JSON: one zod schema per form. A browser
 * sends every field as text, or sends a field twice (an array), or leaves it out; the field types
 * below say what each of those reads as, so a handler never looks at the raw body.
 */

/** A text field; left out (or sent twice) it reads as ''. */
export const formText = z.string().catch('');

/** A text field where it matters whether it was sent at all: left out (or sent twice) it is undefined. */
export const sentText = z.string().optional().catch(undefined);

/** A text field where nothing typed means "not given": trimmed, and '' reads as undefined. */
export const optionalFormText = formText.transform((text) => text.trim() || undefined);

/** A query parameter cut to `max` characters; empty or left out it is undefined. */
export function queryText(max: number) {
  return z
    .string()
    .transform((text) => (text === '' ? undefined : text.slice(0, max)))
    .optional()
    .catch(undefined);
}

/**
 * The form's fields as its schema reads them. A field the schema refuses is a 400
 * `validation_failed` whose message is the problem's own (the schemas word it for the person at
 * the form) and whose field errors name each field, as the API's do.
 */
export function readForm<Schema extends z.ZodType>(schema: Schema, body: unknown): z.output<Schema> {
  const result = schema.safeParse(body ?? {}, { reportInput: true });
  if (result.success) return result.data;
  const problems = fieldErrorsOf(result.error, (path) => path.map(String).join('.') || '(form)');
  const first = problems[0];
  throw new AppError(
    'validation_failed',
    problems.length === 1 && first ? first.message : `${problems.length} problems with the form`,
    problems,
  );
}
