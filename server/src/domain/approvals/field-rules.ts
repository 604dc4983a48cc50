import { type Condition, type FieldCondition, type FieldOperator, parsePointer } from '@loopgate/shared';
import { RE2JS } from 're2js';
import type { JsonValue } from '../tasks/task-record.js';

/**
 * Evaluates payload and context conditions (shared/src/field-conditions.ts) for routing. The
 * semantics, which docs/approvals.md states for admins:
 * - A missing field matches nothing, except `exists` with value false. So `ne` and `nin` need the
 *   field present; use `not` + `exists` to catch its absence.
 * - gt/gte/lt/lte compare a number with a number, or a string with a string (by code point, which
 *   orders ISO dates); anything else does not match: the string "10000" is not greater than 9000.
 * - eq/ne/in/nin compare JSON values structurally (member order does not matter, 1 equals 1.0).
 * - contains: a substring of a string, or an element (structurally equal) of a list.
 * - matches: an RE2 pattern found anywhere in a string (anchor with ^ and $); non-strings never match.
 */

export interface ConditionResult {
  matched: boolean;
  /** Names the field and the value, both ways: "amount 50000 > 10000", "amount 5 is not > 10000". */
  reason: string;
}

export interface ConditionDocuments {
  payload: JsonValue;
  context: JsonValue | null;
}

const SYMBOLS: Record<FieldOperator, string> = {
  eq: '=',
  ne: '≠',
  gt: '>',
  gte: '≥',
  lt: '<',
  lte: '≤',
  in: 'is one of',
  nin: 'is not one of',
  exists: 'exists',
  contains: 'contains',
  matches: 'matches',
};

/** Agent-written values end up in a reason a reviewer reads; keep them short (pages escape them). */
const MAX_VALUE_TEXT = 60;

function valueText(value: JsonValue | undefined): string {
  const json = JSON.stringify(value) ?? 'nothing';
  return json.length > MAX_VALUE_TEXT ? `${json.slice(0, MAX_VALUE_TEXT - 1)}…` : json;
}

function fieldLabel(condition: FieldCondition): string {
  const tokens = parsePointer(condition.path) ?? [condition.path];
  return `${condition.in === 'context' ? 'context.' : ''}${tokens.join('.')}`;
}

type Lookup = { found: true; value: JsonValue } | { found: false };

/** Follows the pointer through objects (own members only) and lists (canonical indexes). */
export function resolvePointer(document: JsonValue | null, pointer: string): Lookup {
  const tokens = parsePointer(pointer);
  if (!tokens) return { found: false };
  let current: JsonValue | null = document;
  for (const token of tokens) {
    if (Array.isArray(current)) {
      if (!/^(0|[1-9]\d*)$/.test(token) || Number(token) >= current.length) return { found: false };
      current = current[Number(token)] as JsonValue;
    } else if (current !== null && typeof current === 'object' && Object.hasOwn(current, token)) {
      current = current[token] as JsonValue;
    } else {
      return { found: false };
    }
  }
  return { found: true, value: current as JsonValue };
}

export function jsonEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((x, i) => jsonEqual(x, b[i] as JsonValue))
    );
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length &&
    keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key] as JsonValue, b[key] as JsonValue))
  );
}

/** Compiled patterns, by source: routing sees the same few patterns on every task. */
const compiled = new Map<string, RE2JS>();
const MAX_COMPILED = 500;

function patternFor(source: string): RE2JS {
  let pattern = compiled.get(source);
  if (!pattern) {
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    pattern = RE2JS.compile(source);
    compiled.set(source, pattern);
  }
  return pattern;
}

function compare(actual: JsonValue, expected: JsonValue): number | null {
  if (typeof actual === 'number' && typeof expected === 'number') return actual - expected;
  if (typeof actual === 'string' && typeof expected === 'string')
    return actual < expected ? -1 : actual > expected ? 1 : 0;
  return null;
}

function testField(op: FieldOperator, actual: JsonValue, expected: JsonValue | undefined): boolean {
  switch (op) {
    case 'eq':
      return jsonEqual(actual, expected as JsonValue);
    case 'ne':
      return !jsonEqual(actual, expected as JsonValue);
    case 'in':
      return Array.isArray(expected) && expected.some((option) => jsonEqual(actual, option));
    case 'nin':
      return Array.isArray(expected) && !expected.some((option) => jsonEqual(actual, option));
    case 'exists':
      return expected !== false;
    case 'contains':
      if (typeof actual === 'string') return typeof expected === 'string' && actual.includes(expected);
      return Array.isArray(actual) && actual.some((element) => jsonEqual(element, expected as JsonValue));
    case 'matches':
      return typeof actual === 'string' && typeof expected === 'string' && patternFor(expected).matcher(actual).find();
    default: {
      const order = compare(actual, expected as JsonValue);
      if (order === null) return false;
      return op === 'gt' ? order > 0 : op === 'gte' ? order >= 0 : op === 'lt' ? order < 0 : order <= 0;
    }
  }
}

function evaluateField(condition: FieldCondition, documents: ConditionDocuments): ConditionResult {
  const label = fieldLabel(condition);
  const document = condition.in === 'context' ? documents.context : documents.payload;
  const found = resolvePointer(document, condition.path);
  const symbol = SYMBOLS[condition.op];
  if (condition.op === 'exists') {
    const wanted = condition.value !== false;
    const matched = found.found === wanted;
    return { matched, reason: `${label} is ${found.found ? 'present' : 'missing'}` };
  }
  const expected = condition.op === 'matches' ? `/${condition.value}/` : valueText(condition.value);
  if (!found.found) return { matched: false, reason: `${label} is missing` };
  const matched = testField(condition.op, found.value, condition.value);
  const actual = valueText(found.value);
  if (matched) return { matched, reason: `${label} ${actual} ${symbol} ${expected}` };
  const typeNote =
    ['gt', 'gte', 'lt', 'lte'].includes(condition.op) && compare(found.value, condition.value as JsonValue) === null
      ? ` (a ${jsonType(found.value)} is not compared with a ${jsonType(condition.value as JsonValue)})`
      : '';
  return { matched, reason: `${label} ${actual} is not ${symbol} ${expected}${typeNote}` };
}

function jsonType(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  return typeof value === 'object' ? 'object' : typeof value;
}

export function evaluateCondition(condition: Condition, documents: ConditionDocuments): ConditionResult {
  switch (condition.type) {
    case 'field':
      return evaluateField(condition, documents);
    case 'not': {
      const inner = evaluateCondition(condition.rule, documents);
      return { matched: !inner.matched, reason: inner.matched ? `not (${inner.reason})` : inner.reason };
    }
    case 'all': {
      const results = condition.rules.map((rule) => evaluateCondition(rule, documents));
      const failed = results.find((result) => !result.matched);
      if (failed) return { matched: false, reason: failed.reason };
      return { matched: true, reason: results.map((result) => result.reason).join(' and ') };
    }
    case 'any': {
      const results = condition.rules.map((rule) => evaluateCondition(rule, documents));
      const hit = results.find((result) => result.matched);
      if (hit) return hit;
      return { matched: false, reason: results.map((result) => result.reason).join(' and ') };
    }
  }
}

/** The condition in words, without a task: what the queue summary and policy warnings say it matches. */
export function describeCondition(condition: Condition): string {
  switch (condition.type) {
    case 'field': {
      const label = fieldLabel(condition);
      if (condition.op === 'exists') return `${label} is ${condition.value === false ? 'missing' : 'present'}`;
      const expected = condition.op === 'matches' ? `/${condition.value}/` : valueText(condition.value);
      return `${label} ${SYMBOLS[condition.op]} ${expected}`;
    }
    case 'not':
      return `not (${describeCondition(condition.rule)})`;
    case 'all':
      return condition.rules
        .map((rule) => (rule.type === 'any' ? `(${describeCondition(rule)})` : describeCondition(rule)))
        .join(' and ');
    case 'any':
      return condition.rules
        .map((rule) => (rule.type === 'all' ? `(${describeCondition(rule)})` : describeCondition(rule)))
        .join(' or ');
  }
}
