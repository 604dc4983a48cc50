import { type QueueConfigInput, queueConfigSchema } from '@loopgate/shared';
import type { PolicyHistoryRepository, ReplayTask } from './approval-ports.js';
import { BacktestTally, backtestRange, backtestSummary, detectorWarnings, replayHistory } from './backtest.js';

const config = (input: QueueConfigInput) => queueConfigSchema.parse(input);
const CURRENT = config({});
const RANGE = { from: Date.parse('2026-11-01T00:00:00Z'), to: Date.parse('2026-12-01T00:00:00Z') };

let seq = 0;
function past(fields: Partial<ReplayTask> = {}): ReplayTask {
  seq++;
  return {
    id: `tsk_${String(seq).padStart(4, '0')}`,
    createdAt: RANGE.from + seq * 1000,
    confidence: 0.9,
    riskLevel: null,
    payload: { amount: 10 },
    context: null,
    tags: [],
    erased: false,
    classification: null,
    decision: null,
    ...fields,
  };
}
const by = (
  action: 'approve' | 'reject' | 'approve_with_modifications',
  who: 'user' | 'api_key' | 'policy' | 'system' = 'user',
) => ({
  decision: { action, by: who },
});

describe('backtest tally', () => {
  // Proposed: high risk to people, the rest auto-approved.
  const proposed = config({ policy: { rules: [{ type: 'risk', levels: { high: 1 } }], otherwise: 'auto_approve' } });
  const history = [
    past({ riskLevel: 'high', ...by('reject') }), // to people (rule 0); a person rejected it
    past({ riskLevel: 'low', ...by('reject') }), // auto — a rejection let through
    past({ riskLevel: 'low', ...by('approve_with_modifications', 'api_key') }), // auto — a modification let through
    past({ riskLevel: 'low', ...by('approve') }), // auto — approved anyway
    past({ riskLevel: 'low', ...by('approve', 'policy') }), // auto; decided by the policy: not a human decision
    past({ riskLevel: 'low', ...by('reject', 'system') }), // auto; expired: not a human decision
    past({ riskLevel: 'medium' }), // auto; still open
    past({ riskLevel: 'high', erased: true, payload: null, ...by('approve') }), // not replayable
  ];

  test('counts, hand-checked: to people, auto-approved, by rule, and the human decisions let through', () => {
    const tally = new BacktestTally(proposed, CURRENT);
    for (const task of history) tally.add(task);
    const result = tally.result('refunds', RANGE, false);
    expect(result).toMatchObject({
      queue: 'refunds',
      range: { from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' },
      tasks: 8,
      replayed: 7,
      notReplayable: 1,
      truncated: false,
      toHumans: 1,
      autoApproved: 6,
      current: { toHumans: 7, autoApproved: 0 },
      humanDecided: { total: 4, wouldAutoApprove: 3, ofWhichApproved: 1, ofWhichModified: 1, ofWhichRejected: 1 },
      detectors: [],
      warnings: [],
    });
    expect(result.byRule).toEqual([
      {
        rule: 'rules[0]:risk',
        path: 'policy.rules[0]',
        outcome: 'review',
        count: 1,
        toHumans: 1,
        autoApproved: 0,
        humanRejected: 1,
        humanModified: 0,
        reason: 'Risk level high needs 1 approval level',
      },
      {
        rule: 'otherwise',
        path: 'policy.otherwise',
        outcome: 'auto_approve',
        count: 6,
        toHumans: 0,
        autoApproved: 6,
        humanRejected: 1,
        humanModified: 1,
        reason: 'No rule required review: auto-approved',
      },
    ]);
    expect(result.summary).toBe(
      'Of 7 tasks: 1 to people, 6 auto-approved. Of the 4 that people decided, 3 would now be auto-approved — including 1 rejection and 1 modification. 1 task could not be replayed: payload retention erased its payload.',
    );
  });

  test('sampling replays on the task id: the same ids sample the same way every time', () => {
    const sampled = config({ policy: { rules: [{ type: 'sample', rate: 0.5 }], otherwise: 'auto_approve' } });
    const tasks = Array.from({ length: 200 }, () => past());
    const run = () => {
      const tally = new BacktestTally(sampled, CURRENT);
      for (const task of tasks) tally.add(task);
      return tally.result('q', RANGE, false).toHumans;
    };
    const first = run();
    expect(first).toBeGreaterThan(60);
    expect(first).toBeLessThan(140);
    expect(run()).toBe(first);
  });

  test('a rule that decided nothing in the range is warned, once; one never reached is warned only as that', () => {
    const tally = new BacktestTally(
      config({
        policy: {
          rules: [
            { type: 'flag', name: 'regulatory' },
            { type: 'auto_approve' },
            { type: 'confidence_below', threshold: 0.5 },
          ],
        },
      }),
      CURRENT,
    );
    tally.add(past());
    expect(tally.result('q', RANGE, false).warnings.map((w) => [w.code, w.path])).toEqual([
      ['rule_never_reached', 'policy.rules[2]'],
      ['rule_unmatched_in_range', 'policy.rules[0]'],
    ]);
    // With nothing replayed there is nothing to say about the range.
    const empty = new BacktestTally(config({ policy: { rules: [{ type: 'flag', name: 'x' }] } }), CURRENT);
    expect(empty.result('q', RANGE, false)).toMatchObject({
      warnings: [],
      summary: 'The queue created no tasks in this range, so there is nothing to replay.',
    });
  });

  test('classification takes part: detectors raise the replayed risk from what the agent reported; a silent one is warned', () => {
    const proposed = config({
      classification: {
        detectors: [
          { detector: 'iban', raiseTo: 'high' },
          { detector: 'email', raiseTo: 'medium' },
        ],
      },
      policy: { rules: [{ type: 'risk', levels: { high: 1 } }], otherwise: 'auto_approve' },
    });
    const tally = new BacktestTally(proposed, CURRENT);
    // A valid IBAN (checksum 82): raised to high, so reviewed.
    tally.add(past({ payload: { account: 'GB82 WEST 1234 5698 7654 32' } }));
    // A bad checksum is not an IBAN: stays unraised, auto-approved.
    tally.add(past({ payload: { account: 'GB00 WEST 1234 5698 7654 32' } }));
    // Stored as high only because its own classification raised it from none: replayed from none,
    // and nothing fires on it now, so the proposed config auto-approves it.
    tally.add(
      past({
        riskLevel: 'high',
        classification: { findings: [], raisedTo: 'high', raisedFrom: null, truncated: false },
      }),
    );
    const result = tally.result('q', RANGE, false);
    expect(result).toMatchObject({ replayed: 3, toHumans: 1, autoApproved: 2 });
    expect(result.detectors).toEqual([
      { name: 'IBAN', fired: 1 },
      { name: 'E-mail address', fired: 0 },
    ]);
    expect(result.warnings.filter((warning) => warning.code === 'detector_never_fired')).toEqual([
      {
        code: 'detector_never_fired',
        path: 'classification.detectors.1',
        message: expect.stringContaining('"E-mail address"'),
      },
    ]);
    expect(
      detectorWarnings(proposed, [
        { name: 'IBAN', fired: 2 },
        { name: 'E-mail address', fired: 1 },
      ]),
    ).toEqual([]);
  });

  test('summary wording: none let through, and a range of erased tasks only', () => {
    const base = { tasks: 3, replayed: 3, notReplayable: 0, toHumans: 3, autoApproved: 0 };
    const decided = { total: 2, wouldAutoApprove: 0, ofWhichApproved: 0, ofWhichModified: 0, ofWhichRejected: 0 };
    expect(backtestSummary({ ...base, humanDecided: decided })).toBe(
      'Of 3 tasks: 3 to people, 0 auto-approved. Of the 2 that people decided, none would now be auto-approved.',
    );
    expect(
      backtestSummary({ ...base, replayed: 0, notReplayable: 3, toHumans: 0, humanDecided: { ...decided, total: 0 } }),
    ).toBe('3 tasks could not be replayed: payload retention erased their payload.');
  });
});

describe('backtest range and paging', () => {
  const now = Date.parse('2026-12-04T12:00:00Z');
  test('defaults to the last 30 days; refuses an empty range and one over 366 days', () => {
    expect(backtestRange({}, now)).toEqual({ from: now - 30 * 86_400_000, to: now });
    expect(() => backtestRange({ from: '2026-12-05T00:00:00Z' }, now)).toThrow(/empty/);
    expect(() => backtestRange({ from: '2025-01-01T00:00:00Z' }, now)).toThrow(/at most 366 days/);
  });

  /** A history reader over an array, with the repository's contract: [from, to), (createdAt, id) order, after the cursor. */
  function reader(tasks: ReplayTask[]): PolicyHistoryRepository & { calls: number } {
    const sorted = [...tasks].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
    const fake = {
      calls: 0,
      async replayPage(
        _ws: string,
        _q: string,
        range: { from: number; to: number },
        limit: number,
        after?: { createdAt: number; id: string },
      ) {
        fake.calls++;
        return sorted
          .filter((t) => t.createdAt >= range.from && t.createdAt < range.to)
          .filter(
            (t) => !after || t.createdAt > after.createdAt || (t.createdAt === after.createdAt && t.id > after.id),
          )
          .slice(0, limit);
      },
    };
    return fake;
  }

  test('pages through ties on createdAt without skipping or repeating, and stops at the cap', async () => {
    const at = RANGE.from + 5000;
    const tasks = Array.from({ length: 25 }, (_, i) => past({ createdAt: at + (i % 3) }));
    const all = new BacktestTally(CURRENT, CURRENT);
    const source = reader(tasks);
    expect(await replayHistory(source, { workspaceId: 'w', queue: 'q', range: RANGE }, all, 1000, 4)).toBe(false);
    expect(all.result('q', RANGE, false).replayed).toBe(25);
    expect(source.calls).toBe(7);

    const capped = new BacktestTally(CURRENT, CURRENT);
    expect(await replayHistory(reader(tasks), { workspaceId: 'w', queue: 'q', range: RANGE }, capped, 10, 4)).toBe(
      true,
    );
    expect(capped.result('q', RANGE, true).replayed).toBe(10);
    const exact = new BacktestTally(CURRENT, CURRENT);
    expect(await replayHistory(reader(tasks), { workspaceId: 'w', queue: 'q', range: RANGE }, exact, 25, 5)).toBe(
      false,
    );
  });
});
