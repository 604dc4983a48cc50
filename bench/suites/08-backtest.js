// Policy backtest over 100k past tasks (issue 17 item 5): one queue is bulk-seeded with a month of
// tasks (risk, confidence, payload, decisions by people and by the policy, some payloads erased), then
// POST /api/v1/policy/backtest replays them through a proposed config — a field rule on the payload,
// a confidence threshold, a flag, otherwise auto-approve — over HTTP from the real Express app in this
// process, in turn with its bare baseline: one SELECT of the same columns of the same rows over a plain
// connection. The endpoint's task counts must equal the seed's, or the suite fails.
// Goal: the backtest answers in under 2 s (max over the samples).
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { openBulk } = require('../lib/bulk');
const { freshDbName, dropDatabase } = require('../lib/mysql');
const { timeInTurn } = require('../lib/sampling');
const { fmt } = require('../lib/table');

const TASKS = Number(process.env.BENCH_BACKTEST_TASKS || 100_000);
const SAMPLES = Number(process.env.BENCH_BACKTEST_SAMPLES || 5);
const SPAN_DAYS = 29;
const GOAL_MAX_MS = 2000;
const CHUNK = 10_000;
const DAY_MS = 86_400_000;
const QUEUE = 'refunds';

const TASK_COLUMNS = [
  'id',
  'workspace_id',
  'queue',
  'title',
  'payload',
  'context',
  'tags',
  'source',
  'status',
  'risk_level',
  'confidence',
  'created_at',
  'updated_at',
  'closed_at',
  'version',
  'created_by_type',
  'created_by_id',
  'created_by_name',
  'decision_action',
  'decided_by_type',
  'decided_by_id',
  'decided_by_name',
  'decided_at',
  'payload_erased_at',
  'erased_payload_digest',
];

/** A well-mixed 32-bit hash of (i, salt): each field of task i picks from its own bits. */
function mix(i, salt) {
  let x = Math.imul(i ^ Math.imul(salt, 0x27d4eb2f), 0x9e3779b1);
  x ^= x >>> 15;
  x = Math.imul(x, 0x85ebca77);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * Task i: created over SPAN_DAYS up to `anchor`. 20 % auto-approved by the policy, 55 % approved,
 * 10 % modified, 10 % rejected by people, 5 % still open; 2 % of the closed ones erased. Payloads
 * of 200-700 bytes (an order, a customer, a note), context with a flag on 1 %.
 */
function seedTask(i, workspaceId, anchor) {
  const roll = mix(i, 1) % 100;
  const outcome =
    roll < 20 ? 'auto' : roll < 75 ? 'approved' : roll < 85 ? 'modified' : roll < 95 ? 'rejected' : 'open';
  const createdAt = anchor - Math.round(((TASKS - 1 - i) * SPAN_DAYS * DAY_MS) / TASKS);
  const closedAt = outcome === 'open' ? null : createdAt + 60_000 + (mix(i, 2) % 3_600_000);
  const erased = outcome !== 'open' && mix(i, 3) % 50 === 0;
  const payload = {
    orderId: `ord_${i}`,
    amount: (mix(i, 4) % 200_000) / 100,
    currency: ['EUR', 'USD', 'GBP'][mix(i, 5) % 3],
    customer: { id: `cus_${mix(i, 6) % 50_000}`, country: ['DE', 'FR', 'US', 'GB'][mix(i, 7) % 4] },
    note: 'x'.repeat(100 + (mix(i, 8) % 500)),
  };
  const decided = outcome !== 'open';
  const policy = outcome === 'auto';
  return [
    `tsk_bt${String(i).padStart(12, '0')}`,
    workspaceId,
    QUEUE,
    `Refund order ${i}`,
    erased ? 'null' : JSON.stringify(payload),
    erased ? null : JSON.stringify({ regulatory: mix(i, 9) % 100 === 0 }),
    '[]',
    'n8n',
    {
      auto: 'approved',
      approved: 'approved',
      modified: 'approved_with_modifications',
      rejected: 'rejected',
      open: 'pending_review',
    }[outcome],
    ['low', 'medium', 'high', 'critical'][mix(i, 10) % 4],
    (mix(i, 11) % 100) / 100,
    createdAt,
    closedAt ?? createdAt,
    closedAt,
    decided ? 2 : 1,
    'api_key',
    'key_bench',
    'bench',
    decided ? ({ modified: 'approve_with_modifications', rejected: 'reject' }[outcome] ?? 'approve') : null,
    decided ? (policy ? 'policy' : 'user') : null,
    decided ? (policy ? null : `usr_bench_rev${mix(i, 12) % 8}`) : null,
    decided ? (policy ? 'routing policy' : 'reviewer') : null,
    closedAt,
    erased ? closedAt + 1000 : null,
    erased ? 'e'.repeat(64) : null,
  ];
}

const agent = new http.Agent({ keepAlive: true });

function postJson(port, urlPath, key, body) {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: urlPath,
        method: 'POST',
        agent,
        headers: {
          Authorization: `Bearer ${key}`,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(text),
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          const answer = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) reject(new Error(`POST ${urlPath}: ${res.statusCode} ${answer.slice(0, 300)}`));
          else resolve(JSON.parse(answer));
        });
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

function dist(ctx, file) {
  return require(path.join(ctx.root, 'server/dist', file));
}

const PROPOSED = {
  levels: [{ name: 'ops' }, { name: 'finance' }],
  policy: {
    rules: [
      { type: 'field', path: '/amount', op: 'gt', value: 1500 },
      { type: 'flag', name: 'regulatory', levels: 2 },
      { type: 'confidence_below', threshold: 0.6, levels: 1 },
      { type: 'risk', levels: { critical: 2 } },
    ],
    otherwise: 'auto_approve',
  },
};

async function measure(ctx, label, dbConfig) {
  const { openStore } = dist(ctx, 'store/open-store.js');
  const { createWorkspace } = dist(ctx, 'domain/admin/workspaces.js');
  const { createApiKey } = dist(ctx, 'domain/admin/api-keys.js');
  const { createQueue } = dist(ctx, 'domain/approvals/queues.js');
  const { createApp } = dist(ctx, 'app.js');
  const { InProcessTaskEventBus } = dist(ctx, 'events/in-process-bus.js');
  const { ApiKeyAuthenticator } = dist(ctx, 'domain/admin/authenticate.js');
  const { queueConfigSchema } = require(
    require.resolve('@loopgate/shared', { paths: [path.join(ctx.root, 'server')] }),
  );
  const pino = require(require.resolve('pino', { paths: [path.join(ctx.root, 'server')] }));

  const store = await openStore(dbConfig);
  const clock = Date.now;
  try {
    const workspace = await createWorkspace({ store, clock }, `bench-backtest-${Date.now().toString(36)}`);
    const { key, id: keyId } = await createApiKey(
      { store, clock },
      { workspaceSlug: workspace.slug, name: 'bench', role: 'admin' },
    );
    const admin = { workspaceId: workspace.id, role: 'admin', actor: { type: 'api_key', id: keyId, name: 'bench' } };
    await createQueue({ store, clock }, admin, {
      name: QUEUE,
      config: queueConfigSchema.parse({ policy: { rules: [{ type: 'confidence_below', threshold: 0.8 }] } }),
    });
    const anchor = Date.now() - 60_000;
    ctx.log(`  ${label}: seeding ${TASKS} tasks over ${SPAN_DAYS} days`);
    const started = Date.now();
    const bulk = await openBulk(ctx, dbConfig);
    let erased = 0;
    try {
      for (let start = 0; start < TASKS; start += CHUNK) {
        const rows = [];
        for (let i = start; i < Math.min(TASKS, start + CHUNK); i++) {
          const row = seedTask(i, workspace.id, anchor);
          if (row[23] !== null) erased++;
          rows.push(row);
        }
        await bulk.insertRows('tasks', TASK_COLUMNS, rows);
      }
    } finally {
      await bulk.close();
    }
    const seedSeconds = (Date.now() - started) / 1000;
    ctx.log(`  ${label}: seeded in ${seedSeconds.toFixed(1)} s`);

    const app = createApp({
      store,
      bus: new InProcessTaskEventBus(),
      clock,
      logger: pino({ level: 'silent' }),
      authenticator: new ApiKeyAuthenticator({ store, clock, bus: new InProcessTaskEventBus() }),
      publicUrl: 'http://127.0.0.1',
      bodyLimit: '1mb',
    });
    const server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const port = server.address().port;
    const raw = await openBulk(ctx, dbConfig);
    try {
      const from = new Date(anchor - 30 * DAY_MS).toISOString();
      const to = new Date(anchor + 1).toISOString();
      const body = { queue: QUEUE, config: PROPOSED, from, to };
      const bare = () =>
        raw.query(
          `SELECT id, created_at, confidence, risk_level, payload, context, tags, decision_action, decided_by_type,
                  payload_erased_at
             FROM tasks WHERE workspace_id = ? AND queue = ? AND created_at >= ? AND created_at < ? ORDER BY created_at, id`,
          [workspace.id, QUEUE, Date.parse(from), Date.parse(to)],
        );
      const answer = await postJson(port, '/api/v1/policy/backtest', key, body);
      if (answer.tasks !== TASKS || answer.notReplayable !== erased || answer.truncated) {
        throw new Error(
          `${label}: the backtest read ${answer.tasks} tasks (${answer.notReplayable} not replayable), the seed has ${TASKS} (${erased} erased)`,
        );
      }
      const timed = await timeInTurn(
        SAMPLES,
        { backtest: () => postJson(port, '/api/v1/policy/backtest', key, body), bare: bare },
        { warmup: 1 },
      );
      ctx.log(`  ${label}: backtest p50 ${timed.backtest.p50.toFixed(0)} ms, max ${timed.backtest.max.toFixed(0)} ms`);
      return {
        db: label,
        tasks: TASKS,
        seedSeconds,
        p50: timed.backtest.p50,
        max: timed.backtest.max,
        bareP50: timed.bare.p50,
        bareMax: timed.bare.max,
        ratio: timed.backtest.p50 / timed.bare.p50,
        goal: timed.backtest.max < GOAL_MAX_MS ? 'met' : 'MISSED',
        summary: answer.summary,
      };
    } finally {
      await raw.close();
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
    }
  } finally {
    await store.close();
  }
}

async function run(ctx) {
  const started = Date.now();
  const rows = [];
  const notes = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-bench-backtest-'));
  try {
    rows.push(await measure(ctx, 'sqlite', { kind: 'sqlite', file: path.join(dir, 'backtest.db') }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (ctx.mysql.available) {
    const database = freshDbName();
    try {
      rows.push(await measure(ctx, 'mysql', { kind: 'mysql', ...ctx.mysql.target, database, poolSize: 10 }));
    } finally {
      await dropDatabase(ctx.mysql.target, database);
    }
  } else {
    notes.push(`MySQL rows skipped: ${ctx.mysql.reason}`);
  }
  const size = TASKS.toLocaleString('en-US');
  return [
    {
      title: `Policy backtest over ${size} past tasks — ${SAMPLES} samples, in turn with a bare SELECT of the same rows (goal: max < ${GOAL_MAX_MS} ms)`,
      columns: [
        { key: 'db', label: 'database', align: 'left' },
        { key: 'tasks', label: 'tasks', format: fmt.int },
        { key: 'seedSeconds', label: 'bulk seed s', format: (v) => v.toFixed(1) },
        { key: 'p50', label: 'backtest p50 ms', format: fmt.ms },
        { key: 'max', label: 'backtest max ms', format: fmt.ms },
        { key: 'bareP50', label: 'bare SELECT p50 ms', format: fmt.ms },
        { key: 'bareMax', label: 'bare SELECT max ms', format: fmt.ms },
        { key: 'ratio', label: 'backtest/bare p50', format: fmt.ratio },
        { key: 'goal', label: 'goal', align: 'left' },
      ],
      rows,
      notes: [
        ...notes,
        `${size} tasks of one queue over ${SPAN_DAYS} days: 20 % auto-approved by the policy, 55 % approved, 10 % modified, 10 % rejected by people, 5 % open; 2 % of the closed ones erased; payloads 200-700 bytes.`,
        'Backtest: POST /api/v1/policy/backtest over HTTP (keep-alive, loopback) from the real Express app in this process, API key auth, a 4-rule proposed config (field, flag, confidence, risk; otherwise auto-approve) replayed next to the current config, pages of 5,000. Bare SELECT: the same columns of the same rows in one query over a plain connection, no parsing, no routing.',
        `Answer for the last run: ${rows.map((row) => `${row.db}: "${row.summary}"`).join(' ')}`,
        `Suite time: ${((Date.now() - started) / 1000).toFixed(0)} s.`,
      ],
    },
  ];
}

module.exports = { name: 'backtest', run };
