import { randomBytes } from 'node:crypto';

/**
 * Public ids carry a prefix saying what they name (`tsk_…`), so a support ticket or log line is
 * readable without a lookup. The body starts with the creation time so ids sort roughly by age,
 * which keeps MySQL's clustered index appends local; the rest is random.
 */
export const ID_PREFIXES = {
  task: 'tsk',
  workspace: 'wsp',
  user: 'usr',
  apiKey: 'key',
  event: 'evt',
  queue: 'que',
  group: 'grp',
  webhook: 'whk',
  delivery: 'msg',
  slackIntegration: 'slk',
  audit: 'aud',
  savedView: 'vew',
  halt: 'hlt',
  grant: 'grt',
} as const;
export type IdKind = keyof typeof ID_PREFIXES;

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

function encodeTime(ms: number, length: number): string {
  let out = '';
  let rest = ms;
  for (let i = 0; i < length; i++) {
    out = ALPHABET[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

function randomChars(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += ALPHABET[byte & 31];
  return out;
}

export function newId(kind: IdKind, now = Date.now()): string {
  return `${ID_PREFIXES[kind]}_${encodeTime(now, 9)}${randomChars(16)}`;
}

/** A secret with a visible prefix: `lg_<8 public chars>_<40 secret chars>` (200 random bits); the public part identifies it in lists. */
export function newApiKeySecret(): { key: string; prefix: string } {
  const prefix = randomChars(8);
  return { key: `lg_${prefix}_${randomChars(40)}`, prefix: `lg_${prefix}` };
}
