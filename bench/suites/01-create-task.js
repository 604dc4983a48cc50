// POST /api/v1/tasks throughput and latency: real Loopgate vs a bare Express+driver baseline, on
// SQLite and (when reachable) MySQL/MariaDB. Each target gets its own fresh database and server
// process. Per database, all targets are started, warmed up, then measured in interleaved rounds
// (A B, B A, A B, ...; never two at once) so slow drifts in disk fsync latency hit both alike.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const { cpuSeconds, freePort, startServer } = require('../lib/proc');
const { cleanEnv, createAdminKey, startLoopgateServer } = require('../lib/loopgate');
const { runLoad } = require('../lib/load');
const { freshDbName, mysqlUrl, dropDatabase } = require('../lib/mysql');
const { ratio, summarize } = require('../lib/stats');
const { fmt } = require('../lib/table');

const BODY = JSON.stringify({
  title: 'Refund order 1234',
  payload: { orderId: 1234, amount: 42.5, reason: 'damaged' },
  confidence: 0.62,
  riskLevel: 'high',
  slaSeconds: 3600,
  source: 'bench',
});
const POOL_SIZE = 10; // Loopgate's default LOOPGATE_DB_POOL_SIZE; the baseline pool uses the same
const SLICE_WARMUP_MS = 250; // re-open keep-alive sockets before each measured slice
const SETTLE_MS = 1200; // idle gap before each slice: lets the previous target's background checkpoint/flush finish

function tmpDir(label) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `lg-bench-${label}-`));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Creates the real schema with Loopgate's own migrations, plus one workspace row for the FK. */
async function prepareBaselineSchema(ctx, dbConfig) {
  const { openStore } = require(path.join(ctx.root, 'server/dist/store/open-store.js'));
  const store = await openStore(dbConfig);
  const workspaceId = `wsp_bench${randomBytes(6).toString('hex')}`;
  try {
    await store.transaction((tx) =>
      tx.workspaces.insert({
        id: workspaceId,
        slug: `bench-${workspaceId.slice(-8)}`,
        name: 'Bench',
        createdAt: Date.now(),
      }),
    );
  } finally {
    await store.close();
  }
  return workspaceId;
}

async function countTasks(db) {
  if (db.kind === 'sqlite') {
    const Database = require('better-sqlite3');
    const conn = new Database(db.file, { readonly: true });
    try {
      return conn.prepare('SELECT COUNT(*) AS n FROM tasks').get().n;
    } finally {
      conn.close();
    }
  }
  const mysql = require('mysql2/promise');
  const conn = await mysql.createConnection({ ...db.target, database: db.database });
  try {
    const [[row]] = await conn.query('SELECT COUNT(*) AS n FROM tasks');
    return Number(row.n);
  } finally {
    await conn.end();
  }
}

/** A fresh database (sqlite file or mysql schema) plus its cleanup. */
function freshDb(ctx, dbKind, label, cleanup) {
  if (dbKind === 'sqlite') {
    const dir = tmpDir(label);
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    return { kind: 'sqlite', dir, file: path.join(dir, 'loopgate.db') };
  }
  const database = freshDbName();
  cleanup.push(() => dropDatabase(ctx.mysql.target, database));
  return { kind: 'mysql', target: ctx.mysql.target, database, url: mysqlUrl(ctx.mysql.target, database) };
}

async function startLoopgate(ctx, dbKind, cleanup) {
  const port = await freePort();
  const db = freshDb(ctx, dbKind, 'loopgate', cleanup);
  const env = cleanEnv({
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    LOOPGATE_DB_POOL_SIZE: String(POOL_SIZE),
  });
  if (db.kind === 'sqlite') {
    env.DATA_DIR = db.dir;
  } else {
    env.DATA_DIR = tmpDir('loopgate-data');
    cleanup.push(() => fs.rmSync(env.DATA_DIR, { recursive: true, force: true }));
    env.DATABASE_URL = db.url;
  }
  const key = await createAdminKey(ctx, env);
  const proc = await startLoopgateServer(ctx, { name: `loopgate/${dbKind}`, env });
  cleanup.push(() => proc.stop());
  return { label: 'loopgate', port, proc, db, authorization: `Bearer ${key}` };
}

async function startBaseline(ctx, dbKind, cleanup, { withEvent = false } = {}) {
  const port = await freePort();
  const db = freshDb(ctx, dbKind, 'baseline', cleanup);
  const env = cleanEnv({
    PORT: String(port),
    HOST: '127.0.0.1',
    BASELINE_DB: dbKind,
    BASELINE_POOL_SIZE: String(POOL_SIZE),
    BASELINE_WITH_EVENT: withEvent ? '1' : '0',
  });
  if (db.kind === 'sqlite') {
    env.BASELINE_SQLITE_FILE = db.file;
    env.BASELINE_WORKSPACE_ID = await prepareBaselineSchema(ctx, { kind: 'sqlite', file: db.file });
  } else {
    env.BASELINE_MYSQL_URL = db.url;
    env.BASELINE_WORKSPACE_ID = await prepareBaselineSchema(ctx, {
      kind: 'mysql',
      ...db.target,
      database: db.database,
      poolSize: 2,
    });
  }
  const name = `baseline${withEvent ? '+event' : ''}/${dbKind}`;
  const proc = await startServer({
    name,
    cmd: process.execPath,
    args: [path.join(__dirname, '..', 'baseline-server.js')],
    env,
    cwd: ctx.root,
    healthUrl: `http://127.0.0.1:${port}/healthz`,
  });
  cleanup.push(() => proc.stop());
  return { label: withEvent ? 'baseline + event row, 1 tx' : 'baseline (express+driver)', port, proc, db };
}

function loadOptions(target, extra) {
  const headers = { 'content-type': 'application/json' };
  if (target.authorization) headers.authorization = target.authorization;
  return { url: `http://127.0.0.1:${target.port}/api/v1/tasks`, method: 'POST', headers, body: BODY, ...extra };
}

/** One measured slice, with the server's CPU use over exactly the measured window. */
async function slice(ctx, target, durationMs, warmupMs) {
  let cpuStart = null;
  let cpuEnd = null;
  const pid = target.proc.child.pid;
  const r = await runLoad(
    loadOptions(target, {
      concurrency: ctx.concurrency,
      warmupMs,
      durationMs,
      keepLatencies: true,
      onMeasureStart: () => {
        cpuStart = cpuSeconds(pid);
      },
      onMeasureEnd: () => {
        cpuEnd = cpuSeconds(pid);
      },
    }),
  );
  r.cpuSeconds = cpuStart == null || cpuEnd == null ? null : cpuEnd - cpuStart;
  return r;
}

function merge(slices) {
  const latencies = slices.flatMap((s) => s.latencies);
  const seconds = slices.reduce((a, s) => a + s.seconds, 0);
  const ok = slices.reduce((a, s) => a + s.ok, 0);
  const errors = slices.reduce((a, s) => a + s.errors, 0);
  const cpu = slices.every((s) => s.cpuSeconds != null) ? slices.reduce((a, s) => a + s.cpuSeconds, 0) / seconds : null;
  const statusCounts = {};
  for (const s of slices)
    for (const [k, v] of Object.entries(s.statusCounts)) statusCounts[k] = (statusCounts[k] ?? 0) + v;
  const { p50, p90, p99, max, mean } = summarize(latencies);
  return {
    seconds,
    ok,
    errors,
    statusCounts,
    errorSamples: slices.flatMap((s) => s.errorSamples).slice(0, 5),
    rps: ok / seconds,
    perRoundRps: slices.map((s) => s.rps),
    p50,
    p90,
    p99,
    max,
    mean,
    serverCpu: cpu,
  };
}

async function benchDatabase(ctx, dbKind) {
  const cleanup = [];
  try {
    const targets = [await startBaseline(ctx, dbKind, cleanup)];
    if (ctx.env.BENCH_BASELINE_EVENT === '1')
      targets.push(await startBaseline(ctx, dbKind, cleanup, { withEvent: true }));
    targets.push(await startLoopgate(ctx, dbKind, cleanup));

    for (const t of targets) {
      // Fail fast with a readable error if the endpoint does not answer 201 at all.
      const probe = await runLoad(loadOptions(t, { concurrency: 1, warmupMs: 0, durationMs: 200 }));
      if (probe.ok === 0)
        throw new Error(
          `${t.label}/${dbKind}: POST /api/v1/tasks never returned 201: ${probe.errorSamples.join(' | ')}`,
        );
      await runLoad(
        loadOptions(t, { concurrency: ctx.concurrency, warmupMs: ctx.warmupSeconds * 1000, durationMs: 0 }),
      );
    }

    const rounds = ctx.rounds;
    const sliceMs = (ctx.seconds * 1000) / rounds;
    ctx.log(
      `  ${dbKind}: ${targets.length} targets x ${rounds} interleaved rounds of ${(sliceMs / 1000).toFixed(2)}s at concurrency ${ctx.concurrency}`,
    );
    const slices = targets.map(() => []);
    for (let round = 0; round < rounds; round++) {
      const order = targets.map((_, i) => i);
      if (round % 2 === 1) order.reverse();
      for (const i of order) {
        await sleep(SETTLE_MS);
        slices[i].push(await slice(ctx, targets[i], sliceMs, SLICE_WARMUP_MS));
      }
    }

    const results = targets.map((t, i) => ({ target: t.label, ...merge(slices[i]) }));
    for (const t of targets) await t.proc.stop();
    for (const [i, t] of targets.entries()) results[i].rowsInDb = await countTasks(t.db);
    return results;
  } finally {
    for (const fn of cleanup.reverse())
      await Promise.resolve()
        .then(fn)
        .catch((e) => ctx.log(`  cleanup: ${e.message}`));
  }
}

async function run(ctx) {
  const dbs = ['sqlite'];
  if (ctx.mysql.available) dbs.push('mysql');
  const rows = [];
  const ratios = [];
  const notes = [];
  for (const dbKind of dbs) {
    const label = dbKind === 'mysql' ? `mysql (${ctx.mysql.version})` : 'sqlite';
    const results = await benchDatabase(ctx, dbKind);
    for (const r of results) {
      rows.push({ db: label, ...r });
      if (r.errors > 0) notes.push(`${dbKind}/${r.target}: ${r.errors} non-201 responses, e.g. ${r.errorSamples[0]}`);
      // Warm-up and probe requests also insert rows, so rows > ok; fewer rows would mean a 201 without a row.
      if (r.rowsInDb < r.ok)
        notes.push(`${dbKind}/${r.target}: only ${r.rowsInDb} task rows for ${r.ok} measured 201s!`);
    }
    const baseline = results[0];
    const ours = results[results.length - 1];
    const perRound = ours.perRoundRps.map((v, i) => ratio(v, baseline.perRoundRps[i])).filter((v) => v != null);
    const rpsRatio = ratio(ours.rps, baseline.rps);
    ratios.push({
      db: label,
      rpsRatio,
      roundMin: perRound.length ? Math.min(...perRound) : null,
      roundMax: perRound.length ? Math.max(...perRound) : null,
      p99Ratio: ratio(ours.p99, baseline.p99),
      goal: rpsRatio == null ? '-' : rpsRatio >= 0.5 ? 'PASS (>= 50%)' : 'FAIL (< 50%)',
    });
  }
  if (!ctx.mysql.available) notes.push(`MySQL rows skipped: ${ctx.mysql.reason}`);
  else notes.push(`MySQL durability: ${JSON.stringify(ctx.mysql.durability)}`);
  notes.push(
    'loopgate writes a task row + a task_events row per request in one transaction (+ API-key auth, validation); the baseline writes only the task row, no auth.',
  );

  return [
    {
      title: `POST /api/v1/tasks — ${ctx.concurrency} in flight, ${ctx.seconds}s measured per target (${ctx.rounds} interleaved rounds) after ${ctx.warmupSeconds}s warm-up`,
      columns: [
        { key: 'db', label: 'database', align: 'left' },
        { key: 'target', label: 'target', align: 'left' },
        { key: 'rps', label: 'req/s', format: fmt.int },
        { key: 'p50', label: 'p50 ms', format: fmt.ms },
        { key: 'p99', label: 'p99 ms', format: fmt.ms },
        { key: 'max', label: 'max ms', format: fmt.ms },
        { key: 'serverCpu', label: 'srv CPU', format: fmt.pct },
        { key: 'ok', label: '201s', format: fmt.int },
        { key: 'errors', label: 'errors', format: fmt.int },
      ],
      rows,
    },
    {
      title: 'Loopgate / baseline (goal: throughput >= 50% of baseline on each database)',
      columns: [
        { key: 'db', label: 'database', align: 'left' },
        { key: 'rpsRatio', label: 'throughput', format: fmt.pct },
        { key: 'roundMin', label: 'round min', format: fmt.pct },
        { key: 'roundMax', label: 'round max', format: fmt.pct },
        { key: 'p99Ratio', label: 'p99 latency', format: fmt.ratio },
        { key: 'goal', label: 'goal', align: 'left' },
      ],
      rows: ratios,
      notes,
    },
  ];
}

module.exports = { name: 'create-task', run };
