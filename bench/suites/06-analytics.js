// Analytics over a million decided tasks (issue 16): one workspace is bulk-seeded with a year of
// closed tasks (and the `claimed` events the rollup job reads), the real rollup job folds them to
// completion (timed: tasks/s), then every analytics endpoint is read over HTTP from the real Express
// app in this process — 30 and 90 days, by queue, by agent — in turn with its bare baseline: a "raw
// scan", one SQL that computes the same headline numbers straight from the tasks table over the same
// range. The endpoint's numbers must equal the raw scan's, or the suite fails (a correctness check).
// Goal: p95 < 500 ms per endpoint; the ratio raw scan / endpoint says what the rollups buy.
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { openBulk } = require('../lib/bulk');
const { freshDbName, dropDatabase } = require('../lib/mysql');
const { timeInTurn } = require('../lib/sampling');
const { fmt } = require('../lib/table');

const TASKS = Number(process.env.BENCH_ANALYTICS_TASKS || 1_000_000);
const SAMPLES = Number(process.env.BENCH_ANALYTICS_SAMPLES || 50);
const SPAN_DAYS = 365;
const GOAL_P95_MS = 500;
/** Tasks generated (and inserted) at a time, so a million rows never sit in memory at once. */
const CHUNK = 10_000;
const DAY_MS = 86_400_000;

const QUEUES = ['support', 'billing', 'legal'];
const SOURCES = ['n8n', 'zapier'];
/** null: the task named no agent. */
const AGENTS = [null, ['agt_refunds', '1.0'], ['agt_refunds', '1.1'], ['agt_triage', '1.0'], ['agt_triage', '2.0']];
const REVIEWERS = Array.from({ length: 8 }, (_, n) => ({ id: `usr_bench_rev${n}`, name: `rev${n}@bench.example` }));
/** Reviewer hour cost handed to the app, so the ROI report computes its cost too. */
const HOUR_COST = 42;

const TASK_COLUMNS = [
  'id',
  'workspace_id',
  'queue',
  'title',
  'payload',
  'tags',
  'source',
  'status',
  'risk_level',
  'confidence',
  'due_at',
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
  'decision_diff',
  'escalated',
  'escalation_step',
  'agent_id',
  'agent_version',
];
const EVENT_COLUMNS = [
  'id',
  'workspace_id',
  'task_id',
  'type',
  'from_status',
  'to_status',
  'actor_type',
  'actor_id',
  'actor_name',
  'created_at',
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
 * Task i of the seed and its `claimed` event (or null): closed in closed_at order over SPAN_DAYS up to
 * `anchor`. 15 % auto-approved by policy, 50 % approved, 15 % modified, 12 % rejected by people, 5 %
 * expired, 3 % cancelled; 80 % with a one-hour SLA, of which some are answered late; 60 % of human
 * decisions claimed first; 5 % escalated; 80 % from one of four agent versions.
 */
function seedTask(i, workspaceId, anchor) {
  const id = `tsk_an${String(i).padStart(12, '0')}`;
  const roll = mix(i, 1) % 100;
  const outcome =
    roll < 15
      ? 'auto'
      : roll < 65
        ? 'approved'
        : roll < 80
          ? 'modified'
          : roll < 92
            ? 'rejected'
            : roll < 97
              ? 'expired'
              : 'cancelled';
  const human = outcome === 'approved' || outcome === 'modified' || outcome === 'rejected';
  const agent = AGENTS[mix(i, 4) % AGENTS.length];
  const reviewer = REVIEWERS[mix(i, 5) % REVIEWERS.length];
  const speed = mix(i, 7) % 100;
  const [low, high] =
    outcome === 'auto'
      ? [0, 2_000]
      : outcome === 'expired'
        ? [3_600_000, 3_660_000]
        : speed < 40
          ? [5_000, 60_000]
          : speed < 80
            ? [60_000, 1_800_000]
            : speed < 95
              ? [1_800_000, 3_600_000]
              : [3_600_000, 10_800_000];
  const decisionMs = low + (mix(i, 8) % (high - low));
  const closedAt = anchor - Math.round(((TASKS - 1 - i) * SPAN_DAYS * DAY_MS) / TASKS);
  const createdAt = closedAt - decisionMs;
  const hasSla = outcome === 'expired' || (outcome !== 'auto' && mix(i, 6) % 10 < 8);
  const dueAt = hasSla ? createdAt + 3_600_000 : null;
  const escalated = mix(i, 10) % 20 === 0 ? 1 : 0;
  const status = {
    auto: 'approved',
    approved: 'approved',
    modified: 'approved_with_modifications',
    rejected: 'rejected',
    expired: 'expired',
    cancelled: 'cancelled',
  }[outcome];
  const decided = human || outcome === 'auto';
  const decider =
    outcome === 'auto' ? { type: 'policy', id: null, name: 'routing policy' } : { type: 'user', ...reviewer };
  const task = [
    id,
    workspaceId,
    QUEUES[mix(i, 2) % QUEUES.length],
    `Refund order ${i}`,
    JSON.stringify({ orderId: i, amount: (i % 500) + 0.5, note: 'x'.repeat(mix(i, 12) % 3000) }),
    '[]',
    SOURCES[mix(i, 3) % SOURCES.length],
    status,
    ['low', 'medium', 'high', 'critical'][i % 4],
    (mix(i, 11) % 100) / 100,
    dueAt,
    createdAt,
    closedAt,
    closedAt,
    2,
    'api_key',
    'key_bench',
    'bench',
    decided
      ? ({ approved: 'approve', modified: 'approve_with_modifications', rejected: 'reject' }[outcome] ?? 'approve')
      : null,
    decided ? decider.type : null,
    decided ? decider.id : null,
    decided ? decider.name : null,
    decided ? closedAt : null,
    outcome === 'modified' ? 'd'.repeat(20 + (mix(i, 13) % 200)) : null,
    escalated,
    escalated,
    agent ? agent[0] : null,
    agent ? agent[1] : null,
  ];
  const claimed = human && mix(i, 9) % 10 < 6;
  const event = claimed
    ? [
        `evt_an${String(i).padStart(12, '0')}`,
        workspaceId,
        id,
        'claimed',
        'pending_review',
        'in_review',
        'user',
        reviewer.id,
        reviewer.name,
        createdAt + Math.round(decisionMs / 3),
      ]
    : null;
  return { task, event };
}

async function seed(ctx, label, dbConfig, workspaceId, anchor) {
  const bulk = await openBulk(ctx, dbConfig);
  let events = 0;
  try {
    for (let start = 0; start < TASKS; start += CHUNK) {
      const tasks = [];
      const claims = [];
      for (let i = start; i < Math.min(TASKS, start + CHUNK); i++) {
        const { task, event } = seedTask(i, workspaceId, anchor);
        tasks.push(task);
        if (event) claims.push(event);
      }
      await bulk.insertRows('tasks', TASK_COLUMNS, tasks);
      await bulk.insertRows('task_events', EVENT_COLUMNS, claims);
      events += claims.length;
      if ((start / CHUNK) % 20 === 19) ctx.log(`  ${label}: ${start + CHUNK} tasks written`);
    }
  } finally {
    await bulk.close();
  }
  return { events };
}

const HUMAN =
  "(status IN ('approved', 'approved_with_modifications', 'rejected') AND decided_by_type NOT IN ('policy', 'system'))";
const AUTO = "(status = 'approved' AND decided_by_type IN ('policy', 'system'))";
const SLA = `(due_at IS NOT NULL AND (${HUMAN} OR status = 'expired'))`;
const WITHIN_SLA = `(due_at IS NOT NULL AND ${HUMAN} AND decided_at <= due_at)`;
const count = (condition) => `SUM(CASE WHEN ${condition} THEN 1 ELSE 0 END)`;

/**
 * The raw scans: per report, one SQL over the tasks table that computes the report's headline numbers
 * for the same range and slice, with the rollup job's definitions (domain/analytics/rollup.ts) for the
 * outcomes this seed has. Each returns rows of plain numbers.
 */
function rawScan(dialect, report, workspaceId, query) {
  // SQLite has no statistics here (nothing runs ANALYZE) and would pick a workspace/status index and
  // read every task of the workspace; the closed_at range index is what a hand-written scan would use.
  const tasks = dialect === 'sqlite' ? 'tasks INDEXED BY idx_tasks_closed' : 'tasks';
  const where = ['workspace_id = ?', 'closed_at >= ?', 'closed_at < ?'];
  const params = [workspaceId, Date.parse(`${query.from}T00:00:00Z`), Date.parse(`${query.to}T00:00:00Z`) + DAY_MS];
  if (query.queue) {
    where.push('queue = ?');
    params.push(query.queue);
  }
  if (query.agent) {
    where.push('agent_id = ?');
    params.push(query.agent);
  }
  const range = where.join(' AND ');
  switch (report) {
    case 'reviewers':
      return {
        sql: `SELECT decided_by_id AS reviewer_id, COUNT(*) AS decisions,
                     ${count("status = 'approved'")} AS approved,
                     ${count("status = 'approved_with_modifications'")} AS modified,
                     ${count("status = 'rejected'")} AS rejected,
                     ${count('due_at IS NOT NULL AND decided_at > due_at')} AS late
                FROM ${tasks} WHERE ${range} AND ${HUMAN} GROUP BY decided_by_id`,
        params,
      };
    case 'sla':
      return {
        sql: `SELECT queue, ${count(SLA)} AS sla_tasks, ${count(WITHIN_SLA)} AS within_sla,
                     ${count('escalated = 1 OR escalation_step > 0')} AS escalated
                FROM ${tasks} WHERE ${range} GROUP BY queue`,
        params,
      };
    case 'agents':
      return {
        sql: `SELECT agent_id, agent_version, COUNT(*) AS tasks, ${count(AUTO)} AS auto_approved,
                     ${count(HUMAN)} AS decided,
                     ${count("status = 'approved_with_modifications'")} AS modified,
                     ${count(`status = 'rejected' AND ${HUMAN}`)} AS rejected
                FROM ${tasks} WHERE ${range} AND agent_id IS NOT NULL GROUP BY agent_id, agent_version`,
        params,
      };
    case 'roi':
      return {
        sql: `SELECT COUNT(*) AS tasks, ${count(AUTO)} AS auto_approved,
                     ${count(`status IN ('rejected', 'approved_with_modifications') AND ${HUMAN}`)} AS errors,
                     ${count(SLA)} AS sla_tasks, ${count(WITHIN_SLA)} AS within_sla
                FROM ${tasks} WHERE ${range}`,
        params,
      };
  }
  throw new Error(`no raw scan for ${report}`);
}

const share = (part, whole) => (whole === 0 ? null : part / whole);

/** The headline numbers of an endpoint's answer and of the raw scan's rows, in one comparable shape. */
function headlines(report, body, rows) {
  const n = (value) => Number(value ?? 0);
  switch (report) {
    case 'reviewers':
      return {
        endpoint: body.reviewers.map((r) => ({
          key: r.reviewerId,
          decisions: r.decisions,
          approveRate: r.approveRate,
          modifyRate: r.modifyRate,
          rejectRate: r.rejectRate,
          late: r.lateDecisions,
        })),
        raw: rows.map((r) => ({
          key: r.reviewer_id,
          decisions: n(r.decisions),
          approveRate: share(n(r.approved), n(r.decisions)),
          modifyRate: share(n(r.modified), n(r.decisions)),
          rejectRate: share(n(r.rejected), n(r.decisions)),
          late: n(r.late),
        })),
      };
    case 'sla':
      return {
        endpoint: body.queues.map((q) => ({
          key: q.queue,
          tasksWithSla: q.tasksWithSla,
          withinSla: q.withinSla,
          withinSlaShare: q.withinSlaShare,
          breaches: q.breaches,
          escalated: q.escalated,
        })),
        raw: rows.map((r) => ({
          key: r.queue,
          tasksWithSla: n(r.sla_tasks),
          withinSla: n(r.within_sla),
          withinSlaShare: share(n(r.within_sla), n(r.sla_tasks)),
          breaches: n(r.sla_tasks) - n(r.within_sla),
          escalated: n(r.escalated),
        })),
      };
    case 'agents':
      return {
        endpoint: body.agents.map((a) => ({
          key: `${a.agentId}@${a.agentVersion}`,
          tasks: a.tasks,
          interventionRate: a.interventionRate,
          modificationRate: a.modificationRate,
          rejectionRate: a.rejectionRate,
        })),
        raw: rows.map((r) => ({
          key: `${r.agent_id}@${r.agent_version}`,
          tasks: n(r.tasks),
          interventionRate: share(n(r.tasks) - n(r.auto_approved), n(r.tasks)),
          modificationRate: share(n(r.modified), n(r.decided)),
          rejectionRate: share(n(r.rejected), n(r.decided)),
        })),
      };
    case 'roi': {
      const current = body.summary.current;
      const [r] = rows;
      return {
        endpoint: [
          {
            key: 'current',
            tasks: current.tasks,
            autoApprovedShare: current.autoApprovedShare,
            errorsCaught: current.errorsCaught,
            withinSlaShare: current.withinSlaShare,
          },
        ],
        raw: [
          {
            key: 'current',
            tasks: n(r?.tasks),
            autoApprovedShare: share(n(r?.auto_approved), n(r?.tasks)),
            errorsCaught: n(r?.errors),
            withinSlaShare: share(n(r?.within_sla), n(r?.sla_tasks)),
          },
        ],
      };
    }
  }
  throw new Error(`no headlines for ${report}`);
}

/** The first difference between the endpoint's headline numbers and the raw scan's, or null. */
function difference(report, body, rows) {
  const { endpoint, raw } = headlines(report, body, rows);
  const byKey = (list) => new Map(list.map((row) => [row.key, row]));
  const mine = byKey(endpoint);
  const theirs = byKey(raw);
  if (raw.length === 0 || raw.every((row) => row.tasks === 0 || row.decisions === 0))
    return 'the raw scan found nothing';
  for (const key of new Set([...mine.keys(), ...theirs.keys()])) {
    const a = mine.get(key);
    const b = theirs.get(key);
    if (!a || !b) return `${key}: ${a ? 'not in the raw scan' : 'missing from the endpoint'}`;
    for (const field of Object.keys(b)) {
      const x = a[field];
      const y = b[field];
      const same =
        typeof y === 'number' && typeof x === 'number' ? Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y)) : x === y;
      if (!same) return `${key}.${field}: endpoint ${x}, raw scan ${y}`;
    }
  }
  return null;
}

/** Keep-alive sockets for the requests. */
const agent = new http.Agent({ keepAlive: true });

function getJson(port, urlPath, key) {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: urlPath, agent, headers: { Authorization: `Bearer ${key}` } },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) reject(new Error(`GET ${urlPath}: ${res.statusCode} ${text.slice(0, 300)}`));
          else resolve({ body: JSON.parse(text), bytes: text.length });
        });
      },
    );
    req.on('error', reject);
  });
}

function dist(ctx, file) {
  return require(path.join(ctx.root, 'server/dist', file));
}

const dayOf = (at) => new Date(at).toISOString().slice(0, 10);

async function measure(ctx, label, dbConfig, summary) {
  const { openStore } = dist(ctx, 'store/open-store.js');
  const { createWorkspace } = dist(ctx, 'domain/admin/workspaces.js');
  const { createApiKey } = dist(ctx, 'domain/admin/api-keys.js');
  const { createApp } = dist(ctx, 'app.js');
  const { InProcessTaskEventBus } = dist(ctx, 'events/in-process-bus.js');
  const { ApiKeyAuthenticator } = dist(ctx, 'domain/admin/authenticate.js');
  const { foldClosedTasks } = dist(ctx, 'domain/analytics/fold-rollups.js');
  const { ANALYTICS_BATCH_SIZE, ANALYTICS_SETTLE_MS } = dist(ctx, 'jobs/analytics-job.js');
  const { loadConfig } = dist(ctx, 'config.js');
  const pino = require(require.resolve('pino', { paths: [path.join(ctx.root, 'server')] }));
  // The threshold a server started without settings uses (LOOPGATE_FAST_DECISION_SECONDS_PER_KB).
  const fastSecondsPerKb = loadConfig({}).fastDecisionSecondsPerKb;

  const store = await openStore(dbConfig);
  const clock = Date.now;
  const rows = [];
  try {
    const workspace = await createWorkspace({ store, clock }, `bench-analytics-${Date.now().toString(36)}`);
    const { key } = await createApiKey(
      { store, clock },
      { workspaceSlug: workspace.slug, name: 'bench', role: 'viewer' },
    );
    // Closed up to two minutes ago: past the job's settle margin, so the fold takes every task.
    const anchor = Date.now() - 120_000;
    ctx.log(`  ${label}: seeding ${TASKS} decided tasks over ${SPAN_DAYS} days`);
    let started = Date.now();
    const { events } = await seed(ctx, label, dbConfig, workspace.id, anchor);
    const seedSeconds = (Date.now() - started) / 1000;
    ctx.log(`  ${label}: seeded ${TASKS} tasks + ${events} claimed events in ${seedSeconds.toFixed(1)} s`);

    ctx.log(`  ${label}: folding rollups`);
    started = Date.now();
    const folded = await foldClosedTasks(
      { store, clock },
      { batchSize: ANALYTICS_BATCH_SIZE, settleMs: ANALYTICS_SETTLE_MS, fastSecondsPerKb },
    );
    const foldSeconds = (Date.now() - started) / 1000;
    if (folded !== TASKS) throw new Error(`the rollup job folded ${folded} tasks, not ${TASKS}`);
    const raw = await openBulk(ctx, dbConfig);
    const [{ rollups }] = await raw.query('SELECT COUNT(*) AS rollups FROM analytics_rollups WHERE workspace_id = ?', [
      workspace.id,
    ]);
    ctx.log(`  ${label}: folded ${folded} tasks into ${rollups} rollups in ${foldSeconds.toFixed(1)} s`);
    summary.push({
      db: label,
      tasks: TASKS,
      events,
      seedSeconds,
      foldSeconds,
      foldRate: folded / foldSeconds,
      rollups: Number(rollups),
    });

    const bus = new InProcessTaskEventBus();
    const app = createApp({
      store,
      bus,
      clock,
      logger: pino({ level: 'silent' }),
      authenticator: new ApiKeyAuthenticator({ store, clock, bus }),
      publicUrl: 'http://127.0.0.1',
      bodyLimit: '1mb',
      reviewerHourCost: HOUR_COST,
    });
    const server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const port = server.address().port;
    try {
      const to = dayOf(anchor);
      const back = (days) => dayOf(Date.parse(`${to}T00:00:00Z`) - (days - 1) * DAY_MS);
      const d30 = { from: back(30), to };
      const d90 = { from: back(90), to };
      const cases = [
        ['reviewers', '30 days', d30],
        ['reviewers', '90 days', d90],
        ['reviewers', '30 days, queue billing', { ...d30, queue: 'billing' }],
        ['sla', '30 days', d30],
        ['sla', '90 days by week', { ...d90, interval: 'week' }],
        ['agents', '30 days', d30],
        ['agents', '90 days', d90],
        ['agents', '30 days, agent agt_refunds', { ...d30, agent: 'agt_refunds' }],
        ['roi', '30 days', d30],
        ['roi', '90 days by week, queue billing', { ...d90, interval: 'week', queue: 'billing' }],
      ];
      for (const [report, what, query] of cases) {
        const url = `/api/v1/analytics/${report}?${new URLSearchParams(query)}`;
        const scan = rawScan(dbConfig.kind, report, workspace.id, query);
        const answer = await getJson(port, url, key);
        const scanned = await raw.query(scan.sql, scan.params);
        const wrong = difference(report, answer.body, scanned);
        if (wrong) throw new Error(`${label} ${report} (${what}): the endpoint and the raw scan differ: ${wrong}`);
        const timed = await timeInTurn(SAMPLES, {
          endpoint: () => getJson(port, url, key),
          raw: () => raw.query(scan.sql, scan.params),
        });
        rows.push({
          db: label,
          report: `GET /api/v1/analytics/${report}`,
          what,
          p50: timed.endpoint.p50,
          p95: timed.endpoint.p95,
          rawP50: timed.raw.p50,
          rawP95: timed.raw.p95,
          ratio: timed.raw.p95 / timed.endpoint.p95,
          goal: timed.endpoint.p95 < GOAL_P95_MS ? 'met' : 'MISSED',
          bytes: answer.bytes,
        });
        ctx.log(
          `  ${label}: ${report} ${what}: p95 ${timed.endpoint.p95.toFixed(1)} ms, raw scan p95 ${timed.raw.p95.toFixed(1)} ms`,
        );
      }
    } finally {
      await raw.close();
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
    }
    return rows;
  } finally {
    await store.close();
  }
}

async function run(ctx) {
  const started = Date.now();
  const rows = [];
  const summary = [];
  const notes = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-bench-analytics-'));
  try {
    rows.push(...(await measure(ctx, 'sqlite', { kind: 'sqlite', file: path.join(dir, 'analytics.db') }, summary)));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (ctx.mysql.available) {
    const database = freshDbName();
    try {
      rows.push(
        ...(await measure(ctx, 'mysql', { kind: 'mysql', ...ctx.mysql.target, database, poolSize: 10 }, summary)),
      );
    } finally {
      await dropDatabase(ctx.mysql.target, database);
    }
  } else {
    notes.push(`MySQL rows skipped: ${ctx.mysql.reason}`);
  }
  const size = TASKS.toLocaleString('en-US');
  return [
    {
      title: `Analytics rollup job over ${size} decided tasks`,
      columns: [
        { key: 'db', label: 'database', align: 'left' },
        { key: 'tasks', label: 'tasks', format: fmt.int },
        { key: 'events', label: 'claimed events', format: fmt.int },
        { key: 'seedSeconds', label: 'bulk seed s', format: (v) => v.toFixed(1) },
        { key: 'foldSeconds', label: 'rollup job s', format: (v) => v.toFixed(1) },
        { key: 'foldRate', label: 'rollup tasks/s', format: fmt.int },
        { key: 'rollups', label: 'rollup rows', format: fmt.int },
      ],
      rows: summary,
      notes: [
        `${size} closed tasks in one workspace, spread evenly over ${SPAN_DAYS} days: 15 % auto-approved, 50 % approved, 15 % modified, 12 % rejected, 5 % expired, 3 % cancelled; 3 queues, 2 sources, 4 agent versions (+ none), 8 reviewers.`,
        "The rollup job is the product's own foldClosedTasks with the job's batch size and settle margin, run to completion from an empty watermark.",
      ],
    },
    {
      title: `Analytics endpoints over ${size} decided tasks — ${SAMPLES} samples each, in turn with the raw scan (goal: p95 < ${GOAL_P95_MS} ms)`,
      columns: [
        { key: 'db', label: 'database', align: 'left' },
        { key: 'report', label: 'endpoint', align: 'left' },
        { key: 'what', label: 'range', align: 'left' },
        { key: 'p50', label: 'p50 ms', format: fmt.ms },
        { key: 'p95', label: 'p95 ms', format: fmt.ms },
        { key: 'rawP50', label: 'raw scan p50 ms', format: fmt.ms },
        { key: 'rawP95', label: 'raw scan p95 ms', format: fmt.ms },
        { key: 'ratio', label: 'raw/endpoint p95', format: fmt.ratio },
        { key: 'goal', label: 'goal', align: 'left' },
        { key: 'bytes', label: 'bytes', format: fmt.int },
      ],
      rows,
      notes: [
        ...notes,
        'Endpoint: GET over HTTP (keep-alive, loopback) from the real Express app in this process, API key auth, reading rollups only. Raw scan: one SQL over the tasks table (idx_tasks_closed) computing the same headline numbers for the same range and slice, over a plain connection, no HTTP.',
        "Before timing, each endpoint's headline numbers (reviewers: decisions, approve/modify/reject rates, late decisions; sla: tasks with SLA, within, share, breaches, escalated per queue; agents: tasks, intervention/modification/rejection rates per version; roi: tasks, auto-approved share, errors caught, within-SLA share) are checked equal to the raw scan's; the suite fails if they differ.",
        "The endpoints compute more than the raw scan does (medians from histograms, weekly series, the agents report's 35-day drift window and calibration, the ROI's previous period). Their cost grows with the rollup rows in range (days x slices: the reviewers report's queue, agent, reviewer; the others' queue, source, agent, agent version), not with the tasks: a raw/endpoint ratio below 1 means the rollups are not yet cheaper to read than the tasks they sum.",
        `Suite time: ${((Date.now() - started) / 1000).toFixed(0)} s.`,
      ],
    },
  ];
}

module.exports = { name: 'analytics', run };
