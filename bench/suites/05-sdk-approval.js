// @loopgate/sdk: how soon a waiting agent learns of a decision. The SDK's wait (a server long-poll, what
// requestApproval does after creating the task) against what peers do — a loop reading the task every
// 2 s — in the same run, on the same server (SQLite). Goal (issue 15): the SDK resolves within 10 ms p99
// of the decision's commit. The commit comes just before the decision's response, so "decide answered →
// resolved" is the measure (it may be negative); "decide sent → resolved" adds the decision request itself.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freePort } = require('../lib/proc');
const { cleanEnv, createAdminKey, startLoopgateServer } = require('../lib/loopgate');
const { summarize, ratio } = require('../lib/stats');
const { fmt } = require('../lib/table');

function num(name, fallback) {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

const SAMPLES = num('BENCH_SDK_SAMPLES', 300);
const POLL_SAMPLES = num('BENCH_SDK_POLL_SAMPLES', 40);
const POLL_INTERVAL_MS = 2000;
const now = () => performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function run(ctx) {
  const { Loopgate } = require(path.join(ctx.root, 'sdk/dist/cjs/index.js'));
  const cleanup = [];
  try {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-bench-sdk-'));
    cleanup.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    const env = cleanEnv({ PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATA_DIR: dataDir });
    const apiKey = await createAdminKey(ctx, env);
    const proc = await startLoopgateServer(ctx, { name: 'loopgate/sqlite', env });
    cleanup.push(() => proc.stop());
    const loopgate = new Loopgate({ baseUrl: `http://127.0.0.1:${port}`, apiKey });
    const task = (i) => loopgate.createTask({ title: `Refund ${i}`, payload: { orderId: i, amount: 42.5 } });

    // The SDK: one waiter parked at a time, decided 20 ms after it parked.
    const afterSent = [];
    const afterAnswered = [];
    for (let i = 0; i < SAMPLES + 30; i++) {
      const { id } = await task(i);
      let resolvedAt = 0;
      const waiting = loopgate.waitForDecision(id).then(() => {
        resolvedAt = now();
      });
      await sleep(20);
      const sent = now();
      await loopgate.decide(id, { action: 'approve' });
      const answered = now();
      await waiting;
      if (i >= 30) {
        afterSent.push(resolvedAt - sent);
        afterAnswered.push(resolvedAt - answered);
      }
    }

    // The peers' way: GET the task every 2 s (each loop at a random phase, as independent agents are).
    const polled = [];
    const ids = [];
    for (let i = 0; i < POLL_SAMPLES; i++) ids.push((await task(10_000 + i)).id);
    const decidedAt = new Map();
    const loops = ids.map(async (id) => {
      await sleep(Math.random() * POLL_INTERVAL_MS);
      for (;;) {
        const seen = await loopgate.getTask(id);
        if (seen.status !== 'pending_review') return polled.push(now() - decidedAt.get(id));
        await sleep(POLL_INTERVAL_MS);
      }
    });
    await sleep(POLL_INTERVAL_MS + 100);
    for (const id of ids) {
      decidedAt.set(id, now());
      await loopgate.decide(id, { action: 'approve' });
    }
    await Promise.all(loops);

    const sdk = summarize(afterSent);
    const commit = summarize(afterAnswered);
    const poll = summarize(polled);
    return [
      {
        title: `SDK wait vs a 2 s polling loop — ${SAMPLES} SDK samples (after 30 warm-up), ${POLL_SAMPLES} polling, loopback, SQLite`,
        columns: [
          { key: 'measure', label: 'measure', align: 'left' },
          { key: 'p50', label: 'p50 ms', format: fmt.ms },
          { key: 'p99', label: 'p99 ms', format: fmt.ms },
          { key: 'max', label: 'max ms', format: fmt.ms },
          { key: 'goal', label: 'goal', align: 'left' },
        ],
        rows: [
          { measure: 'SDK waitForDecision: decide sent → resolved', ...sdk, goal: '' },
          { measure: 'SDK waitForDecision: decide answered → resolved', ...commit, goal: 'p99 <= 10 ms' },
          { measure: 'baseline: GET every 2 s, decide sent → seen', ...poll, goal: '' },
        ],
        notes: [
          `2 s polling / SDK at p50: ${fmt.ratio(ratio(poll.p50, sdk.p50))}, at p99: ${fmt.ratio(ratio(poll.p99, sdk.p99))}`,
          `goal ${commit.p99 !== null && commit.p99 <= 10 ? 'met' : 'NOT met'}: after the decision's answer (which follows its commit) the SDK resolved within ${fmt.ms(commit.p99)} ms at p99`,
        ],
      },
    ];
  } finally {
    for (const step of cleanup.reverse()) await step();
  }
}

module.exports = { name: 'sdk-approval', run };
