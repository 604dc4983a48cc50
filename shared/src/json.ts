/**
 * JSON helpers every package shares (no dependencies, so the n8n node and the Zapier app bundle them).
 *
 * Limits on the shape of JSON the API accepts, checked once on the parsed body before any schema runs.
 * Schema validators recurse, so a body nested a few thousand levels deep overflows the stack; and a
 * string holding half a surrogate pair cannot be stored as UTF-8 (the database would keep U+FFFD), so
 * what the API echoed would differ from what it stored. Both are refused up front with a 400.
 */
export const MAX_JSON_DEPTH = 64;

export interface JsonShapeProblem {
  /** JSON path of the offending value, e.g. `payload.items[2].note` (empty for the top level). */
  path: string;
  message: string;
}

// A high surrogate not followed by a low one, or a low one not preceded by a high one. (String's
// isWellFormed() says the same but is ES2024, newer than some runtimes this package is bundled into.)
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function joinPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent ? `${parent}.${key}` : key;
}

/**
 * The first problem with `value`'s shape, or null. Walks with an explicit stack (never recursion), so
 * it is safe on exactly the inputs it exists to refuse. Depth counts containers: `{}` is 1, `{"a":[]}` 2.
 */
export function findJsonShapeProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): JsonShapeProblem | null {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: '', depth: 0 }];
  while (stack.length > 0) {
    const item = stack.pop() as { value: unknown; path: string; depth: number };
    const current = item.value;
    if (typeof current === 'string') {
      if (LONE_SURROGATE.test(current)) return loneSurrogate(item.path);
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    const depth = item.depth + 1;
    if (depth > maxDepth) {
      return { path: item.path, message: `JSON may be nested at most ${maxDepth} levels deep` };
    }
    if (Array.isArray(current)) {
      current.forEach((child, index) => {
        stack.push({ value: child, path: joinPath(item.path, index), depth });
      });
      continue;
    }
    for (const [key, child] of Object.entries(current as Record<string, unknown>)) {
      const path = joinPath(item.path, key);
      if (LONE_SURROGATE.test(key)) return loneSurrogate(path);
      stack.push({ value: child, path, depth });
    }
  }
  return null;
}

function loneSurrogate(path: string): JsonShapeProblem {
  return {
    path,
    message: 'contains a lone UTF-16 surrogate (half of a \\ud83d\\ude00-style pair), which is not valid Unicode text',
  };
}

/**
 * `value` as RFC 8785 (JSON Canonicalization Scheme) text, so two serialisations of the same JSON value
 * compare equal byte for byte: object members sorted by their names' UTF-16 code units, no whitespace,
 * strings and numbers as ECMAScript's JSON.stringify writes them (RFC 8785 §3.2.2 adopts exactly that
 * serialisation, which is why this is a few lines and not a library).
 *
 * RFC 8785 takes I-JSON (RFC 7493) as input, so what JSON.stringify would quietly turn into `null` or drop
 * is refused with a TypeError naming its path: NaN and ±Infinity, lone surrogates, `undefined`, functions,
 * symbols and bigints. Walks with an explicit stack, like {@link findJsonShapeProblem}, so a deeply nested
 * value from an untrusted body cannot overflow the call stack.
 */
export function canonicalJson(value: unknown): string {
  // Popped last-in first-out: a string is text to append; an object is a value still to be written.
  const steps: (string | { value: unknown; path: string })[] = [{ value, path: '' }];
  let text = '';
  while (steps.length > 0) {
    const step = steps.pop() as string | { value: unknown; path: string };
    if (typeof step === 'string') {
      text += step;
      continue;
    }
    const { value: current, path } = step;
    if (Array.isArray(current)) {
      text += '[';
      steps.push(']');
      for (let index = current.length - 1; index >= 0; index--) {
        steps.push({ value: current[index], path: joinPath(path, index) });
        if (index > 0) steps.push(',');
      }
    } else if (current !== null && typeof current === 'object') {
      // The default sort compares UTF-16 code units, the order RFC 8785 §3.2.3 prescribes.
      const keys = Object.keys(current).sort();
      text += '{';
      steps.push('}');
      for (let index = keys.length - 1; index >= 0; index--) {
        const key = keys[index] as string;
        const memberPath = joinPath(path, key);
        if (LONE_SURROGATE.test(key)) throw notCanonicalizable(memberPath, 'has a name with a lone UTF-16 surrogate');
        steps.push({ value: (current as Record<string, unknown>)[key], path: memberPath });
        steps.push(`${index > 0 ? ',' : ''}${JSON.stringify(key)}:`);
      }
    } else {
      text += canonicalPrimitive(current, path);
    }
  }
  return text;
}

function canonicalPrimitive(value: unknown, path: string): string {
  switch (typeof value) {
    case 'string':
      if (LONE_SURROGATE.test(value)) throw notCanonicalizable(path, 'contains a lone UTF-16 surrogate');
      return JSON.stringify(value);
    case 'number':
      // For finite numbers JSON.stringify is ECMAScript's Number::toString, the form RFC 8785 §3.2.2.3 requires.
      if (!Number.isFinite(value)) throw notCanonicalizable(path, `is ${value}, which JSON cannot represent`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': // only null gets here; arrays and objects are walked
      return 'null';
    default:
      throw notCanonicalizable(path, `is of type ${typeof value}, which JSON cannot represent`);
  }
}

function notCanonicalizable(path: string, problem: string): TypeError {
  return new TypeError(`Cannot canonicalise JSON: ${path === '' ? 'the value' : path} ${problem}`);
}

/**
 * The SHA-256 (lowercase hex) of `value`'s RFC 8785 canonical JSON: what a decision's `payloadDigest`
 * is, so an agent can prove that what it executes is exactly what a reviewer approved, whatever its
 * JSON library does with member order or whitespace. WebCrypto, so it runs wherever `shared` does.
 */
export async function payloadDigest(value: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(canonicalJson(value));
  const hash = await globalThis.crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(hash), (byte) => byte.toString(16).padStart(2, '0')).join('');
}
