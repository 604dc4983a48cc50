// SLA sweeper (issue 3): the cost of one sweep with 10k and with 1M open tasks (goal: <= 2x apart —
// the sweeper reads only due rows through idx_tasks_next_sweep), and the delay between a task's
// deadline and its expiry as a waiting client sees it (goal: <= cron interval + 1 s).
// Env: BENCH_SWEEP_SIZES (default 10000,1000000), BENCH_SWEEP_DUE (due tasks per sweep, default 100),
// BENCH_SWEEP_REPEATS (default 7), BENCH_SWEEP_MYSQL=0 to skip MySQL, BENCH_SWEEP_DELAY_TASKS (default 50).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const { freePort } = require('../lib/proc');
const { freshDbName, dropDatabase } = require('../lib/mysql');
const { summarize, ratio } = require('../lib/stats');
const { fmt } = require('../lib/table');
const { cleanEnv, createAdminKey, sendJson, startLoopgateServer } = require('../lib/loopgate');

const SIZES = (process.env.BENCH_SWEEP_SIZES || '10000,1000000')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const DUE = Number(process.env.BENCH_SWEEP_DUE) || 100;
const REPEATS = Number(process.env.BENCH_SWEEP_REPEATS) || 7;
const DELAY_TASKS = Number(process.env.BENCH_SWEEP_DELAY_TASKS) || 50;
const ROWS_PER_INSERT = 500;

const COLUMNS = [
  'id',
  'workspace_id',
  'queue',
  'title',
  'payload',
  'tags',
  'source',
  'status',
  'due_at',
  'next_sweep_at',
  'created_at',
  'updated_at',
  'version',
  'created_by_type',
  'created_by_id',
  'created_by_name',
];

let counter = 0;
function taskId() {
  counter++;
  return `tsk_bench${counter.toString(36).padStart(8, '0')}${randomBytes(4).toString('hex')}`;
}

/** One open task row. `dueAt` far ahead: open and deadlined, but not due — the rows a good sweeper never touches. */
function row(workspaceId, dueAt, now) {
  return [
    taskId(),
    workspaceId,
    'default',
    'Bench task',
    '{"n":1}',
    '[]',
    'bench',
    'pending_review',
    dueAt,
    dueAt,
    now,
    now,
    1,
    'api_key',
    'key_bench',
    'bench',
  ];
}

/** Bulk insert with multi-row INSERTs, one transaction per 100k rows. */
async function bulkInsert(exec, begin, commit, workspaceId, count, dueAtOf, now) {
  const placeholders = `(${COLUMNS.map(() => '?').join(', ')})`;
  let done = 0;
  while (done < count) {
    await begin();
    const txEnd = Math.min(count, done + 100_000);
    while (done < txEnd) {
      const n = Math.min(ROWS_PER_INSERT, txEnd - done);
      const params = [];
      for (let i = 0; i < n; i++) params.push(...row(workspaceId, dueAtOf(done + i), now));
      await exec(`INSERT INTO tasks (${COLUMNS.join(', ')}) VALUES ${Array(n).fill(placeholders).join(', ')}`, params);
      done += n;
    }
    await commit();
  }
}

async function openDb(ctx, kind, cleanup) {
  const { openStore } = require(path.join(ctx.root, 'server/dist/store/open-store.js'));
  if (kind === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-bench-sweep-'));
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const config = { kind: 'sqlite', file: path.join(dir, 'loopgate.db') };
    // Migrate, then bulk-load through a plain connection.
    await (await openStore(config)).close();
    const Database = require('better-sqlite3');
    const db = new Database(config.file);
    db.pragma('journal_mode = WAL');
    const statements = new Map();
    return {
      config,
      exec: async (sql, params = []) => {
        let stmt = statements.get(sql);
        if (!stmt) {
          stmt = db.prepare(sql);
          statements.set(sql, stmt);
        }
        return stmt.reader ? stmt.all(...params) : stmt.run(...params);
      },
      begin: async () => db.exec('BEGIN'),
      commit: async () => db.exec('COMMIT'),
      close: async () => db.close(),
      openStore: () => openStore(config),
    };
  }
  const database = freshDbName('lg_bench_sweep');
  cleanup.push(() => dropDatabase(ctx.mysql.target, database));
  const config = { kind: 'mysql', ...ctx.mysql.target, database, poolSize: 10 };
  await (await openStore(config)).close();
  const mysql = require('mysql2/promise');
  const conn = await mysql.createConnection({ ...ctx.mysql.target, database });
  return {
    config,
    exec: async (sql, params = []) => (await conn.query(sql, params))[0],
    begin: async () => conn.query('BEGIN'),
    commit: async () => conn.query('COMMIT'),
    close: async () => conn.end(),
    openStore: () => openStore(config),
  };
}

/** Median wall time of one sweep that finds DUE due tasks among `size` open ones (plus the bare index read). */
async function measureSweepCost(ctx, kind, size) {
  const cleanup = [];
  try {
    const db = await openDb(ctx, kind, cleanup);
    const workspaceId = `wsp_bench${randomBytes(6).toString('hex')}`;
    const now = Date.now();
    await db.exec('INSERT INTO workspaces (id, slug, name, created_at) VALUES (?, ?, ?, ?)', [
      workspaceId,
      workspaceId.slice(-12),
      'Bench',
      now,
    ]);
    const loadStart = Date.now();
    // Deadlines spread over the next 30 days, as a real backlog's would be.
    await bulkInsert(
      db.exec,
      db.begin,
      db.commit,
      workspaceId,
      size,
      (i) => now + 3_600_000 + (i % 720) * 3_600_000,
      now,
    );
    const loadSeconds = (Date.now() - loadStart) / 1000;
    if (kind === 'sqlite') await db.exec('ANALYZE');
    else await db.exec('ANALYZE TABLE tasks');
    const plan =
      kind === 'sqlite'
        ? (
            await db.exec(
              'EXPLAIN QUERY PLAN SELECT id, workspace_id, next_sweep_at FROM tasks WHERE next_sweep_at <= ? ORDER BY next_sweep_at LIMIT ?',
              [now, 500],
            )
          )
            .map((r) => r.detail)
            .join('; ')
        : (
            await db.exec(
              'EXPLAIN SELECT id, workspace_id, next_sweep_at FROM tasks WHERE next_sweep_at <= ? ORDER BY next_sweep_at LIMIT ?',
              [now, 500],
            )
          )
            .map((r) => `${r.type}/${r.key}/rows=${r.rows}`)
            .join('; ');

    const { sweepOnce } = require(path.join(ctx.root, 'server/dist/domain/approvals/sla-sweeper.js'));
    const { InProcessTaskEventBus } = require(path.join(ctx.root, 'server/dist/events/in-process-bus.js'));
    const sweeps = [];
    const reads = [];
    for (let r = 0; r < REPEATS; r++) {
      // DUE tasks whose deadline just passed; the sweep expires them (default queue: timeout → expired).
      await db.begin();
      await bulkInsert(
        db.exec,
        async () => undefined,
        async () => undefined,
        workspaceId,
        DUE,
        () => Date.now() - 1000,
        Date.now(),
      );
      await db.commit();
      const store = await db.openStore();
      try {
        const t0 = performance.now();
        const due = await store.read.sweep.due(Date.now(), 500);
        reads.push(performance.now() - t0);
        if (due.length !== DUE) throw new Error(`expected ${DUE} due rows, the index read found ${due.length}`);
        const t1 = performance.now();
        const result = await sweepOnce({ store, bus: new InProcessTaskEventBus(), clock: Date.now }, { limit: 500 });
        sweeps.push(performance.now() - t1);
        if (result.applied !== DUE) throw new Error(`sweep applied ${result.applied} of ${DUE}`);
      } finally {
        await store.close();
      }
    }
    await db.close();
    return {
      db: kind,
      open: size,
      due: DUE,
      loadSeconds,
      sweep: summarize(sweeps).p50,
      sweepMax: summarize(sweeps).max,
      read: summarize(reads).p50,
      plan,
    };
  } finally {
    for (const fn of cleanup.reverse())
      await Promise.resolve()
        .then(fn)
        .catch((e) => ctx.log(`  cleanup: ${e.message}`));
  }
}

/** A real server with the node-cron sweeper; tasks with deadlines spread over a few seconds; a long-poll waiter per task. */
async function measureDelay(ctx, intervalSeconds) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-bench-sweep-delay-'));
  const port = await freePort();
  const env = cleanEnv({
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    DATA_DIR: dir,
    LOOPGATE_SLA_SWEEP_SECONDS: String(intervalSeconds),
  });
  let proc;
  try {
    const key = await createAdminKey(ctx, env);
    proc = await startLoopgateServer(ctx, { name: 'loopgate/sweeper', env });
    const base = `http://127.0.0.1:${port}`;
    const headers = { authorization: `Bearer ${key}` };
    const start = Date.now() + 1500;
    const spread = Math.max(intervalSeconds, 2) * 1000;
    const tasks = [];
    for (let i = 0; i < DELAY_TASKS; i++) {
      const dueAt = start + Math.floor((i * spread) / DELAY_TASKS);
      const res = await sendJson('POST', `${base}/api/v1/tasks`, {
        headers,
        body: JSON.stringify({ title: `delay ${i}`, payload: {}, dueAt: new Date(dueAt).toISOString() }),
      });
      if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.body}`);
      tasks.push({ id: JSON.parse(res.body).id, dueAt });
    }
    const delays = await Promise.all(
      tasks.map(async (task) => {
        for (;;) {
          const res = await sendJson('GET', `${base}/api/v1/tasks/${task.id}/wait?timeout=30`, { headers });
          const body = JSON.parse(res.body);
          if (body.status === 'expired') return Date.now() - task.dueAt;
          if (body.status !== 'pending_review') throw new Error(`unexpected status ${body.status}`);
        }
      }),
    );
    const s = summarize(delays);
    const goalMs = intervalSeconds * 1000 + 1000;
    return {
      interval: `${intervalSeconds} s`,
      tasks: DELAY_TASKS,
      p50: s.p50,
      p99: s.p99,
      max: s.max,
      goal: s.max <= goalMs ? `PASS (<= ${goalMs} ms)` : `FAIL (> ${goalMs} ms)`,
    };
  } finally {
    if (proc) await proc.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function run(ctx) {
  const costRows = [];
  const notes = [];
  const kinds = ['sqlite'];
  if (ctx.mysql.available && process.env.BENCH_SWEEP_MYSQL !== '0') kinds.push('mysql');
  for (const kind of kinds) {
    const rows = [];
    for (const size of SIZES) {
      ctx.log(`  ${kind}: ${size.toLocaleString('en-US')} open tasks, ${DUE} due, ${REPEATS} sweeps`);
      rows.push(await measureSweepCost(ctx, kind, size));
    }
    const first = rows[0];
    for (const r of rows) {
      r.vsSmallest = ratio(r.sweep, first.sweep);
      r.goal = r === first ? '-' : r.vsSmallest <= 2 ? 'PASS (<= 2x)' : 'FAIL (> 2x)';
      notes.push(
        `${kind} ${r.open.toLocaleString('en-US')} open: bulk load ${r.loadSeconds.toFixed(1)} s; due-row query plan: ${r.plan}`,
      );
    }
    costRows.push(...rows);
  }
  if (!kinds.includes('mysql'))
    notes.push(ctx.mysql.available ? 'MySQL skipped (BENCH_SWEEP_MYSQL=0)' : `MySQL skipped: ${ctx.mysql.reason}`);
  notes.push(
    `sweep: ${DUE} due tasks expired (compare-and-set + event per task, one transaction each); read: the due-row index query alone. Median of ${REPEATS}.`,
  );

  const delayRows = [];
  for (const interval of [1, 5]) {
    ctx.log(`  deadline → expiry delay, sweeper every ${interval} s`);
    delayRows.push(await measureDelay(ctx, interval));
  }

  return [
    {
      title: `SLA sweep cost: one sweep finding ${DUE} due tasks among N open ones (goal: largest N <= 2x smallest)`,
      columns: [
        { key: 'db', label: 'database', align: 'left' },
        { key: 'open', label: 'open tasks', format: fmt.int },
        { key: 'read', label: 'due query ms', format: fmt.ms },
        { key: 'sweep', label: 'sweep p50 ms', format: fmt.ms },
        { key: 'sweepMax', label: 'sweep max ms', format: fmt.ms },
        { key: 'vsSmallest', label: 'vs smallest', format: fmt.ratio },
        { key: 'goal', label: 'goal', align: 'left' },
      ],
      rows: costRows,
      notes,
    },
    {
      title: `Deadline → expiry seen by a waiting client (${DELAY_TASKS} tasks, deadlines spread over the interval; SQLite, node-cron sweeper)`,
      columns: [
        { key: 'interval', label: 'cron interval', align: 'left' },
        { key: 'tasks', label: 'tasks', format: fmt.int },
        { key: 'p50', label: 'p50 ms', format: fmt.int },
        { key: 'p99', label: 'p99 ms', format: fmt.int },
        { key: 'max', label: 'max ms', format: fmt.int },
        { key: 'goal', label: 'goal (interval + 1 s)', align: 'left' },
      ],
      rows: delayRows,
    },
  ];
}

module.exports = { name: 'sla-sweep', run };
