import { TIME_BUCKETS_MS } from './rollup.js';

/**
 * The `q` quantile (0.5: median) of a time histogram, in ms: the bucket holding the q·n-th decision,
 * interpolated linearly inside it (the first bucket starts at 0; the open last bucket reports its lower
 * edge, since it has no upper one). null without decisions.
 */
export function histogramQuantile(histogram: readonly number[], q: number): number | null {
  const total = histogram.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const rank = q * total;
  let before = 0;
  for (let index = 0; index < histogram.length; index++) {
    const count = histogram[index] ?? 0;
    if (count > 0 && before + count >= rank) {
      const low = index === 0 ? 0 : (TIME_BUCKETS_MS[index - 1] ?? 0);
      const high = TIME_BUCKETS_MS[index];
      if (high === undefined) return low;
      return Math.round(low + ((high - low) * (rank - before)) / count);
    }
    before += count;
  }
  return null;
}

/** `part / whole`, or null when there is nothing to divide (a rate of nothing is unknown, not 0). */
export function rate(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}

/** The standard normal CDF, by the Abramowitz–Stegun 7.1.26 erf approximation (error < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

export interface ProportionTest {
  recent: { successes: number; trials: number; rate: number | null };
  baseline: { successes: number; trials: number; rate: number | null };
  z: number | null;
  /** Two-sided. */
  pValue: number | null;
}

/**
 * Two-proportion z-test with the pooled proportion: did the rate in `recent` differ from `baseline`
 * by more than chance? z and p are null when either side is empty or the pooled rate is 0 or 1
 * (no variance: nothing can be told apart).
 */
export function twoProportionTest(
  recent: { successes: number; trials: number },
  baseline: { successes: number; trials: number },
): ProportionTest {
  const sides = {
    recent: { ...recent, rate: rate(recent.successes, recent.trials) },
    baseline: { ...baseline, rate: rate(baseline.successes, baseline.trials) },
  };
  if (recent.trials === 0 || baseline.trials === 0) return { ...sides, z: null, pValue: null };
  const pooled = (recent.successes + baseline.successes) / (recent.trials + baseline.trials);
  const variance = pooled * (1 - pooled) * (1 / recent.trials + 1 / baseline.trials);
  if (variance === 0) return { ...sides, z: null, pValue: null };
  const z = (recent.successes / recent.trials - baseline.successes / baseline.trials) / Math.sqrt(variance);
  return { ...sides, z, pValue: 2 * (1 - normalCdf(Math.abs(z))) };
}
