// Sensitive-data classification (issue 17 item 2), three measurements in one run:
//  1. routeTask on a ~100 KB payload with every detector on vs routing without detectors, in process
//     (goal: classification adds < 2 ms p99 to a create for payloads up to 100 KB);
//  2. routing throughput over many small tasks, with and without detectors;
//  3. a pathological payload (deep nesting, long digit runs, regex bait) posted in a loop while small
//     creates are measured, against the same creates alone, on one real server (SQLite)
//     (goal: the other requests' p99 stays within 2x).
// Sizes: BENCH_CLASSIFY_ITERATIONS (default 300), BENCH_CLASSIFY_TASKS (default 10000),
// BENCH_CLASSIFY_KB (default 100); the HTTP part uses BENCH_SECONDS / BENCH_CONCURRENCY.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freePort } = require('../lib/proc');
const { cleanEnv, createAdminKey, sendJson, startLoopgateServer } = require('../lib/loopgate');
const { runLoad } = require('../lib/load');
const { ratio, summarize } = require('../lib/stats');
const { fmt } = require('../lib/table');

const DETECTORS = [
  { detector: 'email', raiseTo: 'medium' },
  { detector: 'phone', raiseTo: 'medium' },
  { detector: 'iban', raiseTo: 'high' },
  { detector: 'card', raiseTo: 'critical' },
  { detector: 'ssn', raiseTo: 'high' },
  { detector: 'ip', raiseTo: 'low' },
  { detector: 'secret', raiseTo: 'critical' },
  { detector: 'custom', name: 'Employee id', pattern: '\\bEMP-[0-9]{6}\\b', raiseTo: 'medium' },
];

const int = (env, name, fallback) => {
  const n = Number(env[name]);
  return Number.isFinite(n) && n > 0 ? Math.round(n) : fallback;
};

/** An order-like document of about `kb` KB: customers, lines and notes, with a few sensitive values. */
function realisticPayload(kb) {
  const lines = [];
  let size = 0;
  for (let i = 0; size < kb * 1024; i++) {
    const line = {
      sku: `SKU-${100000 + i}`,
      description: `Replacement part ${i} for model X${i % 17}, shipped from warehouse ${i % 5} on 2026-0${(i % 9) + 1}-1${i % 9}`,
      quantity: (i % 7) + 1,
      price: `${(i * 13.37).toFixed(2)} EUR`,
      note: i % 50 === 0 ? `Contact ops${i}@example.com or +44 20 7946 0${String(i % 1000).padStart(3, '0')}` : 'ok',
      ref: `ref-${i.toString(36)}-${(i * 7919).toString(36)}`,
    };
    size += JSON.stringify(line).length;
    lines.push(line);
  }
  return { customer: { name: 'Ada', iban: 'DE89 3704 0044 0532 0130 00' }, lines };
}

/** What an attacker (or a broken agent) might send: deep nesting, long digit runs, regex bait. */
function pathologicalPayload() {
  let deep = 'EMP-000001';
  for (let i = 0; i < 60; i++) deep = { d: deep }; // the API refuses JSON deeper than 64
  return {
    deep,
    digits: '4'.repeat(150_000),
    bait: {
      at: `${'a'.repeat(60)}@`.repeat(2000),
      colons: ':'.repeat(100_000),
      plus: '+1 '.repeat(30_000),
      dashes: '123-'.repeat(30_000),
      ibanish: 'DE89'.repeat(20_000),
      base64: 'Q7fZ2kLp9XwR4mTb'.repeat(10_000),
    },
    many: Array.from({ length: 5000 }, (_, i) => `x${i}`),
  };
}

function timeEach(iterations, fn) {
  const samples = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const started = process.hrtime.bigint();
    fn(i);
    samples[i] = Number(process.hrtime.bigint() - started) / 1e6;
  }
  return summarize(samples);
}

function inProcess(ctx) {
  const { queueConfigSchema } = require(path.join(ctx.root, 'shared/dist/index.js'));
  const { routeTask } = require(path.join(ctx.root, 'server/dist/domain/approvals/route-task.js'));
  const policy = { rules: [{ type: 'risk', levels: { medium: 1, high: 2, critical: 2 } }], otherwise: 'auto_approve' };
  const levels = [{ name: 'ops' }, { name: 'compliance' }];
  const withDetectors = queueConfigSchema.parse({ levels, policy, classification: { detectors: DETECTORS } });
  const without = queueConfigSchema.parse({ levels, policy });
  const kb = int(ctx.env, 'BENCH_CLASSIFY_KB', 100);
  const iterations = int(ctx.env, 'BENCH_CLASSIFY_ITERATIONS', 300);
  const taskCount = int(ctx.env, 'BENCH_CLASSIFY_TASKS', 10_000);
  const big = realisticPayload(kb);
  const bytes = JSON.stringify(big).length;
  const task = (id, payload) => ({ id, confidence: 0.9, riskLevel: 'low', payload, context: null, tags: [] });

  // Warm both paths (JIT, compiled detectors) before measuring; then interleave so drift hits both.
  for (let i = 0; i < 20; i++) {
    routeTask(withDetectors, task(`tsk_w${i}`, big));
    routeTask(without, task(`tsk_w${i}`, big));
  }
  const half = Math.ceil(iterations / 2);
  const a1 = timeEach(half, (i) => routeTask(without, task(`tsk_a${i}`, big)));
  const b1 = timeEach(half, (i) => routeTask(withDetectors, task(`tsk_b${i}`, big)));
  const a2 = timeEach(half, (i) => routeTask(without, task(`tsk_c${i}`, big)));
  const b2 = timeEach(half, (i) => routeTask(withDetectors, task(`tsk_d${i}`, big)));
  const pick = (x, y) => ({ p50: Math.max(x.p50, y.p50), p99: Math.max(x.p99, y.p99), max: Math.max(x.max, y.max) });
  const plain = pick(a1, a2);
  const classified = pick(b1, b2);
  const found = routeTask(withDetectors, task('tsk_check', big));

  const small = Array.from({ length: taskCount }, (_, i) =>
    task(`tsk_s${i}`, { orderId: i, amount: i * 1.5, customer: { email: i % 10 === 0 ? `c${i}@example.com` : 'n/a' } }),
  );
  const throughput = (config) => {
    const started = process.hrtime.bigint();
    for (const t of small) routeTask(config, t);
    return taskCount / (Number(process.hrtime.bigint() - started) / 1e9);
  };
  throughput(withDetectors);
  const plainRate = throughput(without);
  const classifiedRate = throughput(withDetectors);
  const added = classified.p99 - plain.p99;
  return {
    latency: [
      { target: 'routing, no detectors', bytes, ...plain },
      { target: `routing + ${DETECTORS.length} detectors`, bytes, ...classified },
    ],
    added,
    goal: added < 2 ? 'PASS (< 2 ms p99 added)' : 'FAIL (>= 2 ms p99 added)',
    findings: found.classification.findings.map((f) => `${f.name ?? f.detector}×${f.paths.length}`).join(', '),
    throughput: [
      { target: 'routing, no detectors', tasks: taskCount, perSecond: plainRate },
      { target: `routing + ${DETECTORS.length} detectors`, tasks: taskCount, perSecond: classifiedRate },
    ],
    iterations,
  };
}

async function overHttp(ctx) {
  const cleanup = [];
  try {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-bench-classify-'));
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    const env = cleanEnv({ PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATA_DIR: dir });
    const key = await createAdminKey(ctx, env);
    const proc = await startLoopgateServer(ctx, { name: 'loopgate/classify', env });
    cleanup.push(() => proc.stop());
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const base = `http://127.0.0.1:${port}`;
    const queue = await sendJson('POST', `${base}/api/v1/queues`, {
      headers,
      body: JSON.stringify({ name: 'sensitive', config: { classification: { detectors: DETECTORS } } }),
    });
    if (queue.status !== 201) throw new Error(`creating the queue failed: ${queue.status} ${queue.body}`);

    const plainQueue = await sendJson('POST', `${base}/api/v1/queues`, {
      headers,
      body: JSON.stringify({ name: 'plain', config: {} }),
    });
    if (plainQueue.status !== 201)
      throw new Error(`creating the queue failed: ${plainQueue.status} ${plainQueue.body}`);

    const small = JSON.stringify({ queue: 'sensitive', title: 'Small', payload: { amount: 5, to: 'ops@example.com' } });
    const bait = pathologicalPayload();
    const bad = JSON.stringify({ queue: 'sensitive', title: 'Bait', payload: bait });
    // The same body to a queue without detectors: what parsing, validating and storing 800 KB cost alone.
    const badPlain = JSON.stringify({ queue: 'plain', title: 'Bait', payload: bait });
    const badCheck = await sendJson('POST', `${base}/api/v1/tasks`, { headers, body: bad });
    if (badCheck.status !== 201)
      throw new Error(`the pathological payload was refused: ${badCheck.status} ${badCheck.body.slice(0, 200)}`);
    const truncated = JSON.parse(badCheck.body).classification?.truncated;

    const concurrency = Math.min(ctx.concurrency, 8);
    const durationMs = Math.max(1000, ctx.seconds * 1000);
    const load = (extra) =>
      runLoad({
        url: `${base}/api/v1/tasks`,
        method: 'POST',
        headers,
        body: small,
        concurrency,
        keepLatencies: false,
        ...extra,
      });
    await load({ warmupMs: ctx.warmupSeconds * 1000, durationMs: 0 });
    const alone = await load({ warmupMs: 200, durationMs });
    // A bait loop runs beside the measured creates, one pathological request in flight at a time.
    const besideLoop = async (body) => {
      let stop = false;
      let sent = 0;
      const loop = (async () => {
        while (!stop) {
          await sendJson('POST', `${base}/api/v1/tasks`, { headers, body });
          sent++;
        }
      })();
      const measured = await load({ warmupMs: 200, durationMs });
      stop = true;
      await loop;
      return { ...measured, sent };
    };
    const besidePlain = await besideLoop(badPlain);
    const beside = await besideLoop(bad);
    const p99Ratio = ratio(beside.p99, alone.p99);
    const row = (target, r, bait) => ({ target, rps: r.rps, p50: r.p50, p99: r.p99, max: r.max, bait });
    return {
      rows: [
        row('small creates alone', alone, 0),
        row('beside the bait, to a queue without detectors', besidePlain, besidePlain.sent),
        row('beside the bait, to a queue with all detectors', beside, beside.sent),
      ],
      p99Ratio,
      plainRatio: ratio(besidePlain.p99, alone.p99),
      goal: p99Ratio == null ? '-' : p99Ratio <= 2 ? 'PASS (p99 within 2x)' : 'FAIL (p99 over 2x)',
      badBytes: bad.length,
      truncated,
      concurrency,
    };
  } finally {
    for (const fn of cleanup.reverse())
      await Promise.resolve()
        .then(fn)
        .catch((e) => ctx.log(`  cleanup: ${e.message}`));
  }
}

async function run(ctx) {
  const local = inProcess(ctx);
  ctx.log(`  in process: ${local.iterations} routings of ${local.latency[0].bytes} bytes; findings ${local.findings}`);
  const http = await overHttp(ctx);
  return [
    {
      title: `routeTask on a ${Math.round(local.latency[0].bytes / 1024)} KB payload, ${local.iterations} times each, in process (goal: detectors add < 2 ms p99)`,
      columns: [
        { key: 'target', label: 'routing', align: 'left' },
        { key: 'p50', label: 'p50 ms', format: fmt.ms },
        { key: 'p99', label: 'p99 ms', format: fmt.ms },
        { key: 'max', label: 'max ms', format: fmt.ms },
      ],
      rows: local.latency,
      notes: [
        `p99 added by classification: ${local.added.toFixed(3)} ms — ${local.goal}`,
        `findings: ${local.findings}`,
      ],
    },
    {
      title: 'Routing throughput over small tasks, in process',
      columns: [
        { key: 'target', label: 'routing', align: 'left' },
        { key: 'tasks', label: 'tasks', format: fmt.int },
        { key: 'perSecond', label: 'tasks/s', format: fmt.int },
      ],
      rows: local.throughput,
    },
    {
      title: `POST /api/v1/tasks (small, ${http.concurrency} in flight, SQLite) alone vs beside a pathological payload loop (goal: p99 within 2x)`,
      columns: [
        { key: 'target', label: 'load', align: 'left' },
        { key: 'rps', label: 'req/s', format: fmt.int },
        { key: 'p50', label: 'p50 ms', format: fmt.ms },
        { key: 'p99', label: 'p99 ms', format: fmt.ms },
        { key: 'max', label: 'max ms', format: fmt.ms },
        { key: 'bait', label: 'bait posts', format: fmt.int },
      ],
      rows: http.rows,
      notes: [
        `p99 ratio with detectors: ${http.p99Ratio == null ? '-' : http.p99Ratio.toFixed(2)} — ${http.goal}; without detectors (the body's size alone): ${http.plainRatio == null ? '-' : http.plainRatio.toFixed(2)}`,
        `pathological body: ${Math.round(http.badBytes / 1024)} KB (60-deep nesting, 150k-digit run, e-mail/IPv6/phone/SSN/IBAN/base64 bait); its classification truncated: ${http.truncated}`,
      ],
    },
  ];
}

module.exports = { name: 'classification', run };
