import { isIP } from 'node:net';
import {
  type ClassificationFinding,
  DETECTOR_LABELS,
  type DetectorConfig,
  type DetectorKind,
  detectorLabel,
  RISK_LEVELS,
  type RiskLevel,
  type TaskClassification,
} from '@loopgate/shared';
import { electronicFormatIBAN, getCountrySpecifications, isValidIBAN } from 'ibantools';
import { findPhoneNumbersInText, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { RE2JS } from 're2js';
import type { JsonValue } from '../tasks/task-record.js';

/**
 * Sensitive-data detectors (issue 17 item 2). Pure: no I/O, no clock. They read the string leaves
 * of the payload and context — numbers are not scanned: a card number sent as a JSON number beyond
 * 2^53 has already lost digits, and every other detector's data is textual. Object keys are not
 * scanned either; values are.
 *
 * The agent writes what is scanned, so the work is bounded whatever it sends: at most
 * MAX_SCANNED_CHARS characters, MAX_SCANNED_LEAVES strings, MAX_SCAN_DEPTH levels of nesting and
 * MAX_WALKED_NODES values walked. Past a cap the scan stops and the result says `truncated: true`
 * (never a silent pass). Every built-in pattern below is written so that it cannot backtrack
 * super-linearly (bounded repetitions, disjoint classes around separators); custom patterns compile
 * with RE2 (re2js), which is linear-time.
 */

export const MAX_SCANNED_CHARS = 256 * 1024;
export const MAX_SCANNED_LEAVES = 10_000;
export const MAX_SCAN_DEPTH = 32;
export const MAX_WALKED_NODES = 50_000;
/** Paths kept per finding; more marks the result truncated (previews then show field names only). */
export const MAX_PATHS_PER_FINDING = 100;

/** A detected value inside one string: [start, end) in UTF-16 code units. */
export interface Span {
  start: number;
  end: number;
}

/**
 * What one scan may still spend on the costly checks: libphonenumber runs on each phone-shaped
 * window (tens of microseconds each), so a payload of thousands of "+1234567" cannot buy seconds.
 * Past the budget the windows are not checked and the scan reports itself truncated.
 */
export interface ScanBudget {
  phoneChecks: number;
  exhausted: boolean;
}
export const MAX_PHONE_CHECKS = 500;
export const freshBudget = (): ScanBudget => ({ phoneChecks: MAX_PHONE_CHECKS, exhausted: false });

type SpanFinder = (text: string, budget?: ScanBudget) => Span[];

function allMatches(text: string, pattern: RegExp, accept: (match: RegExpExecArray) => Span | null): Span[] {
  const spans: Span[] = [];
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const span = accept(match);
    if (span) spans.push(span);
    if (match[0].length === 0) pattern.lastIndex++;
  }
  return spans;
}

const whole = (match: RegExpExecArray): Span => ({ start: match.index, end: match.index + match[0].length });

// ——— e-mail ———

// Local part, "@", labels, a letter-only TLD: "user@localhost" and "a@b.c1" are not addresses.
// Separators ("." and "@") are outside the classes they separate, so nothing backtracks.
// The look-behind starts a match only where a local part can start, so a run of local characters
// is tried once, not once per character.
const EMAIL =
  /(?<![A-Za-z0-9._%+-])[A-Za-z0-9_%+-](?:[A-Za-z0-9._%+-]{0,63})@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}(?![A-Za-z0-9-])/g;

export const findEmails: SpanFinder = (text) =>
  text.length >= 6 && text.includes('@') ? allMatches(text, EMAIL, whole) : [];

// ——— phone numbers ———

/**
 * International format only ("+44 20 7946 0958", "+1 415-555-2671"), validated against
 * libphonenumber's metadata: without a "+", digits are as likely an amount, an order number or a
 * date as a phone, and no default country fits every workspace. A national number ("415 555 2671")
 * is therefore not found — a custom pattern can cover a known local format.
 */
// A "+", a digit, then digits and the usual separators, ending on a digit: bounded, so one string
// of regex bait is walked once; libphonenumber then looks only at these short windows.
const PHONE_CANDIDATE = /(?<![\d+])\+\d[\d \t()./-]{5,24}\d/g;

export const findPhones: SpanFinder = (text, budget = freshBudget()) => {
  if (text.length < 8 || !text.includes('+')) return [];
  return allMatches(text, PHONE_CANDIDATE, (match) => {
    if (budget.phoneChecks <= 0) {
      budget.exhausted = true;
      return null;
    }
    budget.phoneChecks--;
    // The whole window as one number first (the usual case, and several times cheaper than a search).
    const number = parsePhoneNumberFromString(match[0]);
    if (number?.isValid()) return { start: match.index, end: match.index + match[0].length };
    const found = findPhoneNumbersInText(match[0]).find((number) => number.number.isValid());
    return found ? { start: match.index + found.startsAt, end: match.index + found.endsAt } : null;
  });
};

// ——— IBAN ———

const IBAN_CANDIDATE = /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){10,32}/g;
const IBAN_LENGTHS: Readonly<Record<string, number | undefined>> = Object.fromEntries(
  Object.entries(getCountrySpecifications()).map(([code, spec]) => [code, spec.chars ?? undefined]),
);

/**
 * Country code, check digits, BBAN (grouped by single spaces or not), cut to the country's length
 * and checked with ibantools (mod-97 checksum and the country's BBAN format): an IBAN with a bad
 * checksum is not an IBAN.
 */
export const findIbans: SpanFinder = (text) =>
  text.length < 15
    ? []
    : allMatches(text, IBAN_CANDIDATE, (match) => {
        const country = match[0].slice(0, 2).toUpperCase();
        const length = IBAN_LENGTHS[country];
        if (length === undefined) return null;
        // Walk the candidate until `length` alphanumerics are taken, so trailing words are not part of it.
        let taken = 0;
        let end = 0;
        while (end < match[0].length && taken < length) {
          if (match[0][end] !== ' ') taken++;
          end++;
        }
        if (taken < length) return null;
        const after = match[0][end];
        if (after !== undefined && after !== ' ') return null; // glued to more characters: part of something else
        const iban = electronicFormatIBAN(match[0].slice(0, end).toUpperCase());
        return iban && isValidIBAN(iban) ? { start: match.index, end: match.index + end } : null;
      });

// ——— payment cards ———

// 13–19 digits, optionally grouped by single spaces or dashes, not glued to other digits.
const CARD_CANDIDATE = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])/g;

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let index = 0; index < digits.length; index++) {
    let digit = digits.charCodeAt(digits.length - 1 - index) - 48;
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** Whether the issuer prefix (IIN) and length fit a card network; a Luhn-valid number outside them is not a card. */
export function cardPrefixValid(digits: string): boolean {
  const n = digits.length;
  const p2 = Number(digits.slice(0, 2));
  const p3 = Number(digits.slice(0, 3));
  const p4 = Number(digits.slice(0, 4));
  if (digits[0] === '4') return n === 13 || n === 16 || n === 19; // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16; // Mastercard
  if (p2 === 34 || p2 === 37) return n === 15; // American Express
  if (p4 === 6011 || p2 === 65 || (p3 >= 644 && p3 <= 649) || p2 === 62) return n >= 16 && n <= 19; // Discover, UnionPay
  if (p4 >= 3528 && p4 <= 3589) return n >= 16 && n <= 19; // JCB
  if (p2 === 36 || p2 === 38 || p2 === 39 || (p3 >= 300 && p3 <= 305)) return n >= 14 && n <= 19; // Diners Club
  if (p2 === 50 || (p2 >= 56 && p2 <= 69)) return n >= 13 && n <= 19; // Maestro
  return false;
}

export const findCards: SpanFinder = (text) =>
  text.length < 13
    ? []
    : allMatches(text, CARD_CANDIDATE, (match) => {
        const separators = match[0].match(/[ -]/g);
        // One kind of separator only: "4111-1111 1111-1111" is not how anyone writes a card.
        if (separators && new Set(separators).size > 1) return null;
        const digits = match[0].replace(/[ -]/g, '');
        return luhnValid(digits) && cardPrefixValid(digits) ? whole(match) : null;
      });

// ——— US social security numbers ———

// Dashed form only: nine bare digits are as likely any other number.
const SSN = /(?<![\d-])(\d{3})-(\d{2})-(\d{4})(?![\d-]|-\d)/g;

/** The SSA never issues area 000, 666 or 900–999, group 00 or serial 0000. */
export function ssnValid(area: string, group: string, serial: string): boolean {
  return area !== '000' && area !== '666' && area[0] !== '9' && group !== '00' && serial !== '0000';
}

export const findSsns: SpanFinder = (text) =>
  text.length < 11 || !text.includes('-')
    ? []
    : allMatches(text, SSN, (match) =>
        ssnValid(match[1] ?? '', match[2] ?? '', match[3] ?? '') ? whole(match) : null,
      );

// ——— IP addresses ———

// Dotted quads not part of a longer dotted run ("1.2.3.4.5" is a version, not an address).
const IPV4_CANDIDATE = /(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?!\.?\d)/g;
// Colon-separated hex groups; each repetition consumes a ":", so the repetition is bounded.
const IPV6_CANDIDATE = /(?<![0-9A-Fa-f:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])/g;

export const findIps: SpanFinder = (text) => [
  ...(text.length >= 7 && text.includes('.')
    ? allMatches(text, IPV4_CANDIDATE, (match) => (isIP(match[0]) === 4 ? whole(match) : null))
    : []),
  ...(text.length >= 5 && text.includes(':')
    ? allMatches(text, IPV6_CANDIDATE, (match) => {
        // "std::vector" holds "d::ec", a valid IPv6 address; real ones written in text have 3+ groups.
        const groups = match[0].split(':').filter((group) => group !== '').length;
        return isIP(match[0]) === 6 && groups >= 3 ? whole(match) : null;
      })
    : []),
];

// ——— secrets ———

/**
 * Provider prefixes: a match is a secret by its shape alone. Each comes with a literal it must
 * contain, tested first with `includes` (far cheaper than a regex pass over every string).
 */
const SECRET_PATTERNS: readonly (readonly [literal: string, pattern: RegExp])[] = [
  ['AKIA', /(?<![A-Za-z0-9])AKIA[0-9A-Z]{16}(?![A-Za-z0-9])/g], // AWS access key id
  ['ASIA', /(?<![A-Za-z0-9])ASIA[0-9A-Z]{16}(?![A-Za-z0-9])/g], // AWS temporary access key id
  ['gh', /(?<![A-Za-z0-9])gh[pousr]_[A-Za-z0-9]{36,255}(?![A-Za-z0-9])/g], // GitHub tokens
  ['github_pat_', /(?<![A-Za-z0-9])github_pat_[A-Za-z0-9_]{22,255}(?![A-Za-z0-9_])/g], // GitHub fine-grained token
  ['xox', /(?<![A-Za-z0-9])xox[abprs]-[A-Za-z0-9-]{10,250}/g], // Slack tokens
  ['k_', /(?<![A-Za-z0-9])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247}(?![A-Za-z0-9])/g], // Stripe secret keys
  ['sk-', /(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{20,400}/g], // OpenAI / Anthropic style ("sk-proj-…", "sk-ant-…")
  ['AIza', /(?<![A-Za-z0-9])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])/g], // Google API key
  ['PRIVATE KEY-----', /-----BEGIN (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY-----/g], // PEM private keys
  ['eyJ', /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,8192}\.eyJ[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{8,8192}/g], // JWT
];

// Runs of base64/base64url characters, not split by anything else.
const TOKEN_CANDIDATE = /[A-Za-z0-9+/=_-]{32,}/g;
/** Longer runs are blobs (an inline image, a document), not keys: keys that long are found by prefix (PEM, JWT). */
export const MAX_TOKEN_LENGTH = 512;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const HEX = /^[0-9a-fA-F]+$/;

/**
 * Bits per character a token must reach: 85 % of the most its length allows (log2 of the length),
 * at most 4.5. A random 32-character base62 key scores about 4.6 (99 % above 4.18, the bar being
 * 4.25); a 42-character CamelCase identifier about 4.4 against a bar of 4.5; English under 4.2.
 */
export function entropyThreshold(length: number): number {
  return Math.min(4.5, 0.85 * Math.log2(length));
}

export function shannonEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/**
 * A high-entropy token: 32 to MAX_TOKEN_LENGTH base64-ish characters mixing upper case, lower case
 * and digits, at or above entropyThreshold. UUIDs and hex strings (digests, commit ids) are skipped
 * on purpose: payloads carry them as identifiers far more often than as secrets, so a hex-encoded
 * secret is only found by a provider prefix. Paths ("/a/b/c/d") are skipped too.
 */
export function highEntropy(token: string): boolean {
  if (token.length > MAX_TOKEN_LENGTH || UUID.test(token) || HEX.test(token)) return false;
  if (!/[a-z]/.test(token) || !/[A-Z]/.test(token) || !/\d/.test(token)) return false;
  if ((token.match(/\//g)?.length ?? 0) > 2) return false;
  return shannonEntropy(token) >= entropyThreshold(token.length);
}

export const findSecrets: SpanFinder = (text) => {
  if (text.length < 20) return []; // the shortest key above (AKIA + 16) is 20 characters
  const spans: Span[] = [];
  for (const [literal, pattern] of SECRET_PATTERNS) {
    if (text.includes(literal)) spans.push(...allMatches(text, pattern, whole));
  }
  if (text.length < 32) return spans;
  const covered = (span: Span) => spans.some((other) => other.start <= span.start && other.end >= span.end);
  for (const span of allMatches(text, TOKEN_CANDIDATE, (match) => (highEntropy(match[0]) ? whole(match) : null))) {
    if (!covered(span)) spans.push(span);
  }
  return spans;
};

// ——— custom ———

/** A custom detector's RE2 pattern (validated when the queue config was saved). */
export function customFinder(pattern: string): SpanFinder {
  const compiled = RE2JS.compile(pattern);
  return (text) => {
    const spans: Span[] = [];
    const matcher = compiled.matcher(text);
    let from = 0;
    while (from <= text.length && matcher.find(from)) {
      const start = matcher.start();
      const end = matcher.end();
      if (end > start) spans.push({ start, end });
      from = end > start ? end : end + 1;
    }
    return spans;
  };
}

const BUILT_IN: Readonly<Record<Exclude<DetectorKind, 'custom'>, SpanFinder>> = {
  email: findEmails,
  phone: findPhones,
  iban: findIbans,
  card: findCards,
  ssn: findSsns,
  ip: findIps,
  secret: findSecrets,
};

/** A queue's detectors, ready to run: compile once per config, scan many tasks. */
export interface CompiledDetector {
  config: DetectorConfig;
  label: string;
  find: SpanFinder;
  /** Whether it fires anywhere in the text: what classification needs, sometimes cheaper than the spans. */
  fires: (text: string, budget: ScanBudget) => boolean;
}

const compiledCache = new WeakMap<readonly DetectorConfig[], CompiledDetector[]>();

export function compileDetectors(detectors: readonly DetectorConfig[]): CompiledDetector[] {
  const cached = compiledCache.get(detectors);
  if (cached) return cached;
  const compiled = detectors.map((config): CompiledDetector => {
    if (config.detector === 'custom') {
      const pattern = RE2JS.compile(config.pattern ?? '');
      return {
        config,
        label: detectorLabel(config),
        find: customFinder(config.pattern ?? ''),
        // RE2's test needs no match positions, so no matcher per string.
        fires: (text) => pattern.test(text),
      };
    }
    const find = BUILT_IN[config.detector];
    return { config, label: detectorLabel(config), find, fires: (text, budget) => find(text, budget).length > 0 };
  });
  compiledCache.set(detectors, compiled);
  return compiled;
}

// ——— walking the documents ———

const escapeToken = (token: string) =>
  token.includes('~') || token.includes('/') ? token.replace(/~/g, '~0').replace(/\//g, '~1') : token;

/** Where a leaf is, as a chain to its parent: the pointer is built only for leaves a detector fires on. */
interface PathNode {
  parent: PathNode | null;
  token: string;
}

export interface Leaf {
  at: PathNode;
  text: string;
}

export function pointerOf(node: PathNode): string {
  const tokens: string[] = [];
  for (let at: PathNode | null = node; at !== null; at = at.parent) tokens.push(at.token);
  return `/${tokens.reverse().join('/')}`;
}

/**
 * The string leaves of payload and context in document order, within the caps; `truncated` when a
 * cap stopped the walk. Recursive, which MAX_SCAN_DEPTH keeps far from the stack's limit.
 */
export function stringLeaves(documents: { payload: JsonValue; context: JsonValue | null }): {
  leaves: Leaf[];
  truncated: boolean;
} {
  const leaves: Leaf[] = [];
  let chars = 0;
  let nodes = 0;
  let stopped = false;
  let truncated = false;
  const visit = (value: JsonValue, at: PathNode, depth: number): void => {
    if (stopped) return;
    if (++nodes > MAX_WALKED_NODES) {
      stopped = truncated = true;
      return;
    }
    if (typeof value === 'string') {
      if (leaves.length >= MAX_SCANNED_LEAVES) {
        stopped = truncated = true;
        return;
      }
      const room = MAX_SCANNED_CHARS - chars;
      if (value.length > room) {
        stopped = truncated = true;
        if (room > 0) leaves.push({ at, text: value.slice(0, room) });
        return;
      }
      chars += value.length;
      leaves.push({ at, text: value });
      return;
    }
    if (value === null || typeof value !== 'object') return;
    if (depth >= MAX_SCAN_DEPTH) {
      truncated = true;
      return;
    }
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length && !stopped; index++) {
        visit(value[index] as JsonValue, { parent: at, token: String(index) }, depth + 1);
      }
      return;
    }
    for (const key in value) {
      if (stopped) return;
      if (Object.hasOwn(value, key)) visit(value[key] as JsonValue, { parent: at, token: escapeToken(key) }, depth + 1);
    }
  };
  visit(documents.payload, { parent: null, token: 'payload' }, 0);
  if (documents.context !== null) visit(documents.context, { parent: null, token: 'context' }, 0);
  return { leaves, truncated };
}

const riskRank = (level: RiskLevel | null) => (level === null ? -1 : RISK_LEVELS.indexOf(level));

/** The higher of two risk levels; null counts as lowest. */
export function maxRisk(a: RiskLevel | null, b: RiskLevel | null): RiskLevel | null {
  return riskRank(b) > riskRank(a) ? b : a;
}

/**
 * Runs the queue's detectors over payload and context. Null when the queue enables none (nothing
 * was looked at, so nothing is recorded). `raisedTo`/`raisedFrom` say whether the findings raise
 * `reportedRisk` (the agent's level): only upwards, to the highest level a fired detector maps to.
 */
export function classify(
  detectors: readonly DetectorConfig[],
  documents: { payload: JsonValue; context: JsonValue | null },
  reportedRisk: RiskLevel | null,
): TaskClassification | null {
  if (detectors.length === 0) return null;
  const compiled = compileDetectors(detectors);
  const { leaves, truncated: walkTruncated } = stringLeaves(documents);
  let truncated = walkTruncated;
  const findings: ClassificationFinding[] = [];
  let mapped: RiskLevel | null = null;
  const budget = freshBudget();
  for (const detector of compiled) {
    const paths: string[] = [];
    for (const leaf of leaves) {
      if (!detector.fires(leaf.text, budget)) continue;
      if (paths.length >= MAX_PATHS_PER_FINDING) {
        truncated = true;
        break;
      }
      paths.push(pointerOf(leaf.at));
    }
    if (budget.exhausted) truncated = true;
    if (paths.length === 0) continue;
    findings.push({ detector: detector.config.detector, name: detector.config.name ?? null, paths });
    mapped = maxRisk(mapped, detector.config.raiseTo);
  }
  const effective = maxRisk(reportedRisk, mapped);
  const raised = effective !== reportedRisk;
  return {
    findings,
    raisedTo: raised ? effective : null,
    raisedFrom: raised ? reportedRisk : null,
    truncated,
  };
}

/** What a finding is called on chips and in masks. */
export function findingLabel(finding: Pick<ClassificationFinding, 'detector' | 'name'>): string {
  return finding.name ?? DETECTOR_LABELS[finding.detector];
}

/** "iban at /payload/account, card at /payload/card/number" — the routing reason's words. */
export function describeFindings(findings: readonly ClassificationFinding[]): string {
  return findings
    .map((finding) => {
      const [first, ...rest] = finding.paths;
      const where = rest.length === 0 ? first : `${first} (+${rest.length} more)`;
      return `${finding.name ?? finding.detector} at ${where}`;
    })
    .join(', ');
}

// ——— masking previews outside the app ———

export const MASK = '••••';

/**
 * `document` (the task's payload or context, named by `root`) with every string field a detector
 * fired on replaced whole by "•••• (IBAN)" — for previews that leave the app (review mail, Slack).
 * Whole fields, not just the matched characters: the classification keeps paths, never spans, and
 * the queue's detectors may have changed since. Unchanged without findings.
 */
export function maskDocument(
  document: JsonValue,
  root: 'payload' | 'context',
  classification: TaskClassification | null | undefined,
): JsonValue {
  if (!classification || classification.findings.length === 0) return document;
  const labels = new Map<string, string[]>();
  for (const finding of classification.findings) {
    for (const path of finding.paths) {
      if (!path.startsWith(`/${root}`)) continue;
      const at = path.slice(root.length + 1);
      labels.set(at, [...(labels.get(at) ?? []), findingLabel(finding)]);
    }
  }
  if (labels.size === 0) return document;
  const walk = (value: JsonValue, path: string): JsonValue => {
    const found = labels.get(path);
    if (found && typeof value === 'string') return `${MASK} (${found.join(', ')})`;
    if (Array.isArray(value)) return value.map((item, index) => walk(item, `${path}/${index}`));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key, walk(item, `${path}/${escapeToken(key)}`)]),
      );
    }
    return value;
  };
  return walk(document, '');
}
