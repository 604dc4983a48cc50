// Decision delivery: decision → callback received (p50/p99), decision → waiting client (/wait) latency,
// and outbox throughput (a burst of decisions, and a backlog drained by the worker), against a bare
// baseline measured in the same run: a plain HTTP POST from this process to a second local process.
// Goals (issue 4): callback p99 <= 2 x bare POST p99 + 10 ms; waiter p99 <= 20 ms.
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { cpuSeconds, freePort, startServer } = require('../lib/proc');
const { cleanEnv, createAdminKey, sendJson, startLoopgateServer } = require('../lib/loopgate');
const { freshDbName, mysqlUrl, dropDatabase } = require('../lib/mysql');
const { summarize } = require('../lib/stats');
const { fmt } = require('../lib/table');

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
/** Every request of this suite over the same keep-alive sockets, as an automation's client would. */
const send = (method, url, options = {}) => sendJson(method, url, { ...options, agent });

function num(name, fallback) {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

const SAMPLES = num('BENCH_DELIVERY_SAMPLES', 300);
const BURST = num('BENCH_DELIVERY_BURST', 1000);
const BACKLOG = num('BENCH_DELIVERY_BACKLOG', 2000);

const now = () => performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A receiver in this process: notes when each task's callback arrives. */
async function startReceiver() {
  const waiting = new Map();
  const arrived = new Map();
  let count = 0;
  const times = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = now();
      res.writeHead(200).end();
      count++;
      times.push(at);
      let taskId;
      try {
        taskId = JSON.parse(Buffer.concat(chunks).toString('utf8')).data?.taskId;
      } catch {}
      if (!taskId) return;
      const resolve = waiting.get(taskId);
      if (resolve) {
        waiting.delete(taskId);
        resolve(at);
      } else arrived.set(taskId, at);
    });
  });
  server.keepAliveTimeout = 60_000;
  const port = await freePort();
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${port}`,
    when(taskId) {
      if (arrived.has(taskId)) return Promise.resolve(arrived.get(taskId));
      return new Promise((resolve) => waiting.set(taskId, resolve));
    },
    count: () => count,
    times,
    reset() {
      count = 0;
      times.length = 0;
      arrived.clear();
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

/** The bare baseline: a second process answering POSTs with 200, timed from here. */
async function bareBaseline(ctx, cleanup) {
  const port = await freePort();
  const script = `require('node:http').createServer((q,s)=>{q.resume();q.on('end',()=>s.writeHead(200).end())}).listen(${port},'127.0.0.1')`;
  const proc = await startServer({
    name: 'bare-post',
    cmd: process.execPath,
    args: ['-e', script],
    env: cleanEnv({}),
    cwd: ctx.root,
    healthUrl: `http://127.0.0.1:${port}/healthz`,
  });
  cleanup.push(() => proc.stop());
  const body = JSON.stringify({
    type: 'task.decided',
    data: { taskId: 'tsk_x', status: 'approved', payload: { a: 1 } },
  });
  for (let i = 0; i < 50; i++) await send('POST', `http://127.0.0.1:${port}/hook`, { body });
  const latencies = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = now();
    await send('POST', `http://127.0.0.1:${port}/hook`, { body });
    latencies.push(now() - t0);
  }
  return summarize(latencies);
}

/** A Loopgate process on a fresh database, or (with `peer`) a second process on the peer's database and key. */
async function startLoopgate(ctx, dbKind, cleanup, { redisUrl, peer } = {}) {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-bench-delivery-'));
  cleanup.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const env = cleanEnv({
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    LOOPGATE_ALLOW_PRIVATE_CALLBACKS: 'true',
    LOOPGATE_OUTBOX_CONCURRENCY: '64',
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
  });
  let dbConfig = { kind: 'sqlite', file: path.join(dataDir, 'loopgate.db') };
  if (peer) {
    env.DATABASE_URL = peer.env.DATABASE_URL;
    dbConfig = peer.dbConfig;
  } else if (dbKind === 'mysql') {
    const database = freshDbName();
    cleanup.push(() => dropDatabase(ctx.mysql.target, database));
    env.DATABASE_URL = mysqlUrl(ctx.mysql.target, database);
    dbConfig = { kind: 'mysql', ...ctx.mysql.target, database, poolSize: 4 };
  }
  const key = peer ? peer.headers.authorization.slice('Bearer '.length) : await createAdminKey(ctx, env);
  const start = async () => {
    const proc = await startLoopgateServer(ctx, { name: `loopgate/${dbKind}`, env });
    cleanup.push(() => proc.stop());
    return proc;
  };
  const proc = await start();
  return { base: `http://127.0.0.1:${port}`, headers: { authorization: `Bearer ${key}` }, proc, start, dbConfig, env };
}

async function createTask(lg, callbackUrl) {
  const res = await send('POST', `${lg.base}/api/v1/tasks`, {
    headers: lg.headers,
    body: JSON.stringify({ title: 'Refund order 1234', payload: { orderId: 1234, amount: 42.5 }, callbackUrl }),
  });
  if (res.status !== 201) throw new Error(`create task: ${res.status} ${res.body}`);
  return JSON.parse(res.body).id;
}

async function decide(lg, id, action = 'approve') {
  const res = await send('POST', `${lg.base}/api/v1/tasks/${id}/decision`, {
    headers: lg.headers,
    body: JSON.stringify({ action }),
  });
  if (res.status !== 200) throw new Error(`decide: ${res.status} ${res.body}`);
}

async function callbackLatency(lg, receiver) {
  const ids = [];
  for (let i = 0; i < SAMPLES + 30; i++) ids.push(await createTask(lg, `${receiver.url}/resume/${i}`));
  const toCallback = [];
  const toResponse = [];
  const afterResponse = [];
  for (const [i, id] of ids.entries()) {
    const arrival = receiver.when(id);
    const t0 = now();
    await decide(lg, id);
    const answered = now();
    const at = await arrival;
    if (i >= 30) {
      toCallback.push(at - t0);
      toResponse.push(answered - t0);
      afterResponse.push(at - answered);
    }
  }
  return { callback: summarize(toCallback), decision: summarize(toResponse), afterCommit: summarize(afterResponse) };
}

async function waiterLatency(lg, decider = lg) {
  const ids = [];
  for (let i = 0; i < SAMPLES + 30; i++) ids.push(await createTask(lg));
  const latencies = [];
  const afterResponse = [];
  for (const [i, id] of ids.entries()) {
    const waiting = send('GET', `${lg.base}/api/v1/tasks/${id}/wait?timeout=30`, { headers: lg.headers });
    // Let the long-poll arrive and subscribe before deciding (not timed).
    await sleep(5);
    const t0 = now();
    let answered;
    const decided = decide(decider, id).then(() => {
      answered = now();
    });
    const res = await waiting;
    const t1 = now();
    await decided;
    if (JSON.parse(res.body).status !== 'approved') throw new Error(`waiter answered ${res.body}`);
    if (i >= 30) {
      latencies.push(t1 - t0);
      afterResponse.push(t1 - answered);
    }
  }
  return { waiter: summarize(latencies), afterCommit: summarize(afterResponse) };
}

/** Decisions at 32 in flight; deliveries/s from the first decision to the last callback. */
async function burstThroughput(lg, receiver) {
  const ids = [];
  let started = 0;
  const creators = Array.from({ length: 16 }, async () => {
    while (started++ < BURST) ids.push(await createTask(lg, `${receiver.url}/burst`));
  });
  await Promise.all(creators);
  receiver.reset();
  const t0 = now();
  let next = 0;
  const cpu0 = cpuSeconds(lg.proc.child.pid);
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < ids.length) await decide(lg, ids[next++]);
    }),
  );
  const decidedAt = now();
  const deadline = Date.now() + 120_000;
  while (receiver.count() < ids.length && Date.now() < deadline) await sleep(5);
  const done = now();
  const cpu1 = cpuSeconds(lg.proc.child.pid);
  return {
    delivered: receiver.count(),
    decisionsPerSec: ids.length / ((decidedAt - t0) / 1000),
    deliveriesPerSec: receiver.count() / ((done - t0) / 1000),
    serverCpu: cpu0 == null || cpu1 == null ? null : (cpu1 - cpu0) / ((done - t0) / 1000),
  };
}

/** Rows queued while the server is down, drained by the worker's poll-and-claim path after start. */
async function backlogThroughput(ctx, lg, receiver) {
  await lg.proc.stop();
  const { openStore } = require(path.join(ctx.root, 'server/dist/store/open-store.js'));
  const store = await openStore(lg.dbConfig);
  try {
    const workspace = await store.read.workspaces.findBySlug('default');
    const t = Date.now();
    for (let start = 0; start < BACKLOG; start += 500) {
      await store.transaction(async (tx) => {
        for (let i = start; i < Math.min(BACKLOG, start + 500); i++) {
          const id = `msg_bench${String(i).padStart(8, '0')}${Math.random().toString(36).slice(2, 10)}`;
          await tx.deliveries.insert({
            id,
            workspaceId: workspace.id,
            kind: 'callback',
            taskId: null,
            subscriptionId: null,
            eventType: 'task.decided',
            url: `${receiver.url}/backlog`,
            body: JSON.stringify({ type: 'task.decided', data: { n: i } }),
            status: 'pending',
            attempts: 0,
            nextAttemptAt: t,
            leaseToken: null,
            lastStatusCode: null,
            lastError: null,
            createdAt: t,
            updatedAt: t,
            deliveredAt: null,
          });
        }
      });
    }
  } finally {
    await store.close();
  }
  receiver.reset();
  lg.proc = await lg.start();
  const deadline = Date.now() + 180_000;
  while (receiver.count() < BACKLOG && Date.now() < deadline) await sleep(10);
  const first = receiver.times[0];
  const last = receiver.times[receiver.times.length - 1];
  return {
    delivered: receiver.count(),
    deliveriesPerSec: first && last > first ? (receiver.count() - 1) / ((last - first) / 1000) : null,
  };
}

async function redisReachable(url) {
  try {
    const { Redis } = require('ioredis');
    const client = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    await client.connect();
    await client.ping();
    client.disconnect();
    return true;
  } catch {
    return false;
  }
}

async function run(ctx) {
  const dbs = ['sqlite'];
  if (ctx.mysql.available) dbs.push('mysql');
  const cleanup = [];
  const latencyRows = [];
  const throughputRows = [];
  const notes = [];
  const receiver = await startReceiver();
  try {
    ctx.log(`  bare POST baseline: ${SAMPLES} sequential POSTs to a second process`);
    const bare = await bareBaseline(ctx, cleanup);
    latencyRows.push({ db: '-', measure: 'bare POST between two local processes (baseline)', ...bare, goal: '' });
    for (const dbKind of dbs) {
      const label = dbKind === 'mysql' ? `mysql (${ctx.mysql.version})` : 'sqlite';
      const lg = await startLoopgate(ctx, dbKind, cleanup);
      ctx.log(`  ${dbKind}: ${SAMPLES} sequential decisions with a callback, then ${SAMPLES} with a waiter`);
      const { callback, decision, afterCommit } = await callbackLatency(lg, receiver);
      const callbackGoal = 2 * bare.p99 + 10;
      latencyRows.push({ db: label, measure: 'decision request → its 200 (context)', ...decision, goal: '' });
      latencyRows.push({
        db: label,
        measure: 'decision → callback received',
        ...callback,
        goal: `${callback.p99 <= callbackGoal ? 'PASS' : 'FAIL'} (p99 <= ${callbackGoal.toFixed(2)} ms)`,
      });
      latencyRows.push({
        db: label,
        measure: '  of which after the decision’s 200',
        ...afterCommit,
        goal: `${afterCommit.p99 <= callbackGoal ? 'PASS' : 'FAIL'} (p99 <= ${callbackGoal.toFixed(2)} ms)`,
      });
      const { waiter, afterCommit: waiterAfter } = await waiterLatency(lg);
      latencyRows.push({
        db: label,
        measure: 'decision → waiting client (/wait) answered',
        ...waiter,
        goal: `${waiter.p99 <= 20 ? 'PASS' : 'FAIL'} (p99 <= 20 ms)`,
      });
      latencyRows.push({
        db: label,
        measure: '  of which after the decision’s 200',
        ...waiterAfter,
        goal: `${waiterAfter.p99 <= 20 ? 'PASS' : 'FAIL'} (p99 <= 20 ms)`,
      });
      ctx.log(`  ${dbKind}: burst of ${BURST} decisions at 32 in flight, then a backlog of ${BACKLOG} rows`);
      const burst = await burstThroughput(lg, receiver);
      throughputRows.push({ db: label, mode: `burst: ${BURST} decisions, 32 in flight`, ...burst });
      if (burst.delivered < BURST)
        notes.push(`${dbKind}: burst delivered only ${burst.delivered}/${BURST} within 120 s`);
      const backlog = await backlogThroughput(ctx, lg, receiver);
      throughputRows.push({ db: label, mode: `backlog: ${BACKLOG} due rows after a restart`, ...backlog });
      if (backlog.delivered < BACKLOG) notes.push(`${dbKind}: backlog delivered only ${backlog.delivered}/${BACKLOG}`);
      await lg.proc.stop();
    }
    const redisUrl = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';
    if (ctx.mysql.available && (await redisReachable(redisUrl))) {
      ctx.log(`  mysql + redis: ${SAMPLES} waiters on process A, decisions on process B`);
      const a = await startLoopgate(ctx, 'mysql', cleanup, { redisUrl });
      const b = await startLoopgate(ctx, 'mysql', cleanup, { redisUrl, peer: a });
      const { waiter, afterCommit } = await waiterLatency(a, b);
      const label = `mysql + redis, 2 processes`;
      latencyRows.push({
        db: label,
        measure: 'decision on B → waiting client on A answered',
        ...waiter,
        goal: `${waiter.p99 <= 20 ? 'PASS' : 'FAIL'} (p99 <= 20 ms)`,
      });
      latencyRows.push({
        db: label,
        measure: '  of which after the decision’s 200',
        ...afterCommit,
        goal: `${afterCommit.p99 <= 20 ? 'PASS' : 'FAIL'} (p99 <= 20 ms)`,
      });
      await Promise.all([a.proc.stop(), b.proc.stop()]);
    } else {
      notes.push(`Cross-process waiter skipped: needs MySQL and Redis at ${redisUrl}`);
    }
  } finally {
    await receiver.close();
    for (const fn of cleanup.reverse())
      await Promise.resolve()
        .then(fn)
        .catch((e) => ctx.log(`  cleanup: ${e.message}`));
  }
  if (!ctx.mysql.available) notes.push(`MySQL rows skipped: ${ctx.mysql.reason}`);
  notes.push(
    'Latencies are sequential (one decision in flight), timed in this process; the receiver answers 200 at once.',
  );
  notes.push(
    'Callbacks are signed (Standard Webhooks) and sent by the deciding process right after commit; the outbox row is leased in the decision transaction.',
  );
  return [
    {
      title: `Decision delivery latency — ${SAMPLES} samples each (after 30 warm-up), loopback`,
      columns: [
        { key: 'db', label: 'database', align: 'left' },
        { key: 'measure', label: 'measure', align: 'left' },
        { key: 'p50', label: 'p50 ms', format: fmt.ms },
        { key: 'p90', label: 'p90 ms', format: fmt.ms },
        { key: 'p99', label: 'p99 ms', format: fmt.ms },
        { key: 'max', label: 'max ms', format: fmt.ms },
        { key: 'goal', label: 'goal', align: 'left' },
      ],
      rows: latencyRows,
    },
    {
      title: 'Outbox delivery throughput',
      columns: [
        { key: 'db', label: 'database', align: 'left' },
        { key: 'mode', label: 'mode', align: 'left' },
        { key: 'decisionsPerSec', label: 'decisions/s', format: fmt.int },
        { key: 'deliveriesPerSec', label: 'deliveries/s', format: fmt.int },
        { key: 'serverCpu', label: 'srv CPU', format: fmt.pct },
        { key: 'delivered', label: 'delivered', format: fmt.int },
      ],
      rows: throughputRows,
      notes,
    },
  ];
}

module.exports = { name: 'decision-delivery', run };
