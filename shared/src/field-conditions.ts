import { RE2JS } from 're2js';
import { z } from 'zod';
import { MAX_FORM_POINTER_LENGTH, parsePointer } from './forms.js';
import { jsonValueSchema } from './task.js';

/**
 * Conditions on what the agent is about to do, as routing rules read it: a test on one field of the
 * payload or context (`field`), or `all` / `any` / `not` of other conditions. The agent writes the
 * payload, so nothing here may be made slow by it: `matches` compiles with RE2 (re2js), whose
 * matching time is linear in the text, never a backtracking engine.
 */

export const FIELD_OPERATORS = [
  'eq',
  'ne',
  'gt',
  'gte',
  'lt',
  'lte',
  'in',
  'nin',
  'exists',
  'contains',
  'matches',
] as const;
export type FieldOperator = (typeof FIELD_OPERATORS)[number];

/** How deep `all` / `any` / `not` may nest, and how many conditions one combinator may hold. */
export const MAX_CONDITION_DEPTH = 5;
export const MAX_CONDITIONS_PER_COMBINATOR = 20;
export const MAX_PATTERN_LENGTH = 256;
export const MAX_LIST_VALUES = 100;

export interface FieldCondition {
  type: 'field';
  /** Which document the pointer reads: the payload (default) or the context. */
  in?: 'payload' | 'context';
  /** A JSON Pointer (RFC 6901): "/amount", "/lines/0/sku", "/a~1b" for the member "a/b". */
  path: string;
  op: FieldOperator;
  value?: JsonValue;
}
export interface AllCondition {
  type: 'all';
  rules: Condition[];
}
export interface AnyCondition {
  type: 'any';
  rules: Condition[];
}
export interface NotCondition {
  type: 'not';
  rule: Condition;
}
/** A JSON document as routing reads it (the same shape as z.json()). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export type Condition = FieldCondition | AllCondition | AnyCondition | NotCondition;

const pointerSchema = z
  .string()
  .max(MAX_FORM_POINTER_LENGTH)
  .refine((pointer) => parsePointer(pointer) !== null, {
    message:
      'Must be a JSON Pointer to a field such as "/amount" or "/customer/tier" ("/"-separated, ~0 and ~1 escapes)',
  });

/** Why `pattern` cannot be used with `matches`, or null when RE2 compiles it. */
export function patternProblem(pattern: string): string | null {
  if (pattern.length > MAX_PATTERN_LENGTH) return `patterns are at most ${MAX_PATTERN_LENGTH} characters`;
  try {
    RE2JS.compile(pattern);
    return null;
  } catch (error) {
    // RE2 has no lookaround or backreferences: exactly what keeps matching linear-time.
    return `not a pattern RE2 accepts (${(error as Error).message}); lookaround and backreferences are not supported`;
  }
}

const isComparable = (value: unknown) => typeof value === 'number' || typeof value === 'string';

/** The value each operator needs: checked when the config is saved, so a rule never fails at routing time. */
function valueProblem(op: FieldOperator, value: JsonValue | undefined): string | null {
  switch (op) {
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return isComparable(value) ? null : `${op} compares with a number or a string; give "value"`;
    case 'in':
    case 'nin':
      if (!Array.isArray(value) || value.length === 0) return `${op} needs "value": a non-empty list`;
      return value.length > MAX_LIST_VALUES ? `${op} takes at most ${MAX_LIST_VALUES} values` : null;
    case 'exists':
      return value === undefined || typeof value === 'boolean'
        ? null
        : 'exists takes "value": true or false (default true)';
    case 'matches':
      return typeof value === 'string' ? patternProblem(value) : 'matches needs "value": a pattern (RE2 syntax)';
    default:
      return value === undefined ? `${op} needs "value"` : null;
  }
}

function depthOf(condition: Condition): number {
  switch (condition.type) {
    case 'field':
      return 1;
    case 'not':
      return 1 + depthOf(condition.rule);
    default:
      return 1 + Math.max(0, ...condition.rules.map(depthOf));
  }
}

/** The members a field test has, shared by a nested condition and a top-level rule (which adds levels). */
export const fieldConditionShape = {
  type: z.literal('field'),
  in: z.enum(['payload', 'context']).optional().describe('The document the path reads; default payload'),
  path: pointerSchema.describe('JSON Pointer into the payload (or context): "/amount", "/customer/tier"'),
  op: z
    .enum(FIELD_OPERATORS)
    .describe(
      'gt/gte/lt/lte compare numbers with numbers and strings with strings (a string "10000" is never greater than 9000); eq/ne/in/nin compare JSON values; contains: substring of a string or element of a list; matches: RE2 pattern on a string; exists: the path is present (value false: absent). A missing field matches nothing but exists false',
    ),
  value: jsonValueSchema.optional(),
};

export function checkFieldValue(
  condition: { op: FieldOperator; value?: JsonValue },
  ctx: z.RefinementCtx,
  path: (string | number)[] = [],
): void {
  const problem = valueProblem(condition.op, condition.value);
  if (problem) ctx.addIssue({ code: 'custom', path: [...path, 'value'], message: problem });
}

/** A fresh list schema per use: one shared instance would surface in the OpenAPI document unnamed. */
export function conditionListSchema() {
  return z.array(conditionSchema).min(1).max(MAX_CONDITIONS_PER_COMBINATOR);
}

export const conditionSchema: z.ZodType<Condition> = z
  .lazy(() =>
    z.discriminatedUnion('type', [
      z.strictObject(fieldConditionShape).superRefine((c, ctx) => checkFieldValue(c, ctx)),
      z.strictObject({ type: z.literal('all'), rules: conditionListSchema() }),
      z.strictObject({ type: z.literal('any'), rules: conditionListSchema() }),
      z.strictObject({ type: z.literal('not'), rule: conditionSchema }),
    ]),
  )
  .meta({ id: 'RoutingCondition' }) as z.ZodType<Condition>;

/** Refuses nesting deeper than MAX_CONDITION_DEPTH, counting the top-level rule as one. */
export function checkConditionDepth(condition: Condition, ctx: z.RefinementCtx): void {
  if (depthOf(condition) > MAX_CONDITION_DEPTH) {
    ctx.addIssue({ code: 'custom', message: `all/any/not nest at most ${MAX_CONDITION_DEPTH} deep` });
  }
}
