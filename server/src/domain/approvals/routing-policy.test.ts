import { type QueueConfigInput, queueConfigSchema } from '@loopgate/shared';
import { newId } from '../kernel/ids.js';
import { evaluatePolicy, nextSweepAt, queueDueAt, type RoutableTask, sampleFraction } from './routing-policy.js';
import { tallyLevel } from './vote.js';

const config = (input: QueueConfigInput) => queueConfigSchema.parse(input);
const task = (fields: Partial<RoutableTask> = {}): RoutableTask => ({
  id: 'tsk_fixed',
  confidence: 0.9,
  riskLevel: null,
  payload: {},
  context: null,
  tags: [],
  ...fields,
});

describe('routing policy', () => {
  const triage = config({
    policy: {
      rules: [
        { type: 'flag', name: 'regulatory' },
        { type: 'confidence_below', threshold: 0.8, levels: 1 },
        { type: 'risk', levels: { low: 0, high: 2 } },
        { type: 'sample', rate: 0.1 },
      ],
      otherwise: 'auto_approve',
    },
    levels: [{ name: 'ops' }, { name: 'compliance' }],
  });

  test.each([
    ['flag in context', { context: { regulatory: true } }, 'review', 'rules[0]:flag', 2],
    ['flag in payload', { payload: { regulatory: true } }, 'review', 'rules[0]:flag', 2],
    ['flag as a tag', { tags: ['regulatory'] }, 'review', 'rules[0]:flag', 2],
    ['flag false does not match', { context: { regulatory: false }, id: 'tsk_x1' }, null, null, null],
    ['confidence below', { confidence: 0.79 }, 'review', 'rules[1]:confidence_below', 1],
    ['confidence at the threshold passes', { confidence: 0.8, id: 'tsk_x2' }, null, null, null],
    ['no confidence reviews', { confidence: null }, 'review', 'rules[1]:confidence_below', 1],
    ['high risk: two levels', { riskLevel: 'high' as const }, 'review', 'rules[2]:risk', 2],
    ['low risk mapped to 0 falls through', { riskLevel: 'low' as const, id: 'tsk_x3' }, null, null, null],
  ])('%s', (_name, fields, outcome, rule, levels) => {
    const result = evaluatePolicy(triage, task(fields));
    if (outcome === null) {
      // Falls through to sampling or auto-approval, decided by the id's hash.
      const sampled = sampleFraction(fields.id as string) < 0.1;
      expect(result).toMatchObject(
        sampled
          ? { outcome: 'review', rule: 'rules[3]:sample' }
          : { outcome: 'auto_approve', rule: 'otherwise', levels: 0 },
      );
      return;
    }
    expect(result).toMatchObject({ outcome, rule, levels });
  });

  test('an empty policy is fail-closed: review by every level', () => {
    expect(evaluatePolicy(config({}), task())).toEqual({
      outcome: 'review',
      rule: 'otherwise',
      reason: 'Every task in this queue goes to human review',
      levels: 1,
      sampled: null,
    });
  });

  test('an explicit auto_approve rule ends evaluation', () => {
    const c = config({ policy: { rules: [{ type: 'auto_approve' }, { type: 'confidence_below', threshold: 1 }] } });
    expect(evaluatePolicy(c, task({ confidence: 0 }))).toMatchObject({
      outcome: 'auto_approve',
      rule: 'rules[0]:auto_approve',
    });
  });

  test('sampling is deterministic per id and converges on the rate', () => {
    const c = config({ policy: { rules: [{ type: 'sample', rate: 0.2 }], otherwise: 'auto_approve' } });
    let sampled = 0;
    const n = 5000;
    for (let i = 0; i < n; i++) {
      const id = newId('task');
      const first = evaluatePolicy(c, task({ id }));
      expect(evaluatePolicy(c, task({ id })).outcome).toBe(first.outcome);
      if (first.outcome === 'review') sampled++;
    }
    // 5000 draws at p=0.2: the standard deviation is ~28, so ±150 is > 5 sigma.
    expect(Math.abs(sampled - n * 0.2)).toBeLessThan(150);
  });

  test('deadlines: task SLA per risk level, then the escalation schedule relative to dueAt', () => {
    const c = config({
      sla: { seconds: 600, byRisk: { critical: 60 } },
      escalation: [
        { action: 'reminder', afterSeconds: -30 },
        { action: 'raise_priority', afterSeconds: 30 },
      ],
      timeoutAfterSeconds: 90,
    });
    expect(queueDueAt(c, 'critical', 1000)).toBe(61_000);
    expect(queueDueAt(c, 'low', 1000)).toBe(601_000);
    expect(queueDueAt(config({}), null, 1000)).toBeNull();
    expect([0, 1, 2, 3].map((step) => nextSweepAt(c, 100_000, step))).toEqual([70_000, 130_000, 190_000, 190_000]);
    expect(nextSweepAt(c, null, 0)).toBeNull();
  });
});

describe('approval tally', () => {
  const a = { action: 'approve' as const };
  const r = { action: 'reject' as const };
  const m = { action: 'approve_with_modifications' as const };
  test.each([
    ['unanimous', 2, [a], 'pending'],
    ['unanimous', 2, [a, m], 'approved'],
    ['unanimous', 2, [a, r], 'rejected'],
    ['unanimous', 3, [r], 'rejected'],
    ['majority', 3, [a, r], 'pending'],
    ['majority', 3, [a, r, a], 'approved'],
    ['majority', 3, [r, a, r], 'rejected'],
    ['majority', 2, [a, r], 'rejected'],
  ] as const)('%s quorum %i with %j → %s', (mode, quorum, votes, expected) => {
    expect(tallyLevel({ name: 'l', group: null, quorum, mode }, [...votes])).toBe(expected);
  });
});
