/**
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
