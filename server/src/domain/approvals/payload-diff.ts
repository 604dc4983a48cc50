import { findJsonShapeProblem } from '@loopgate/shared';
import { createTwoFilesPatch, diffLines, FILE_HEADERS_ONLY } from 'diff';
import type { JsonValue } from '../tasks/task-record.js';

export interface DiffLine {
  op: 'same' | 'add' | 'remove';
  text: string;
}

/**
 * Myers' diff costs time that grows with the square of the number of edits; a reviewer who rewrote a megabyte
 * payload would hold the decision request for seconds. Past this many edits the diff falls back to
 * "every line removed, every line added", which is still a correct (if unhelpful) description.
 */
const MAX_EDIT_LENGTH = 1_000;

/** How a payload is shown and edited: JSON pretty-printed with two-space indents, text as is. */
export function payloadText(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Every line of both texts, marked same/add/remove: the preview a reviewer checks before confirming an edit. */
export function lineDiff(before: string, after: string): DiffLine[] {
  const changes = diffLines(`${before}\n`, `${after}\n`, { maxEditLength: MAX_EDIT_LENGTH });
  if (!changes) {
    return [
      ...splitLines(before).map((text) => ({ op: 'remove' as const, text })),
      ...splitLines(after).map((text) => ({ op: 'add' as const, text })),
    ];
  }
  return changes.flatMap((change) => {
    const op = change.added ? 'add' : change.removed ? 'remove' : 'same';
    return splitLines(change.value).map((text) => ({ op, text }));
  });
}

/**
 * The diff stored with an approve-with-modifications decision: a unified diff (three lines of
 * context) from the original payload's text to the modified one, as `diff -u` or `git diff` would
 * print it, so API clients and webhook receivers can show or apply it with ordinary tools.
 */
export function unifiedPayloadDiff(original: JsonValue, modified: JsonValue): string {
  const before = `${payloadText(original)}\n`;
  const after = `${payloadText(modified)}\n`;
  const patch = createTwoFilesPatch('original', 'modified', before, after, undefined, undefined, {
    context: 3,
    maxEditLength: MAX_EDIT_LENGTH,
    headerOptions: FILE_HEADERS_ONLY,
  });
  if (patch !== undefined) return patch;
  const a = splitLines(before);
  const b = splitLines(after);
  return [
    '--- original',
    '+++ modified',
    `@@ -1,${a.length} +1,${b.length} @@`,
    ...a.map((line) => `-${line}`),
    ...b.map((line) => `+${line}`),
    '',
  ].join('\n');
}

/** A stored unified diff as lines for the page: hunk headers, context, additions, removals. */
export function unifiedDiffLines(diff: string): { kind: 'header' | 'hunk' | DiffLine['op']; text: string }[] {
  return splitLines(diff).map((line) => {
    if (line.startsWith('--- ') || line.startsWith('+++ ')) return { kind: 'header', text: line };
    if (line.startsWith('@@')) return { kind: 'hunk', text: line };
    if (line.startsWith('+')) return { kind: 'add', text: line.slice(1) };
    if (line.startsWith('-')) return { kind: 'remove', text: line.slice(1) };
    return { kind: 'same', text: line.slice(1) };
  });
}

/** Parses what the reviewer typed into the payload editor, the same kind as the original payload. */
export function parseEditedPayload(
  original: JsonValue,
  edited: string,
): { ok: true; value: JsonValue } | { ok: false; error: string } {
  if (typeof original === 'string') return { ok: true, value: edited.replace(/\r\n/g, '\n') };
  let value: JsonValue;
  try {
    value = JSON.parse(edited) as JsonValue;
  } catch (error) {
    return { ok: false, error: `The payload is not valid JSON: ${(error as Error).message}` };
  }
  const problem = findJsonShapeProblem(value);
  if (problem)
    return { ok: false, error: `The payload ${problem.path ? `at ${problem.path} ` : ''}${problem.message}.` };
  return { ok: true, value };
}

/** One changed value, named by its path in the payload: `refund.amount: 480 → 100`. */
export interface FieldChange {
  /** `refund.amount`, `lines[2].qty`, `["odd key"]`; empty for the payload as a whole. */
  path: string;
  op: 'changed' | 'added' | 'removed';
  /** Compact JSON of the value before (absent when added) and after (absent when removed). */
  before?: string;
  after?: string;
}

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;

function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (PLAIN_KEY.test(key)) return parent === '' ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

function isObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value as one line of the change list: strings quoted, objects and arrays as compact JSON. */
export function compactValue(value: JsonValue): string {
  return JSON.stringify(value);
}

/**
 * The leaves that differ between two payloads, in payload order, each with its path: the list a
 * reviewer reads before confirming an edit and that the stored decision shows, and its length is
 * the change count ("Approved with 2 changes"). Objects are compared key by key and arrays index by
 * index; a value whose type changed (or a text payload) is one change at its own path.
 */
export function fieldChanges(original: JsonValue, modified: JsonValue): FieldChange[] {
  const changes: FieldChange[] = [];
  const walk = (path: string, before: JsonValue, after: JsonValue) => {
    if (isObject(before) && isObject(after)) {
      for (const key of Object.keys(before)) {
        const next = childPath(path, key);
        if (!(key in after)) changes.push({ path: next, op: 'removed', before: compactValue(before[key]!) });
        else walk(next, before[key]!, after[key]!);
      }
      for (const key of Object.keys(after)) {
        if (!(key in before))
          changes.push({ path: childPath(path, key), op: 'added', after: compactValue(after[key]!) });
      }
      return;
    }
    if (Array.isArray(before) && Array.isArray(after)) {
      const shared = Math.min(before.length, after.length);
      for (let i = 0; i < shared; i++) walk(childPath(path, i), before[i]!, after[i]!);
      for (let i = shared; i < before.length; i++) {
        changes.push({ path: childPath(path, i), op: 'removed', before: compactValue(before[i]!) });
      }
      for (let i = shared; i < after.length; i++) {
        changes.push({ path: childPath(path, i), op: 'added', after: compactValue(after[i]!) });
      }
      return;
    }
    if (compactValue(before) !== compactValue(after)) {
      changes.push({ path, op: 'changed', before: compactValue(before), after: compactValue(after) });
    }
  };
  walk('', original, modified);
  return changes;
}

/** True when the two payloads are the same value (key order aside), i.e. the reviewer changed nothing. */
export function samePayload(a: JsonValue, b: JsonValue): boolean {
  return fieldChanges(a, b).length === 0;
}
