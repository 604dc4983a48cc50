import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Where a failed query's values hide: TypeORM's QueryFailedError keeps them in `parameters`, and
 * copies the driver's own fields onto itself, so mysql2's `sql` (the statement with every value
 * inlined) sits on the error and again on `driverError`.
 */
const VALUE_CARRYING_KEYS = new Set(['parameters', 'sql']);

/** MySQL quotes the offending value in a few messages: `Duplicate entry 'x' for key …`, `Incorrect … value: 'x' for column …`. */
const QUOTED_VALUE_IN_MESSAGE = /'[\s\S]*?' for (key|column)\b/g;
const MESSAGE_KEYS = new Set(['message', 'sqlMessage', 'stack']);

type Serialized = Record<string, unknown>;

function withoutValues(value: unknown, seen = new WeakSet<object>()): unknown {
  if (value === null || typeof value !== 'object') return value;
  // Plain objects and arrays only (serialized errors are plain): anything else is logged as pino would.
  const plain = Array.isArray(value) || (value as { constructor?: unknown }).constructor === Object;
  if (!plain) return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => withoutValues(item, seen));
  const clean: Serialized = {};
  for (const [key, field] of Object.entries(value)) {
    if (VALUE_CARRYING_KEYS.has(key)) continue;
    clean[key] =
      MESSAGE_KEYS.has(key) && typeof field === 'string'
        ? field.replace(QUOTED_VALUE_IN_MESSAGE, "'…' for $1")
        : withoutValues(field, seen);
  }
  return clean;
}

/**
 * The one serializer for `err` on every log line, the request logger's included. It keeps what
 * tells an operator what failed (type, message, code, errno, the statement text with its `?`
 * placeholders, the stack) and drops the values a failed query was run with: they hold reviewers'
 * comments, modified payloads and other text the log has no business keeping.
 * pino-http hands it an error already serialized by pino's standard serializer; anything else is
 * serialized here first.
 */
export function serializeError(error: unknown): unknown {
  return withoutValues(error instanceof Error ? pino.stdSerializers.err(error) : error);
}

export function createLogger(level: string, name = 'loopgate', destination?: DestinationStream): Logger {
  const options = { name, level, base: { pid: process.pid }, serializers: { err: serializeError } };
  return destination ? pino(options, destination) : pino(options);
}
