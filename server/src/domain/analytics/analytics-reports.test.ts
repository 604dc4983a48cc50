import { calibration, periodOf } from './analytics-reports.js';
import { emptyCounts, type Rollup } from './rollup.js';
import { histogramQuantile, normalCdf, twoProportionTest } from './statistics.js';

const rollup = (buckets: Record<number, [number, number, number]>): Rollup => {
  const counts = emptyCounts();
  for (const [index, bucket] of Object.entries(buckets)) counts.confidenceBuckets[Number(index)] = bucket;
  return {
    cube: 'work',
    workspaceId: 'w',
    day: '2026-03-04',
    queue: 'q',
    source: 's',
    agentId: '',
    agentVersion: '',
    reviewerId: '',
    reviewerName: '',
    ...counts,
  };
};

describe('analytics statistics', () => {
  test('calibration suggests the lowest edge whose tasks above it stayed at 95 % unchanged', () => {
    // 0.9+: 200 of 202 unchanged, 1 rejected; 0.8–0.9: 195 of 210, 2 rejected; 0.7–0.8: 80 of 100.
    // From 0.8: 395 / 412 = 95.9 % ≥ 95 %, 3 of 412 rejected; from 0.7: 475 / 512 = 92.8 % < 95 %: stop.
    const result = calibration([rollup({ 9: [202, 200, 1], 8: [210, 195, 2], 7: [100, 80, 10] })]);
    expect(result.suggestion).toEqual({
      threshold: 0.8,
      decided: 412,
      approvedUnchanged: 395,
      rejected: 3,
      text: 'Auto-approve at confidence 0.8 and above: 96 % of such tasks were approved unchanged; 3 of 412 were rejected.',
    });
    expect(result.buckets[8]?.unchangedRate).toBeCloseTo(195 / 210, 10);
  });

  test('no suggestion when the top bucket already misses the target, or too few were decided', () => {
    expect(calibration([rollup({ 9: [100, 90, 5] })]).suggestion).toBeNull();
    expect(calibration([rollup({ 9: [19, 19, 0] })]).suggestion).toBeNull();
  });

  test('quantiles interpolate inside a bucket; the open last bucket answers its lower edge', () => {
    expect(histogramQuantile([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0.5)).toBeNull();
    // Two in bucket 4 (120–300 s): the median rank 1 → 120 + 180·½ = 210 s.
    expect(histogramQuantile([0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0.5)).toBe(210_000);
    expect(histogramQuantile([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3], 0.5)).toBe(604_800_000);
  });

  test('the z-test: Φ and the no-variance case', () => {
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-2.575829)).toBeCloseTo(0.005, 6);
    expect(twoProportionTest({ successes: 0, trials: 40 }, { successes: 0, trials: 40 }).pValue).toBeNull();
  });

  test('a week is named by its Monday', () => {
    expect(periodOf('2026-03-08', 'week')).toBe('2026-03-02');
    expect(periodOf('2026-03-02', 'week')).toBe('2026-03-02');
  });
});
