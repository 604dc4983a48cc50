// Closed-loop HTTP load generator: a fixed number of requests in flight over keep-alive sockets,
// a warm-up whose results are discarded, then a measured window. Loopback only.
const http = require('node:http');
const { summarize } = require('./stats');

const MAX_SAMPLES = 5_000_000; // hard bound on recorded requests, whatever the duration

/**
 * @param {object} o
 * @param {string} o.url            http://127.0.0.1:<port>/path
 * @param {string} [o.method]
 * @param {object} [o.headers]
 * @param {string|Buffer} [o.body]
 * @param {number} [o.expectStatus] only this status counts as a success (default 201)
 * @param {number} [o.concurrency]
 * @param {number} [o.warmupMs]
 * @param {number} [o.durationMs]
 * @param {number} [o.timeoutMs]    per-request timeout
 * @param {boolean} [o.keepLatencies] return the raw latency samples (ms) too, to merge several runs
 * @param {Function} [o.onMeasureStart] / [o.onMeasureEnd] hooks at the edges of the measured window
 */
async function runLoad(o) {
  const url = new URL(o.url);
  if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost')
    throw new Error(`refusing non-loopback target ${o.url}`);
  const concurrency = o.concurrency ?? 32;
  const expectStatus = o.expectStatus ?? 201;
  const body = o.body === undefined ? null : Buffer.from(o.body);
  const headers = { ...(o.headers ?? {}) };
  if (body) headers['content-length'] = String(body.length);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  const timeoutMs = o.timeoutMs ?? 10_000;

  let phase = 'warmup'; // warmup -> measure -> done
  const latencies = [];
  const statusCounts = {};
  const errorSamples = [];
  let ok = 0;
  let failed = 0;
  let measureStart = 0n;
  let measureEnd = 0n;

  function once() {
    return new Promise((resolve) => {
      const started = process.hrtime.bigint();
      const finish = (status, error) => {
        const ended = process.hrtime.bigint();
        // Throughput = responses completed inside the measured window (closed loop, so this is the service rate).
        if (phase === 'measure') {
          statusCounts[status] = (statusCounts[status] ?? 0) + 1;
          if (status === expectStatus) {
            ok++;
            latencies.push(Number(ended - started) / 1e6);
          } else {
            failed++;
            if (errorSamples.length < 5) errorSamples.push(error ?? `HTTP ${status}`);
          }
        }
        resolve();
      };
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          method: o.method ?? 'GET',
          headers,
          agent,
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const status = res.statusCode;
            finish(
              status,
              status === expectStatus
                ? null
                : `HTTP ${status}: ${Buffer.concat(chunks).toString('utf8').slice(0, 200)}`,
            );
          });
          res.on('error', (e) => finish('error', e.message));
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
      req.on('error', (e) => finish('error', e.message));
      if (body) req.end(body);
      else req.end();
    });
  }

  async function worker() {
    while (phase !== 'done' && latencies.length + failed < MAX_SAMPLES) await once();
  }

  const workers = Array.from({ length: concurrency }, worker);
  await new Promise((r) => setTimeout(r, o.warmupMs ?? 1000));
  phase = 'measure';
  measureStart = process.hrtime.bigint();
  o.onMeasureStart?.();
  await new Promise((r) => setTimeout(r, o.durationMs ?? 5000));
  phase = 'done';
  measureEnd = process.hrtime.bigint();
  o.onMeasureEnd?.();
  await Promise.all(workers);
  agent.destroy();

  const seconds = Number(measureEnd - measureStart) / 1e9;
  const s = summarize(latencies);
  return {
    seconds,
    concurrency,
    ok,
    errors: failed,
    statusCounts,
    errorSamples,
    rps: ok / seconds,
    p50: s.p50,
    p90: s.p90,
    p99: s.p99,
    max: s.max,
    mean: s.mean,
    latencies: o.keepLatencies ? latencies : undefined,
  };
}

module.exports = { runLoad };
