/**
 * Standard Webhooks (https://www.standardwebhooks.com) signing and verification.
 *
 * Every delivery carries three headers: `webhook-id` (unique per message, stable across retries, so
 * receivers can deduplicate), `webhook-timestamp` (unix seconds) and `webhook-signature`, which holds
 * one or more space-separated `v1,<base64 HMAC-SHA256>` entries over `<id>.<timestamp>.<body>`.
 * Signing the id and timestamp together with the body means neither can be swapped without breaking
 * the signature, which is what makes the replay window (see {@link DEFAULT_TOLERANCE_SECONDS}) work.
 * Following the spec rather than inventing a scheme lets receivers use any Standard Webhooks library.
 *
 * Why Web Crypto: @loopgate/shared is bundled into the n8n community node and may run in browsers, so
 * it must not touch `node:crypto` or `Buffer`. `globalThis.crypto.subtle` exists in Node 20+, browsers,
 * Deno, Bun and edge runtimes alike, and `crypto.subtle.verify` compares MACs in constant time, so
 * we never hand-roll a timing-safe comparison.
 */

export const WEBHOOK_ID_HEADER = 'webhook-id';
export const WEBHOOK_TIMESTAMP_HEADER = 'webhook-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'webhook-signature';

/** The three header names, lower-case (HTTP header names are case-insensitive). */
export const WEBHOOK_HEADERS = [WEBHOOK_ID_HEADER, WEBHOOK_TIMESTAMP_HEADER, WEBHOOK_SIGNATURE_HEADER] as const;
export type WebhookHeaderName = (typeof WEBHOOK_HEADERS)[number];
export type WebhookHeaders = Record<WebhookHeaderName, string>;

/** The prefix Standard Webhooks uses to make secrets recognisable (e.g. by secret scanners). */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/**
 * How far a delivery's timestamp may be from the receiver's clock, in either direction, by default.
 * An attacker who captured a signed delivery can resend it verbatim; bounding its age limits that
 * replay to this window (receivers wanting exactly-once should also remember `webhook-id`s for it).
 * Future timestamps are bounded too, otherwise a delivery signed "in the future" would stay
 * replayable for longer. Five minutes is the spec's recommendation and tolerates ordinary clock skew.
 */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const SIGNATURE_VERSION = 'v1';
const SECRET_BYTES = 32;
const HMAC_SHA256 = { name: 'HMAC', hash: 'SHA-256' } as const;

export type WebhookVerificationErrorReason =
  | 'missing_headers'
  | 'invalid_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_in_future'
  | 'invalid_signature'
  | 'invalid_secret';

/**
 * Thrown when a delivery cannot be trusted (or a secret cannot be used). Switch on `reason`, which is
 * a closed union; `message` is for humans and may change.
 */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';

  constructor(
    readonly reason: WebhookVerificationErrorReason,
    message: string,
  ) {
    super(message);
  }
}

/** A new endpoint secret: `whsec_` followed by base64 of 32 random bytes (256 bits, the HMAC-SHA256 block-size sweet spot). */
export function generateWebhookSecret(): string {
  const key = globalThis.crypto.getRandomValues(new Uint8Array(SECRET_BYTES));
  return WEBHOOK_SECRET_PREFIX + bytesToBase64(key);
}

/**
 * Sign one delivery. With several secrets (during rotation: old and new) the signature header carries
 * one `v1,` entry per secret, in the given order, so receivers still holding the old secret and those
 * already on the new one both accept it.
 *
 * `body` must be exactly the bytes that will be sent (sign the serialised string, then send that string).
 * Throws {@link WebhookVerificationError} `invalid_secret` for a malformed secret or an empty list (the same
 * check receivers get), and a RangeError/TypeError for a non-integer timestamp or an empty id (caller bugs).
 */
export async function signWebhook(
  secrets: string | string[],
  { id, timestamp, body }: { id: string; timestamp: number; body: string },
): Promise<WebhookHeaders> {
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  if (list.length === 0) {
    throw new WebhookVerificationError('invalid_secret', 'At least one webhook secret is required to sign');
  }
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new RangeError('The webhook timestamp must be a non-negative integer of unix seconds');
  }
  if (id === '') {
    throw new TypeError('The webhook id must not be empty');
  }
  const content = signedContent(id, String(timestamp), body);
  const signatures: string[] = [];
  for (const secret of list) {
    const key = await importKey(secret, 'sign');
    const mac = new Uint8Array(await globalThis.crypto.subtle.sign(HMAC_SHA256, key, content));
    signatures.push(`${SIGNATURE_VERSION},${bytesToBase64(mac)}`);
  }
  return {
    [WEBHOOK_ID_HEADER]: id,
    [WEBHOOK_TIMESTAMP_HEADER]: String(timestamp),
    [WEBHOOK_SIGNATURE_HEADER]: signatures.join(' '),
  };
}

export interface VerifyWebhookOptions {
  /** Maximum allowed distance between the delivery's timestamp and `now`, in seconds. Default 300. */
  toleranceSeconds?: number;
  /** The current time in unix seconds; defaults to the system clock. For tests. */
  now?: number;
}

/**
 * Verify a received delivery and return its id and timestamp. Resolves only if the timestamp is within
 * the tolerance and at least one `v1` signature in `webhook-signature` matches `secret` (so a delivery
 * signed with both old and new secrets during rotation verifies with either). Unknown signature versions
 * are ignored, as the spec requires.
 *
 * `headers` may be a plain object with any header-name casing (e.g. Node's `IncomingHttpHeaders`) or a
 * Fetch `Headers`. `body` must be the raw request body as received; re-serialising parsed JSON changes
 * bytes (spacing, key order, escapes) and breaks the signature. `secret` may be given with or without
 * the `whsec_` prefix.
 *
 * Throws {@link WebhookVerificationError} with the matching `reason` otherwise.
 */
export async function verifyWebhook(
  secret: string,
  headers: Record<string, string | string[] | undefined> | Headers,
  body: string,
  options: VerifyWebhookOptions = {},
): Promise<{ id: string; timestamp: number }> {
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (!Number.isFinite(tolerance) || tolerance < 0) {
    throw new RangeError('toleranceSeconds must be a non-negative finite number');
  }
  // Parse the secret first: a misconfigured receiver should learn that, not "invalid signature".
  const key = await importKey(secret, 'verify');

  const id = readHeader(headers, WEBHOOK_ID_HEADER);
  const rawTimestamp = readHeader(headers, WEBHOOK_TIMESTAMP_HEADER);
  const signatureHeader = readHeader(headers, WEBHOOK_SIGNATURE_HEADER);
  if (id === undefined || rawTimestamp === undefined || signatureHeader === undefined) {
    const missing = WEBHOOK_HEADERS.filter((name) => readHeader(headers, name) === undefined);
    throw new WebhookVerificationError('missing_headers', `Missing webhook header(s): ${missing.join(', ')}`);
  }

  const timestamp = /^\d+$/.test(rawTimestamp) ? Number(rawTimestamp) : Number.NaN;
  if (!Number.isSafeInteger(timestamp)) {
    throw new WebhookVerificationError(
      'invalid_timestamp',
      'The webhook-timestamp header is not an integer of unix seconds',
    );
  }
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (now - timestamp > tolerance) {
    throw new WebhookVerificationError(
      'timestamp_too_old',
      'The webhook timestamp is older than the allowed tolerance',
    );
  }
  if (timestamp - now > tolerance) {
    throw new WebhookVerificationError(
      'timestamp_in_future',
      'The webhook timestamp is further in the future than the allowed tolerance',
    );
  }

  // Sign over the header exactly as received, which is what the sender signed.
  const content = signedContent(id, rawTimestamp, body);
  for (const candidate of parseSignatures(signatureHeader)) {
    if (await globalThis.crypto.subtle.verify(HMAC_SHA256, key, candidate, content)) {
      return { id, timestamp };
    }
  }
  throw new WebhookVerificationError('invalid_signature', 'No matching webhook signature found');
}

function signedContent(id: string, timestamp: string, body: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`${id}.${timestamp}.${body}`);
}

/**
 * Decode `whsec_<base64>` (prefix optional) and import it as an HMAC-SHA256 key. (Return type inferred
 * rather than spelled `CryptoKey`, so this also type-checks under a Node-only lib without DOM.)
 */
async function importKey(secret: string, usage: 'sign' | 'verify') {
  if (typeof secret !== 'string') {
    throw new WebhookVerificationError('invalid_secret', 'The webhook secret must be a string');
  }
  const encoded = secret.startsWith(WEBHOOK_SECRET_PREFIX) ? secret.slice(WEBHOOK_SECRET_PREFIX.length) : secret;
  const bytes = base64ToBytes(encoded);
  if (bytes === undefined || bytes.length === 0) {
    throw new WebhookVerificationError(
      'invalid_secret',
      'The webhook secret is not valid base64 (optionally prefixed with whsec_)',
    );
  }
  return globalThis.crypto.subtle.importKey('raw', bytes, HMAC_SHA256, false, [usage]);
}

/**
 * The decoded `v1` signatures in a `webhook-signature` header. Entries are space-separated; a trailing
 * comma is also tolerated because Fetch `Headers` joins repeated header lines with ", ". Other versions
 * and undecodable entries are skipped rather than failing the whole header.
 */
function parseSignatures(header: string): Uint8Array<ArrayBuffer>[] {
  const result: Uint8Array<ArrayBuffer>[] = [];
  for (const token of header.split(/\s+/)) {
    const entry = token.endsWith(',') && token.indexOf(',') < token.length - 1 ? token.slice(0, -1) : token;
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== SIGNATURE_VERSION) continue;
    const bytes = base64ToBytes(entry.slice(comma + 1));
    if (bytes !== undefined && bytes.length > 0) result.push(bytes);
  }
  return result;
}

/** A header value, case-insensitively, or undefined if absent or empty. Repeated values are joined with a space. */
function readHeader(
  headers: Record<string, string | string[] | undefined> | Headers,
  name: string,
): string | undefined {
  let value: string | string[] | null | undefined;
  if (isFetchHeaders(headers)) {
    value = headers.get(name);
  } else {
    value = headers[name];
    if (value === undefined) {
      for (const key of Object.keys(headers)) {
        if (key.toLowerCase() === name) {
          value = headers[key];
          break;
        }
      }
    }
  }
  if (Array.isArray(value)) value = value.join(' ');
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function isFetchHeaders(headers: object): headers is Headers {
  if (typeof Headers !== 'undefined' && headers instanceof Headers) return true;
  // Duck-type Headers from another realm or polyfill (e.g. node-fetch in an n8n host).
  const candidate = headers as { get?: unknown; has?: unknown; forEach?: unknown };
  return (
    typeof candidate.get === 'function' &&
    typeof candidate.has === 'function' &&
    typeof candidate.forEach === 'function'
  );
}

// Base64 via btoa/atob rather than Buffer, which does not exist in browsers.

function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Strict standard-alphabet base64 (padding optional); undefined if malformed. atob alone accepts whitespace. */
function base64ToBytes(encoded: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.replace(/=+$/, '').length % 4 === 1) return undefined;
  let binary: string;
  try {
    binary = atob(encoded);
  } catch {
    return undefined;
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
