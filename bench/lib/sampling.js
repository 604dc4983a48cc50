// Sampling helpers for latency rows: targets timed in turn, so a busy minute hits both alike.
const { summarize } = require('./stats');

/**
 * Each target in `targets` (name → async fn) called `samples` times, in turn and in rotating order
 * (a b c, b c a, …), after `warmup` untimed rounds: on a shared machine the minute-to-minute noise
 * is larger than the differences being measured. Resolves name → summary (ms).
 */
async function timeInTurn(samples, targets, { warmup = 5 } = {}) {
  const names = Object.keys(targets);
  for (let i = 0; i < warmup; i++) for (const name of names) await targets[name]();
  const latencies = Object.fromEntries(names.map((name) => [name, []]));
  for (let i = 0; i < samples; i++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(i + k) % names.length];
      const started = process.hrtime.bigint();
      await targets[name]();
      latencies[name].push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
  return Object.fromEntries(names.map((name) => [name, summarize(latencies[name])]));
}

module.exports = { timeInTurn };
