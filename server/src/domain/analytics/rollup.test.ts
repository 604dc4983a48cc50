import { addCounts, addCountsInto, emptyCounts, type RollupCounts } from './rollup.js';

/** Every number in the counts set from a counter, so a field one adder forgets shows as a difference. */
function numbered(start: number): RollupCounts {
  let next = start;
  const fill = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(fill);
    if (typeof value === 'number') return next++;
    return value;
  };
  return Object.fromEntries(
    Object.entries(emptyCounts()).map(([key, value]) => [key, fill(value)]),
  ) as unknown as RollupCounts;
}

describe('adding rollup counts', () => {
  test('in place (the reports) and as a copy (the job) add every field, histograms included', () => {
    const a = numbered(1);
    const b = numbered(1000);
    const copied = addCounts(a, b);
    const inPlace = addCountsInto(numbered(1), b);
    expect(inPlace).toEqual(copied);
    expect(copied.stageHistograms.flat().every((value) => value >= 1000)).toBe(true);
    expect(a).toEqual(numbered(1));
  });
});
