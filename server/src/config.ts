import { createPrivateKey } from 'node:crypto';
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { type AuditSigner, auditSignerOf } from './domain/audit/checkpoint-signer.js';
import { type AllowEntry, parseAllowList } from './domain/delivery/callback-targets.js';

/** Days the audit log is kept at the least unless a shorter time is allowed explicitly: six months. */
export const AUDIT_RETENTION_FLOOR_DAYS = 183;

/**
 * Every setting Loopgate reads from the environment, parsed once at start-up. A bad or missing value
 * stops the process with a message naming the variable, instead of surfacing later as a confusing
 * runtime error. There are no default secrets: anything secret must come from the operator.
 */
const booleanFlag = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((value) => value === 'true' || value === '1');

/**
 * Digits only: z.coerce would read "" as 0, and 0 means "forever" or "off" for some of these, which an
 * empty variable must not switch on silently. Unset or empty takes the default.
 */
export const envInt = (min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return fallback;
      const number = /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN;
      if (!(number >= min && number <= max)) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return number;
    });

/**
 * A comma-separated allow list of host names, IP addresses and CIDR ranges. Every bad entry is
 * named, so one start-up attempt shows all there is to fix.
 */
const allowList = z
  .string()
  .optional()
  .transform((value, ctx): AllowEntry[] => {
    const values = (value ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
    const { entries, problems } = parseAllowList(values);
    for (const problem of problems) ctx.addIssue({ code: 'custom', message: problem.message });
    return problems.length > 0 ? z.NEVER : entries;
  });

/**
 * Which peers may say who the client is (X-Forwarded-For), in the forms Express's `trust proxy` takes,
 * each checked here so a typo fails at start rather than trusting the wrong hop: false (the peer is
 * the client), true (trust the header whoever sends it), a hop count, or a list of proxy addresses,
 * CIDR ranges and the names loopback, linklocal and uniquelocal.
 */
export type TrustProxySetting = boolean | number | string[];

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function proxyEntryProblem(entry: string): string | null {
  if (PROXY_NAMES.has(entry)) return null;
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (!family || extra !== undefined)
    return `"${entry}" is not an address, a CIDR range or one of ${[...PROXY_NAMES].join(', ')}`;
  if (prefix === undefined) return null;
  const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : Number.NaN;
  return bits >= 0 && bits <= (family === 4 ? 32 : 128) ? null : `"${entry}" has no valid prefix length`;
}

const trustProxy = z
  .string()
  .optional()
  .transform((value, ctx): TrustProxySetting => {
    const text = (value ?? '').trim().toLowerCase();
    if (text === '' || text === 'false') return false;
    if (text === 'true') return true;
    if (/^\d{1,2}$/.test(text)) return Number(text);
    const entries = text.split(',').map((entry) => entry.trim());
    const problems = entries.map(proxyEntryProblem).filter((problem) => problem !== null);
    if (problems.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `${problems.join('; ')} (use false, true, a hop count, or a comma list such as loopback,10.0.0.0/8)`,
      });
      return z.NEVER;
    }
    return entries;
  });

/**
 * An Ed25519 private key as PKCS#8 PEM (`openssl genpkey -algorithm ed25519`, or `loopgate audit
 * keygen`). An environment variable often cannot hold line breaks, so `\n` written out stands for one.
 * The messages never quote the value: it is a secret.
 */
const signingKey = z
  .string()
  .optional()
  .transform((value, ctx): AuditSigner | null => {
    const text = (value ?? '').trim().replace(/\\n/g, '\n');
    if (text === '') return null;
    if (!text.startsWith('-----BEGIN PRIVATE KEY-----')) {
      ctx.addIssue({
        code: 'custom',
        message:
          'expected an Ed25519 private key in PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"); make one with `openssl genpkey -algorithm ed25519` or `loopgate audit keygen`',
      });
      return z.NEVER;
    }
    try {
      return auditSignerOf(createPrivateKey({ key: text, format: 'pem' }));
    } catch (error) {
      const why =
        error instanceof TypeError && /Ed25519/.test(error.message) ? error.message : 'not a readable private key';
      ctx.addIssue({ code: 'custom', message: `${why} (an Ed25519 key in PKCS#8 PEM is needed)` });
      return z.NEVER;
    }
  });

const envSchema = z
  .object({
    PORT: envInt(0, 65_535, 3000),
    HOST: z.string().min(1).default('127.0.0.1'),
    DATA_DIR: z.string().min(1).default('./data'),
    DATABASE_URL: z
      .string()
      .optional()
      .refine(
        (value) => value === undefined || value === '' || /^(mysql|mariadb|sqlite):/.test(value),
        'DATABASE_URL must start with mysql://, mariadb:// or sqlite: (e.g. sqlite:./data/loopgate.db)',
      ),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LOOPGATE_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
    LOOPGATE_ADMIN_EMAIL: z.email().optional(),
    LOOPGATE_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
    LOOPGATE_BODY_LIMIT: z
      .string()
      .regex(/^\d+(b|kb|mb)$/i, 'use a size like 1mb or 512kb')
      .default('1mb'),
    LOOPGATE_DB_POOL_SIZE: envInt(1, 200, 10),
    LOOPGATE_DB_LOGGING: booleanFlag,
    // SLA sweeper: seconds between sweeps (up to a day; 0 turns it off on this process) and rows per batch.
    LOOPGATE_SLA_SWEEP_SECONDS: envInt(0, 86_400, 5),
    LOOPGATE_SLA_SWEEP_BATCH: envInt(1, 10_000, 500),
    // E-mail: SMTP when set, else .eml files under DATA_DIR/mail.
    SMTP_URL: z
      .string()
      .optional()
      .refine(
        (value) => value === undefined || value === '' || /^smtps?:\/\//.test(value),
        'SMTP_URL must start with smtp:// or smtps:// (e.g. smtp://user:pass@mail.example.com:587)',
      ),
    LOOPGATE_MAIL_FROM: z.string().min(3).max(320).default('Loopgate <loopgate@localhost>'),
    // Decision delivery. Private targets are refused unless allowed (self-hosting next to n8n needs it).
    LOOPGATE_ALLOW_PRIVATE_CALLBACKS: booleanFlag,
    // Private hosts and ranges callbacks may reach without allowing every private target; the only way to allow a cloud metadata address.
    LOOPGATE_CALLBACK_ALLOWLIST: allowList,
    LOOPGATE_WEBHOOK_TIMEOUT_MS: envInt(100, 60_000, 10_000),
    LOOPGATE_OUTBOX_POLL_MS: envInt(50, 60_000, 1_000),
    LOOPGATE_OUTBOX_CONCURRENCY: envInt(1, 256, 16),
    REDIS_URL: z
      .string()
      .optional()
      .refine(
        (value) => value === undefined || value === '' || /^rediss?:\/\//.test(value),
        'REDIS_URL must start with redis:// or rediss:// (e.g. redis://127.0.0.1:6379)',
      ),
    LOOPGATE_TRUST_PROXY: trustProxy,
    // Housekeeping: days finished deliveries are kept (0: forever) and minutes between runs (0: not on this process).
    LOOPGATE_DELIVERY_RETENTION_DAYS: envInt(0, 36_500, 30),
    LOOPGATE_HOUSEKEEPING_MINUTES: envInt(0, 1440, 10),
    // Reversal: hours after a decision in which an admin may still revoke an approval (0: never).
    LOOPGATE_REVOKE_WINDOW_HOURS: envInt(0, 8784, 24),
    // Analytics: seconds between rollup runs (0: not on this process), the rubber-stamp threshold, the cost of a reviewer hour.
    LOOPGATE_ANALYTICS_SECONDS: envInt(0, 86_400, 60),
    LOOPGATE_FAST_DECISION_SECONDS_PER_KB: envInt(0, 3600, 5),
    LOOPGATE_REVIEWER_HOUR_COST: z
      .string()
      .optional()
      .refine(
        (value) => value === undefined || value === '' || /^\d{1,9}(\.\d{1,4})?$/.test(value),
        'a cost per hour such as 45 or 45.50',
      ),
    // Audit log: days entries are kept (0: forever). The EU AI Act keeps logs at least six months, so a
    // shorter retention is refused unless LOOPGATE_AUDIT_RETENTION_ALLOW_SHORT says it is meant.
    LOOPGATE_AUDIT_RETENTION_DAYS: envInt(0, 36_500, AUDIT_RETENTION_FLOOR_DAYS),
    LOOPGATE_AUDIT_RETENTION_ALLOW_SHORT: booleanFlag,
    // Signed checkpoints: the Ed25519 key (unset: no checkpoints), and the entries between two of them.
    LOOPGATE_AUDIT_SIGNING_KEY: signingKey,
    LOOPGATE_AUDIT_CHECKPOINT_EVERY: envInt(1, 1_000_000, 1000),
    // Payload retention: days after its close a task's payload and context are erased (0: kept).
    LOOPGATE_PAYLOAD_RETENTION_DAYS: envInt(0, 36_500, 0),
  })
  .superRefine((env, ctx) => {
    const hasEmail = env.LOOPGATE_ADMIN_EMAIL !== undefined;
    const hasPassword = env.LOOPGATE_ADMIN_PASSWORD !== undefined;
    if (hasEmail !== hasPassword) {
      ctx.addIssue({
        code: 'custom',
        path: [hasEmail ? 'LOOPGATE_ADMIN_PASSWORD' : 'LOOPGATE_ADMIN_EMAIL'],
        message: 'set LOOPGATE_ADMIN_EMAIL and LOOPGATE_ADMIN_PASSWORD together',
      });
    }
    const auditDays = env.LOOPGATE_AUDIT_RETENTION_DAYS;
    if (auditDays > 0 && auditDays < AUDIT_RETENTION_FLOOR_DAYS && !env.LOOPGATE_AUDIT_RETENTION_ALLOW_SHORT) {
      ctx.addIssue({
        code: 'custom',
        path: ['LOOPGATE_AUDIT_RETENTION_DAYS'],
        message: `${auditDays} days is below the ${AUDIT_RETENTION_FLOOR_DAYS}-day floor (six months, EU AI Act Art. 19 and 26(6)); set LOOPGATE_AUDIT_RETENTION_ALLOW_SHORT=true if that is meant`,
      });
    }
  });

export type DatabaseConfig =
  | { kind: 'sqlite'; file: string }
  | {
      kind: 'mysql';
      host: string;
      port: number;
      user: string;
      password: string;
      database: string;
      poolSize: number;
    };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function parseDatabaseUrl(url: string | undefined, dataDir: string, poolSize: number): DatabaseConfig {
  if (!url) return { kind: 'sqlite', file: path.resolve(dataDir, 'loopgate.db') };
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (!file) throw new ConfigError(['DATABASE_URL: sqlite: needs a file path, e.g. sqlite:./data/loopgate.db']);
    return { kind: 'sqlite', file: path.resolve(file) };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(['DATABASE_URL: not a valid URL (expected mysql://user:password@host:3306/database)']);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_$]{1,64}$/.test(database)) {
    throw new ConfigError([
      'DATABASE_URL: name the database in the path, letters, digits, _ and $ only (e.g. mysql://root@127.0.0.1:3306/loopgate)',
    ]);
  }
  return {
    kind: 'mysql',
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 3306,
    user: decodeURIComponent(parsed.username || 'root'),
    password: decodeURIComponent(parsed.password),
    database,
    poolSize,
  };
}

/**
 * The environment, checked and turned into Loopgate's settings in one schema, so `Config` is derived
 * from it and cannot drift from what is parsed.
 */
/**
 * The environment, checked and turned into Loopgate's settings in one schema, so `Config` is derived
 * from it and cannot drift from what is parsed.
 */
const configSchema = envSchema.transform((e, ctx) => {
  const dataDir = path.resolve(e.DATA_DIR);
  let database: DatabaseConfig;
  try {
    database = parseDatabaseUrl(e.DATABASE_URL, dataDir, e.LOOPGATE_DB_POOL_SIZE);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) {
      ctx.addIssue({ code: 'custom', path: ['DATABASE_URL'], message: problem.replace(/^DATABASE_URL: /, '') });
    }
    return z.NEVER;
  }
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    publicUrl: (e.LOOPGATE_PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    logLevel: e.LOG_LEVEL,
    database,
    bootstrapAdmin:
      e.LOOPGATE_ADMIN_EMAIL && e.LOOPGATE_ADMIN_PASSWORD
        ? { email: e.LOOPGATE_ADMIN_EMAIL.toLowerCase(), password: e.LOOPGATE_ADMIN_PASSWORD }
        : null,
    bodyLimit: e.LOOPGATE_BODY_LIMIT,
    dbLogging: e.LOOPGATE_DB_LOGGING,
    /** Seconds between SLA sweeps; 0: this process does not sweep. */
    slaSweepSeconds: e.LOOPGATE_SLA_SWEEP_SECONDS,
    slaSweepBatch: e.LOOPGATE_SLA_SWEEP_BATCH,
    /** null: write e-mails as .eml files under `<dataDir>/mail`. */
    smtpUrl: e.SMTP_URL ? e.SMTP_URL : null,
    mailFrom: e.LOOPGATE_MAIL_FROM,
    /** Allow callback/webhook URLs on private, loopback and link-local addresses (not cloud metadata), server-wide. */
    allowPrivateCallbacks: e.LOOPGATE_ALLOW_PRIVATE_CALLBACKS,
    /** Host names, addresses and ranges callbacks may reach although private; an exact entry also unlocks a metadata address. */
    callbackAllowlist: Object.freeze(e.LOOPGATE_CALLBACK_ALLOWLIST) as readonly AllowEntry[],
    webhookTimeoutMs: e.LOOPGATE_WEBHOOK_TIMEOUT_MS,
    outboxPollMs: e.LOOPGATE_OUTBOX_POLL_MS,
    outboxConcurrency: e.LOOPGATE_OUTBOX_CONCURRENCY,
    /** Redis for task-change announcements, cache invalidations and attempt limits across processes; null: in-process only. */
    redisUrl: e.REDIS_URL ? e.REDIS_URL : null,
    /** Express's `trust proxy`: whose X-Forwarded-For names the client (limits key on that address). */
    trustProxy: e.LOOPGATE_TRUST_PROXY,
    /** How long finished deliveries, review links of closed tasks and idempotency keys are kept; null: forever. */
    deliveryRetentionMs:
      e.LOOPGATE_DELIVERY_RETENTION_DAYS === 0 ? null : e.LOOPGATE_DELIVERY_RETENTION_DAYS * 24 * 60 * 60 * 1000,
    /** Minutes between housekeeping runs; 0: this process does not run it. */
    housekeepingMinutes: e.LOOPGATE_HOUSEKEEPING_MINUTES,
    /** How long after its decision an approval may be revoked; 0: revoking is off. */
    revokeWindowMs: e.LOOPGATE_REVOKE_WINDOW_HOURS * 60 * 60 * 1000,
    /** Seconds between analytics rollup runs; 0: this process does not run them. */
    analyticsSeconds: e.LOOPGATE_ANALYTICS_SECONDS,
    /** A human decision faster than this many seconds per KB of payload counts as a fast (rubber-stamp) decision. */
    fastDecisionSecondsPerKb: e.LOOPGATE_FAST_DECISION_SECONDS_PER_KB,
    /** Cost of an hour of reviewer time for the ROI numbers; null: not set (the page says so). */
    reviewerHourCost: e.LOOPGATE_REVIEWER_HOUR_COST ? Number(e.LOOPGATE_REVIEWER_HOUR_COST) : null,
    /** How long audit entries are kept before housekeeping prunes them (with a checkpoint); null: forever. */
    auditRetentionMs:
      e.LOOPGATE_AUDIT_RETENTION_DAYS === 0 ? null : e.LOOPGATE_AUDIT_RETENTION_DAYS * 24 * 60 * 60 * 1000,
    /** The key audit checkpoints are signed with, its public half and id; null: checkpoints are off. */
    auditSigner: e.LOOPGATE_AUDIT_SIGNING_KEY,
    /** A checkpoint once this many entries are past the last one (and hourly while any are). */
    auditCheckpointEvery: e.LOOPGATE_AUDIT_CHECKPOINT_EVERY,
    /** How long after its close a task keeps its payload and context; null: for ever. */
    payloadRetentionMs:
      e.LOOPGATE_PAYLOAD_RETENTION_DAYS === 0 ? null : e.LOOPGATE_PAYLOAD_RETENTION_DAYS * 24 * 60 * 60 * 1000,
  };
});

/** Every setting, as the rest of Loopgate reads it; see the README's table for what each means. */
export type Config = z.output<typeof configSchema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.') || 'env'}: ${issue.message}`));
  }
  return Object.freeze(result.data);
}
