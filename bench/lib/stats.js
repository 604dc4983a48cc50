// Latency statistics over recorded samples (milliseconds).

/** Nearest-rank percentile of an ascending-sorted array. */
function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

function summarize(latenciesMs) {
  const sorted = Float64Array.from(latenciesMs).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    mean: sorted.length ? sum / sorted.length : null,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : null,
  };
}

/** a / b, or null when either side is missing or b is 0. */
function ratio(a, b) {
  if (a == null || b == null || b === 0) return null;
  return a / b;
}

module.exports = { percentile, summarize, ratio };
