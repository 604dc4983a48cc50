import { type QueueConfigInput, queueConfigSchema } from '@loopgate/shared';
import { queueConfigWarnings } from './policy-warnings.js';

const warn = (input: QueueConfigInput) => queueConfigWarnings(queueConfigSchema.parse(input));
const paths = (input: QueueConfigInput) => warn(input).map((warning) => warning.path);
const twoLevels = [{ name: 'ops' }, { name: 'compliance' }];

describe('queue config warnings', () => {
  test('the fail-closed default and a plain queue have none', () => {
    expect(warn({})).toEqual([]);
    expect(
      warn({
        policy: {
          rules: [
            { type: 'confidence_below', threshold: 0.8 },
            { type: 'sample', rate: 0.1 },
          ],
          otherwise: 'auto_approve',
        },
      }),
    ).toEqual([]);
  });

  test('every rule after an unconditional auto_approve is never reached', () => {
    const warnings = warn({
      policy: {
        rules: [
          { type: 'flag', name: 'vip' },
          { type: 'auto_approve' },
          { type: 'risk', levels: { high: 1 } },
          { type: 'sample', rate: 0.2 },
        ],
      },
    });
    expect(warnings.map((w) => w.path)).toEqual(['policy.rules[2]', 'policy.rules[3]']);
    expect(warnings[0]?.message).toMatch(/^Never reached: rules\[1\]:auto_approve auto-approves every task/);
  });

  test('a sample of rate 1 reviews everything that reaches it, so later rules are never reached', () => {
    expect(paths({ policy: { rules: [{ type: 'sample', rate: 1 }, { type: 'auto_approve' }] } })).toEqual([
      'policy.rules[1]',
    ]);
  });

  test('a risk level an earlier risk rule already routes never applies', () => {
    const warnings = warn({
      levels: twoLevels,
      policy: {
        rules: [
          { type: 'risk', levels: { high: 1, critical: 1 } },
          { type: 'risk', levels: { high: 2, medium: 1 } },
        ],
      },
    });
    expect(warnings).toEqual([
      {
        code: 'risk_level_already_routed',
        path: 'policy.rules[1].levels.high',
        message: expect.stringMatching(/high-risk tasks are already routed by rules\[0\]:risk/),
      },
    ]);
  });

  test.each([
    [
      'a lower confidence threshold after a higher one',
      [
        { type: 'confidence_below', threshold: 0.9 },
        { type: 'confidence_below', threshold: 0.5 },
      ],
    ],
    [
      'the same flag twice',
      [
        { type: 'flag', name: 'fraud' },
        { type: 'flag', name: 'fraud' },
      ],
    ],
    [
      'a smaller sample after a larger one (same hash)',
      [
        { type: 'sample', rate: 0.3 },
        { type: 'sample', rate: 0.1 },
      ],
    ],
  ] as const)('%s never matches', (_case, rules) => {
    const warnings = warn({ policy: { rules: [...rules] } });
    expect(warnings).toEqual([
      { code: 'rule_never_matches', path: 'policy.rules[1]', message: expect.stringMatching(/^Never matches:/) },
    ]);
  });

  test('a higher threshold after a lower one, a different flag, a larger sample still match', () => {
    expect(
      warn({
        policy: {
          rules: [
            { type: 'confidence_below', threshold: 0.5 },
            { type: 'confidence_below', threshold: 0.9 },
          ],
        },
      }),
    ).toEqual([]);
    expect(
      warn({
        policy: {
          rules: [
            { type: 'flag', name: 'a' },
            { type: 'flag', name: 'b' },
          ],
        },
      }),
    ).toEqual([]);
    expect(
      warn({
        policy: {
          rules: [
            { type: 'sample', rate: 0.1 },
            { type: 'sample', rate: 0.3 },
          ],
        },
      }),
    ).toEqual([]);
  });

  test('rules that cannot match on their own terms', () => {
    expect(
      paths({
        policy: {
          rules: [
            { type: 'risk', levels: { low: 0 } },
            { type: 'sample', rate: 0 },
          ],
        },
      }),
    ).toEqual(['policy.rules[0]', 'policy.rules[1]']);
  });

  test('an earlier rule with fewer levels takes tasks a later rule wants more levels for', () => {
    const warnings = warn({
      levels: twoLevels,
      policy: {
        rules: [
          { type: 'sample', rate: 0.05, levels: 1 },
          { type: 'flag', name: 'regulatory' },
        ],
      },
    });
    expect(warnings).toEqual([
      {
        code: 'fewer_levels_first',
        path: 'policy.rules[1]',
        message: expect.stringContaining(
          'rules[1]:flag asks 2 approval levels for tasks flagged "regulatory", but rules[0]:sample comes first and gives sampled tasks only 1',
        ),
      },
    ]);
    // The other way round is what the admin meant: no warning.
    expect(
      warn({
        levels: twoLevels,
        policy: {
          rules: [
            { type: 'flag', name: 'regulatory' },
            { type: 'sample', rate: 0.05, levels: 1 },
          ],
        },
      }),
    ).toEqual([]);
  });

  test('a rule asking for more levels than the queue has', () => {
    expect(warn({ policy: { rules: [{ type: 'risk', levels: { high: 3 } }] } })).toEqual([
      {
        code: 'levels_capped',
        path: 'policy.rules[0]',
        message: expect.stringContaining('asks for 3 approval levels but the queue has 1'),
      },
    ]);
  });

  test('an escalation step at the timeout, one before the shortest SLA, and a chain with no deadline', () => {
    const warnings = warn({
      sla: { seconds: 3600, byRisk: { critical: 600 } },
      escalation: [
        { action: 'reminder', afterSeconds: -900 },
        { action: 'raise_priority', afterSeconds: 1800 },
      ],
      timeoutAfterSeconds: 1800,
    });
    expect(warnings).toEqual([
      {
        code: 'escalation_before_creation',
        path: 'escalation[0]',
        message: expect.stringContaining('runs as soon as they are created'),
      },
      {
        code: 'escalation_at_timeout',
        path: 'escalation[1]',
        message: expect.stringMatching(/^Runs at the same moment as the timeout action \(reject\)/),
      },
    ]);
    expect(paths({ escalation: [{ action: 'reminder', afterSeconds: 0 }], timeoutAfterSeconds: 60 })).toEqual(['sla']);
  });

  test('a level no rule sends a task to is unreachable; otherwise review reaches every level', () => {
    const oneLevelRules = {
      rules: [
        { type: 'confidence_below' as const, threshold: 0.8, levels: 1 },
        { type: 'flag' as const, name: 'vip', levels: 1 },
      ],
    };
    expect(warn({ levels: twoLevels, policy: { ...oneLevelRules, otherwise: 'auto_approve' } })).toEqual([
      {
        code: 'level_unreachable',
        path: 'levels[1]',
        message:
          'Never reached: no rule sends a task through more than 1 approval level, so level "compliance" never votes',
      },
    ]);
    expect(paths({ levels: twoLevels, policy: { ...oneLevelRules, otherwise: 'review' } })).toEqual([]);
    // A risk rule reaches the deepest level it asks for; a queue that reviews nothing is not warned about levels.
    expect(
      paths({
        levels: twoLevels,
        policy: { rules: [{ type: 'risk', levels: { high: 2 } }], otherwise: 'auto_approve' },
      }),
    ).toEqual([]);
    expect(paths({ levels: twoLevels, policy: { rules: [], otherwise: 'auto_approve' } })).toEqual([]);
  });
});
