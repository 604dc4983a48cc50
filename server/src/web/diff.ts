import type { JsonValue } from '../domain/task-record.js';

export interface DiffLine {
  op: 'same' | 'add' | 'remove';
  text: string;
}

/** How a payload is shown and edited: JSON pretty-printed with two-space indents, text as is. */
export function payloadText(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

const MAX_CELLS = 4_000_000;

/**
 * A line diff (longest common subsequence) of two texts, for the reviewer to check an edit before
 * confirming it and for the decision's history. Payloads are bounded by the body limit; a diff too
 * large for the table falls back to "all removed, all added", which is still correct.
 */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  if (a.length * b.length > MAX_CELLS) {
    return [...a.map((text) => ({ op: 'remove' as const, text })), ...b.map((text) => ({ op: 'add' as const, text }))];
  }
  const width = b.length + 1;
  const table = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      table[i * width + j] =
        a[i] === b[j]
          ? (table[(i + 1) * width + j + 1] ?? 0) + 1
          : Math.max(table[(i + 1) * width + j] ?? 0, table[i * width + j + 1] ?? 0);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ op: 'same', text: a[i] ?? '' });
      i++;
      j++;
    } else if ((table[(i + 1) * width + j] ?? 0) >= (table[i * width + j + 1] ?? 0)) {
      out.push({ op: 'remove', text: a[i++] ?? '' });
    } else {
      out.push({ op: 'add', text: b[j++] ?? '' });
    }
  }
  while (i < a.length) out.push({ op: 'remove', text: a[i++] ?? '' });
  while (j < b.length) out.push({ op: 'add', text: b[j++] ?? '' });
  return out;
}

/** Parses what the reviewer typed into the payload editor, the same kind as the original payload. */
export function parseEditedPayload(
  original: JsonValue,
  edited: string,
): { ok: true; value: JsonValue } | { ok: false; error: string } {
  if (typeof original === 'string') return { ok: true, value: edited.replace(/\r\n/g, '\n') };
  try {
    return { ok: true, value: JSON.parse(edited) as JsonValue };
  } catch (error) {
    return { ok: false, error: `The payload is not valid JSON: ${(error as Error).message}` };
  }
}
