// Queue board: GET /board with 10,000 open tasks (plus a day of closed ones), rendered server-side
// by the real Express app in this process (session lookup, five limited column queries, per-card
// actions and card fields, Eta page render), on SQLite and (when reachable) MySQL/MariaDB. Then the
// same workspace grows to 100,000 open tasks (bulk-inserted rows) and its page and urgency-ordered
// task list are measured in turn with a second workspace that stays at 10,000: goal p99 at 100k <=
// 2x p99 at 10k (the urgency index at work), both read in the same minute.
// Baselines in the same run:
//   - columns query only: the five column reads without rendering;
//   - bare string join: the same rows rendered by a hand-written template (escape + join), no engine;
//   - unlimited board: every open task as a card (what the board would cost without column limits).
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { freshDbName, dropDatabase } = require('../lib/mysql');
const { summarize } = require('../lib/stats');
const { fmt } = require('../lib/table');

const OPEN_TASKS = Number(process.env.BENCH_BOARD_TASKS || 10_000);
const CLOSED_TASKS = Math.round(OPEN_TASKS / 2);
const SAMPLES = Number(process.env.BENCH_BOARD_SAMPLES || 60);
const LARGE_TASKS = Number(process.env.BENCH_BOARD_LARGE_TASKS || 100_000);
const ROWS_PER_INSERT = 500;

const BULK_COLUMNS = [
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
  'next_sweep_at',
  'created_at',
  'updated_at',
  'version',
  'created_by_type',
  'created_by_id',
  'created_by_name',
  'levels_required',
  'current_level',
  'priority',
  'escalated',
  'escalation_step',
  'assignee_type',
  'assignee_id',
  'assignee_name',
  'claimed',
];

/**
 * Grows the workspace from OPEN_TASKS to LARGE_TASKS open tasks with multi-row INSERTs over a plain
 * connection (the same mix of columns, risks and deadlines as seed()); far faster than the store.
 */
async function growTo(dbConfig, ctx, workspaceId, users) {
  const now = Date.now();
  const risks = ['low', 'medium', 'high', 'critical'];
  let exec;
  let close;
  if (dbConfig.kind === 'sqlite') {
    const Database = require(require.resolve('better-sqlite3', { paths: [path.join(ctx.root, 'server')] }));
    const db = new Database(dbConfig.file);
    db.pragma('busy_timeout = 10000');
    exec = async (sql, params) => db.prepare(sql).run(...params);
    // One 90k-row transaction leaves a WAL of ~100 MB that the server's open connection then reads
    // through; a server growing to 100k by its own inserts checkpoints every 1000 pages and never
    // has one. Checkpoint it, so the 100k board is measured on the database such a server would have.
    close = async () => {
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
    };
  } else {
    const mysql = require(require.resolve('mysql2/promise', { paths: [path.join(ctx.root, 'server')] }));
    const { host, port, user, password, database } = dbConfig;
    const conn = await mysql.createConnection({ host, port, user, password, database });
    exec = async (sql, params) => conn.query(sql, params);
    close = async () => conn.end();
  }
  const placeholders = `(${BULK_COLUMNS.map(() => '?').join(', ')})`;
  try {
    await exec('BEGIN', []);
    for (let start = OPEN_TASKS; start < LARGE_TASKS; start += ROWS_PER_INSERT) {
      const params = [];
      const n = Math.min(ROWS_PER_INSERT, LARGE_TASKS - start);
      for (let i = start; i < start + n; i++) {
        const r = i % 20;
        const kind = r < 12 ? 'pending' : r < 16 ? 'claimed' : r < 19 ? 'in_review' : 'escalated';
        const createdAt = now - (LARGE_TASKS - i) * 100;
        const assignee = users[i % users.length];
        params.push(
          `tsk_bulk${String(i).padStart(20, '0')}`,
          workspaceId,
          ['support', 'billing', 'legal'][i % 3],
          `Refund order ${i} <b>&</b>`,
          JSON.stringify({ orderId: i, amount: (i % 500) + 0.5, customer: { name: `c${i}` }, note: 'x'.repeat(200) }),
          '[]',
          i % 2 ? 'n8n' : 'zapier',
          kind === 'in_review' ? 'in_review' : 'pending_review',
          risks[i % 4],
          (i % 100) / 100,
          createdAt + 3_600_000 + (i % 7) * 600_000,
          null,
          createdAt,
          createdAt,
          1,
          'api_key',
          'key_bench',
          'bench',
          1,
          1,
          0,
          kind === 'escalated' ? 1 : 0,
          kind === 'escalated' ? 1 : 0,
          'user',
          assignee.id,
          assignee.email,
          kind === 'claimed' ? 1 : 0,
        );
      }
      await exec(
        `INSERT INTO tasks (${BULK_COLUMNS.join(', ')}) VALUES ${Array(n).fill(placeholders).join(', ')}`,
        params,
      );
    }
    await exec('COMMIT', []);
  } finally {
    await close();
  }
}
const PASSWORD = 'bench password 123';

function dist(ctx, file) {
  return require(path.join(ctx.root, 'server/dist', file));
}

const escapeHtml = (value) =>
  String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );

/** The baseline renderer: the same cards, hand-joined strings, escaped, no template engine. */
function bareRender(columns) {
  return columns
    .map(
      (column) =>
        `<section data-stage="${column.stage}"><h2>${escapeHtml(column.title)} ${column.total}</h2><ol>${column.cards
          .map(
            (card) =>
              `<li data-id="${card.id}"><a href="/tasks/${card.id}">${escapeHtml(card.title)}</a> ${card.riskLevel ?? '-'} ${card.confidence ?? '-'} ${escapeHtml(card.assigneeName ?? '')} ${card.dueAt ?? ''}</li>`,
          )
          .join('')}</ol></section>`,
    )
    .join('');
}

async function seed(store, workspaceId, users, idPrefix) {
  const now = Date.now();
  const statuses = [];
  for (let i = 0; i < OPEN_TASKS; i++) {
    const r = i % 20;
    // 60 % pending, 20 % claimed, 15 % in review (votes in), 5 % escalated.
    statuses.push(r < 12 ? 'pending' : r < 16 ? 'claimed' : r < 19 ? 'in_review' : 'escalated');
  }
  const risks = ['low', 'medium', 'high', 'critical'];
  const batch = 1000;
  const total = OPEN_TASKS + CLOSED_TASKS;
  for (let start = 0; start < total; start += batch) {
    await store.transaction(async (tx) => {
      for (let i = start; i < Math.min(total, start + batch); i++) {
        const open = i < OPEN_TASKS;
        const kind = open ? statuses[i] : 'closed';
        const createdAt = now - (total - i) * 1000;
        const assignee = users[i % users.length];
        await tx.tasks.insert({
          id: `${idPrefix}${String(i).padStart(20, '0')}`,
          workspaceId,
          queue: ['support', 'billing', 'legal'][i % 3],
          title: `Refund order ${i} <b>&</b>`,
          description: null,
          payload: { orderId: i, amount: (i % 500) + 0.5, note: 'x'.repeat(200) },
          context: { customer: `c${i}` },
          confidence: (i % 100) / 100,
          riskLevel: risks[i % 4],
          tags: [],
          source: i % 2 ? 'n8n' : 'zapier',
          externalRef: null,
          callbackUrl: null,
          status: open ? (kind === 'in_review' ? 'in_review' : 'pending_review') : 'approved',
          dueAt: createdAt + 3_600_000,
          createdAt,
          updatedAt: createdAt,
          closedAt: open ? null : now - 1000,
          version: 1,
          createdBy: { type: 'api_key', id: 'key_bench', name: 'bench' },
          decision: open
            ? null
            : {
                action: 'approve',
                comment: null,
                modifiedPayload: null,
                decidedBy: { type: 'user', id: assignee.id, name: assignee.email },
                decidedAt: now - 1000,
              },
          workflow: {
            routingRule: null,
            routingReason: 'confidence below 0.8',
            levels: 1,
            level: 1,
            priority: 0,
            escalated: kind === 'escalated',
            escalationStep: kind === 'escalated' ? 1 : 0,
            nextSweepAt: null,
            assignedGroup: null,
            assignee: { type: 'user', id: assignee.id, name: assignee.email },
            claimed: kind === 'claimed',
          },
        });
      }
    });
  }
}

/** Keep-alive sockets for the requests; renewed after a long pause (the server drops idle ones). */
let agent = new http.Agent({ keepAlive: true });

function get(port, urlPath, cookie) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.get(
      { host: '127.0.0.1', port, path: urlPath, agent, headers: { Cookie: cookie, Accept: 'text/html' } },
      (res) => {
        let bytes = 0;
        res.on('data', (chunk) => {
          bytes += chunk.length;
        });
        res.on('end', () => {
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          if (res.statusCode !== 200) reject(new Error(`GET ${urlPath}: ${res.statusCode}`));
          else resolve({ ms, bytes });
        });
      },
    );
    req.on('error', reject);
  });
}

async function timeIt(samples, fn) {
  for (let i = 0; i < Math.min(10, samples); i++) await fn(); // warm-up
  const latencies = [];
  let bytes = 0;
  for (let i = 0; i < samples; i++) {
    const started = process.hrtime.bigint();
    const out = await fn();
    latencies.push(out?.ms ?? Number(process.hrtime.bigint() - started) / 1e6);
    bytes = out?.bytes ?? bytes;
  }
  return { ...summarize(latencies), bytes };
}

/**
 * Two targets sampled in turn (a, b, b, a, …), so both see the same machine load: on a shared
 * machine the minute-to-minute noise is larger than the difference being measured.
 */
async function timeInterleaved(samples, a, b) {
  for (let i = 0; i < Math.min(10, samples); i++) {
    await a();
    await b();
  }
  const latencies = { a: [], b: [] };
  const bytes = { a: null, b: null };
  for (let i = 0; i < samples; i++) {
    const order = i % 2 === 0 ? ['a', 'b'] : ['b', 'a'];
    for (const which of order) {
      const started = process.hrtime.bigint();
      const out = await (which === 'a' ? a : b)();
      latencies[which].push(out?.ms ?? Number(process.hrtime.bigint() - started) / 1e6);
      bytes[which] = out?.bytes ?? null;
    }
  }
  return {
    a: { ...summarize(latencies.a), bytes: bytes.a },
    b: { ...summarize(latencies.b), bytes: bytes.b },
  };
}

async function measure(ctx, label, dbConfig, ratios) {
  const { openStore } = dist(ctx, 'store/open-store.js');
  const { createWorkspace } = dist(ctx, 'domain/admin/workspaces.js');
  const { upsertUser } = dist(ctx, 'domain/admin/users.js');
  const { logIn } = dist(ctx, 'domain/reviewers/sessions.js');
  const { memoryAttemptLimiter } = dist(ctx, 'limits/attempt-limiter.js');
  const { createApp } = dist(ctx, 'app.js');
  const { InProcessTaskEventBus } = dist(ctx, 'events/in-process-bus.js');
  const { ApiKeyAuthenticator } = dist(ctx, 'domain/admin/authenticate.js');
  const { loadBoard, boardFilterOptions } = dist(ctx, 'domain/reviewers/board.js');
  // The page's own path from columns to HTML: the view-model builder and the typed template table,
  // so the bench cannot hand the template data the page would not (commit d27c00b).
  const { boardColumnsView } = dist(ctx, 'web/kit/view-models.js');
  const { render } = dist(ctx, 'web/kit/render.js');
  const { TEMPLATES } = dist(ctx, 'web/kit/templates.js');
  const pino = require(require.resolve('pino', { paths: [path.join(ctx.root, 'server')] }));

  const store = await openStore(dbConfig);
  const clock = Date.now;
  try {
    // Queues as a real desk has them: billing's cards show two payload fields, legal needs a group.
    const { createQueue } = dist(ctx, 'domain/approvals/queues.js');
    const { queueConfigSchema, listTasksQuerySchema } = require(path.join(ctx.root, 'shared/dist/index.js'));
    const { listTasks } = dist(ctx, 'domain/tasks/read-tasks.js');
    /** A workspace with the three queues and eight reviewers, seeded with OPEN_TASKS + CLOSED_TASKS tasks. */
    async function desk(name) {
      const workspace = await createWorkspace({ store, clock }, `bench-${name}-${Date.now().toString(36)}`);
      const admin = {
        workspaceId: workspace.id,
        role: 'admin',
        actor: { type: 'user', id: 'usr_bench_admin', name: 'bench' },
      };
      for (const [queue, config] of [
        ['support', {}],
        ['billing', { cardFields: ['/amount', '/orderId'] }],
        ['legal', {}],
      ]) {
        await createQueue({ store, clock }, admin, { name: queue, config: queueConfigSchema.parse(config) });
      }
      const users = [];
      for (let i = 0; i < 8; i++) {
        const email = `rev${i}@${name}.bench.example`;
        const { userId } = await upsertUser(
          { store, clock },
          { email, password: PASSWORD, role: 'reviewer', workspaceSlug: workspace.slug },
        );
        users.push({ id: userId, email });
      }
      ctx.log(`  ${label}: seeding ${name}: ${OPEN_TASKS} open + ${CLOSED_TASKS} closed tasks`);
      const seeded = Date.now();
      await seed(store, workspace.id, users, `tsk_${name}`);
      ctx.log(`  ${label}: seeded in ${((Date.now() - seeded) / 1000).toFixed(1)} s`);
      return { workspace, users };
    }
    // "large" is measured at 10k, grown to 100k, then measured in turn with "steady", which stays at
    // 10k in the same database: the ratio compares two boards read in the same minute.
    const { workspace, users } = await desk('large');
    const steady = await desk('steady');

    const bus = new InProcessTaskEventBus();
    const app = createApp({
      store,
      bus,
      clock,
      logger: pino({ level: 'silent' }),
      authenticator: new ApiKeyAuthenticator({ store, clock, bus }),
      publicUrl: 'http://127.0.0.1',
      bodyLimit: '1mb',
    });
    const server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const port = server.address().port;
    const login = await logIn(
      { store, clock, limiter: memoryAttemptLimiter() },
      { email: users[0].email, password: PASSWORD, clientAddress: 'bench' },
    );
    const cookie = `lg_session=${login.token}`;
    const principal = {
      workspaceId: workspace.id,
      role: 'reviewer',
      actor: { type: 'user', id: users[0].id, name: users[0].email },
    };
    const rows = [];
    try {
      const page = await timeIt(SAMPLES, () => get(port, '/board', cookie));
      rows.push({ db: label, target: 'GET /board over HTTP (Loopgate, full page)', ...page });
      const filtered = await timeIt(SAMPLES, () => get(port, '/board?risk=high&q=order%2012', cookie));
      rows.push({ db: label, target: 'GET /board?risk=high&q=… (filter + search)', ...filtered });
      const columns = await loadBoard({ store, clock }, principal, {});
      const queries = await timeIt(SAMPLES, () => loadBoard({ store, clock }, principal, {}));
      rows.push({ db: label, target: 'baseline: column queries only', ...queries, bytes: null });
      const options = await timeIt(SAMPLES, () => boardFilterOptions({ store }, principal));
      rows.push({ db: label, target: 'filter options only (queues, sources, members, tags)', ...options, bytes: null });
      const csrf = 'x'.repeat(43);
      const view = (loaded) => boardColumnsView({ columns: loaded, principal, csrf, now: Date.now() });
      const eta = await timeIt(SAMPLES * 5, async () => ({
        bytes: render(TEMPLATES.boardColumns, view(columns)).length,
      }));
      rows.push({ db: label, target: 'view model + Eta render of the loaded columns', ...eta });
      const bare = await timeIt(SAMPLES * 5, async () => ({ bytes: bareRender(columns).length }));
      rows.push({ db: label, target: 'baseline: bare string join of the same rows', ...bare });
      const unlimited = await timeIt(Math.max(5, Math.round(SAMPLES / 6)), async () => {
        const all = await loadBoard({ store, clock }, principal, {}, OPEN_TASKS + CLOSED_TASKS);
        return { bytes: render(TEMPLATES.boardColumns, view(all)).length };
      });
      rows.push({ db: label, target: 'unlimited board: every task as a card (not served)', ...unlimited });

      // The urgency-ordered task list as an API client reads it (the same use case as GET /api/v1/tasks).
      const urgentQuery = listTasksQuerySchema.parse({ sort: 'urgency', status: 'pending_review', limit: 50 });
      const urgent = () => listTasks({ store, clock }, principal, urgentQuery);
      const api10k = await timeIt(SAMPLES, urgent);
      rows.push({
        db: label,
        target: 'GET /tasks?sort=urgency&status=pending_review (use case)',
        ...api10k,
        bytes: null,
      });

      ctx.log(`  ${label}: growing to ${LARGE_TASKS} open tasks`);
      const grown = Date.now();
      await growTo(dbConfig, ctx, workspace.id, users);
      agent.destroy();
      agent = new http.Agent({ keepAlive: true });
      ctx.log(`  ${label}: grown in ${((Date.now() - grown) / 1000).toFixed(1)} s`);
      const steadyLogin = await logIn(
        { store, clock, limiter: memoryAttemptLimiter() },
        { email: steady.users[0].email, password: PASSWORD, clientAddress: 'bench' },
      );
      const steadyCookie = `lg_session=${steadyLogin.token}`;
      const steadyPrincipal = {
        workspaceId: steady.workspace.id,
        role: 'reviewer',
        actor: { type: 'user', id: steady.users[0].id, name: steady.users[0].email },
      };
      const large = LARGE_TASKS.toLocaleString('en-US');
      const small = OPEN_TASKS.toLocaleString('en-US');
      const boards = await timeInterleaved(
        SAMPLES,
        () => get(port, '/board', steadyCookie),
        () => get(port, '/board', cookie),
      );
      rows.push({ db: label, target: `GET /board at ${small} open (steady workspace, in turn)`, ...boards.a });
      rows.push({ db: label, target: `GET /board at ${large} open tasks (in turn)`, ...boards.b });
      const columnReads = await timeInterleaved(
        SAMPLES,
        () => loadBoard({ store, clock }, steadyPrincipal, {}),
        () => loadBoard({ store, clock }, principal, {}),
      );
      rows.push({ db: label, target: `column queries only at ${small} (steady)`, ...columnReads.a, bytes: null });
      rows.push({ db: label, target: `column queries only at ${large}`, ...columnReads.b, bytes: null });
      // The page's other reads: the filter bar's queues, sources, members and tags in use.
      const bigOptions = await timeIt(SAMPLES, () => boardFilterOptions({ store }, principal));
      rows.push({ db: label, target: `filter options only at ${large}`, ...bigOptions, bytes: null });
      const steadyUrgent = () => listTasks({ store, clock }, steadyPrincipal, urgentQuery);
      const lists = await timeInterleaved(SAMPLES, steadyUrgent, urgent);
      rows.push({ db: label, target: `GET /tasks?sort=urgency… at ${small} (steady)`, ...lists.a, bytes: null });
      rows.push({ db: label, target: `GET /tasks?sort=urgency… at ${large} (use case)`, ...lists.b, bytes: null });
      // The first page in urgency order really is the most urgent of all the open tasks.
      const first = (await urgent()).tasks;
      const [lowest] = await store.read.tasks.listByUrgency(workspace.id, { status: 'pending_review' }, 1);
      if (first[0]?.id !== lowest?.id) throw new Error('urgency order differs between the list and the store');
      ratios.push({
        db: label,
        boardBefore: page.p99,
        board10k: boards.a.p99,
        board100k: boards.b.p99,
        boardRatio: boards.b.p99 / boards.a.p99,
        api10k: lists.a.p99,
        api100k: lists.b.p99,
        apiRatio: lists.b.p99 / lists.a.p99,
      });
    } finally {
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
    }
    return rows;
  } finally {
    await store.close();
  }
}

async function run(ctx) {
  const rows = [];
  const ratios = [];
  const notes = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-bench-board-'));
  try {
    rows.push(...(await measure(ctx, 'sqlite', { kind: 'sqlite', file: path.join(dir, 'board.db') }, ratios)));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (ctx.mysql.available) {
    const database = freshDbName();
    try {
      rows.push(
        ...(await measure(ctx, 'mysql', { kind: 'mysql', ...ctx.mysql.target, database, poolSize: 10 }, ratios)),
      );
    } finally {
      await dropDatabase(ctx.mysql.target, database);
    }
  } else {
    notes.push(`MySQL rows skipped: ${ctx.mysql.reason}`);
  }
  notes.push(
    `${OPEN_TASKS} open tasks (60 % pending, 20 % claimed, 15 % in review, 5 % escalated) + ${CLOSED_TASKS} closed in the last day; columns show 50 cards each with a count capped at 1000.`,
    'Goal: the board page well under 1 s server-side (p99). Single client, sequential requests, loopback.',
  );
  return [
    {
      title: `Queue board with ${OPEN_TASKS.toLocaleString('en-US')} open tasks — ${SAMPLES} samples per row`,
      columns: [
        { key: 'db', label: 'database', align: 'left' },
        { key: 'target', label: 'what', align: 'left' },
        { key: 'p50', label: 'p50 ms', format: fmt.ms },
        { key: 'p90', label: 'p90 ms', format: fmt.ms },
        { key: 'p99', label: 'p99 ms', format: fmt.ms },
        { key: 'max', label: 'max ms', format: fmt.ms },
        { key: 'bytes', label: 'bytes', format: fmt.int },
      ],
      rows,
      notes,
    },
    {
      title: `Board and urgency list p99: ${OPEN_TASKS.toLocaleString('en-US')} vs ${LARGE_TASKS.toLocaleString('en-US')} open tasks (goal: ratio <= 2)`,
      columns: [
        { key: 'db', label: 'database', align: 'left' },
        { key: 'boardBefore', label: `board p99 ms @${OPEN_TASKS / 1000}k before growth`, format: fmt.ms },
        { key: 'board10k', label: `board p99 ms @${OPEN_TASKS / 1000}k in turn`, format: fmt.ms },
        { key: 'board100k', label: `board p99 ms @${LARGE_TASKS / 1000}k`, format: fmt.ms },
        { key: 'boardRatio', label: 'board ratio', format: (v) => v.toFixed(2) },
        { key: 'api10k', label: `urgency list p99 ms @${OPEN_TASKS / 1000}k`, format: fmt.ms },
        { key: 'api100k', label: `urgency list p99 ms @${LARGE_TASKS / 1000}k`, format: fmt.ms },
        { key: 'apiRatio', label: 'list ratio', format: (v) => v.toFixed(2) },
      ],
      rows: ratios,
      notes: [
        `The ratio compares two workspaces of one database sampled in turn (a, b, b, a, …): "steady" stays at ${OPEN_TASKS.toLocaleString('en-US')} open tasks while "large" is grown to ${LARGE_TASKS.toLocaleString('en-US')}, so both see the same machine load; "before growth" is "large" itself, measured before it grew.`,
        `Rows past ${OPEN_TASKS.toLocaleString('en-US')} are bulk-inserted with the same status/risk/deadline mix. The urgency order is read through idx_tasks_ws_urgency_board / idx_tasks_ws_urgency (migration 1764813200000).`,
      ],
    },
  ];
}

module.exports = { name: 'queue-board', run };
