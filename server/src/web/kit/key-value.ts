import type { JsonValue } from '../../domain/tasks/task-record.js';

/** Indentation stops here; deeper values still show, at this depth, with their full path in the key. */
export const MAX_KV_DEPTH = 6;

/** One row of the payload's key/value view: a key with its value, or an object/array's heading. */
export interface KeyValueRow {
  depth: number;
  /** The property name or `[index]`; null for a text payload or a bare value. */
  key: string | null;
  /** The value as text (strings as written, never quoted); null on an object's or array's heading. */
  value: string | null;
  kind: 'string' | 'number' | 'boolean' | 'null' | 'object' | 'array';
  /** On a heading: it has nothing inside ("empty list", "empty object"). */
  empty?: boolean;
}

function kindOf(value: JsonValue): KeyValueRow['kind'] {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value as 'string' | 'number' | 'boolean' | 'object';
}

/**
 * A payload as rows a non-technical reviewer reads: nested objects and arrays as indented headings
 * with their contents below them, strings as written (the template wraps long text). The JSON
 * itself stays one click away on the page.
 */
export function keyValueRows(value: JsonValue): KeyValueRow[] {
  const rows: KeyValueRow[] = [];
  const visit = (key: string | null, item: JsonValue, depth: number) => {
    const kind = kindOf(item);
    const shown = Math.min(depth, MAX_KV_DEPTH);
    if (kind === 'object' || kind === 'array') {
      const entries: [string, JsonValue][] = Array.isArray(item)
        ? item.map((child, i) => [`[${i}]`, child])
        : Object.entries(item as { [key: string]: JsonValue });
      if (key !== null || depth > 0) rows.push({ depth: shown, key, value: null, kind, empty: entries.length === 0 });
      for (const [childKey, child] of entries) visit(childKey, child, key === null && depth === 0 ? 0 : depth + 1);
      if (key === null && depth === 0 && entries.length === 0)
        rows.push({ depth: 0, key: null, value: null, kind, empty: true });
      return;
    }
    rows.push({ depth: shown, key, value: kind === 'string' ? (item as string) : JSON.stringify(item), kind });
  };
  visit(null, value, 0);
  return rows;
}
