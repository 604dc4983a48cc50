import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createQueueInputSchema, type QueueConfig, queueConfigSchema } from '@loopgate/shared';
import { queueConfigWarnings } from './policy-warnings.js';
import { evaluatePolicy, queueDueAt, type RoutableTask, sampleFraction } from './routing-policy.js';

/**
 * docs/approvals.md's "A complete example" is the config an admin copies first; this reads the
 * JSON block out of the doc and routes the cases its paragraph promises, so the doc cannot drift
 * into saying one thing while the config does another.
 */
function docsExample(): { name: string; config: QueueConfig } {
  const doc = readFileSync(join(__dirname, '../../../../docs/approvals.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## A complete example'));
  const block = /```json\nPOST \/api\/v1\/queues\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('docs/approvals.md lost its complete example');
  return createQueueInputSchema.parse(JSON.parse(block));
}

const task = (id: string, fields: Partial<RoutableTask>): RoutableTask => ({
  id,
  confidence: 0.95,
  riskLevel: null,
  payload: { amount: 480 },
  context: null,
  tags: [],
  ...fields,
});

describe("docs/approvals.md's complete example", () => {
  const { name, config } = docsExample();
  const levelsOf = (fields: Partial<RoutableTask>, id = 'tsk_docs') => {
    const routed = evaluatePolicy(config, task(id, fields));
    return routed.outcome === 'review' ? config.levels.slice(0, routed.levels).map((level) => level.name) : [];
  };

  test('is a valid queue with no warnings', () => {
    expect(name).toBe('refunds');
    expect(config.cardFields).toEqual(['/refund/amount', '/customer/name']);
    expect(queueConfigWarnings(config)).toEqual([]);
  });

  test.each([
    ['a low-confidence high-risk $480 refund needs compliance too', { confidence: 0.6, riskLevel: 'high' as const }],
    ['a confident high-risk refund', { riskLevel: 'high' as const }],
    ['a low-confidence critical refund', { confidence: 0.3, riskLevel: 'critical' as const }],
    ['a regulated case, whatever else', { context: { regulatory: true }, riskLevel: 'low' as const }],
  ])('%s: operations and compliance', (_case, fields) => {
    expect(levelsOf(fields)).toEqual(['operations', 'compliance']);
  });

  test.each([
    ['a medium-risk refund', { riskLevel: 'medium' as const }],
    ['a low-risk refund the agent is unsure of', { confidence: 0.79, riskLevel: 'low' as const }],
    ['a refund with no confidence given', { confidence: null }],
  ])('%s: operations only', (_case, fields) => {
    expect(levelsOf(fields)).toEqual(['operations']);
  });

  test('5 % of the rest is sampled by task id; everything else is approved automatically', () => {
    let sampled = 0;
    for (let i = 0; i < 2000; i++) {
      const id = `tsk_docs_${i}`;
      const routed = evaluatePolicy(config, task(id, { riskLevel: 'low' }));
      expect(routed.outcome).toBe(sampleFraction(id) < 0.05 ? 'review' : 'auto_approve');
      if (routed.outcome === 'review') {
        sampled++;
        expect(routed.levels).toBe(1);
      }
    }
    expect(sampled / 2000).toBeGreaterThan(0.03);
    expect(sampled / 2000).toBeLessThan(0.07);
  });

  test('reviews are due in 4 hours, critical ones in 1', () => {
    expect(queueDueAt(config, 'low', 0)).toBe(4 * 3600_000);
    expect(queueDueAt(config, 'critical', 0)).toBe(3600_000);
  });

  test('the old order (confidence_below before risk) gave the $480 refund one level, and is flagged', () => {
    const [flag, risk, confidence, ...rest] = config.policy.rules;
    const old = queueConfigSchema.parse({
      ...config,
      policy: { ...config.policy, rules: [flag, confidence, risk, ...rest] },
    });
    expect(evaluatePolicy(old, task('tsk_docs', { confidence: 0.6, riskLevel: 'high' })).levels).toBe(1);
    expect(queueConfigWarnings(old)).toEqual([
      {
        code: 'fewer_levels_first',
        path: 'policy.rules[2]',
        message: expect.stringMatching(
          /rules\[2\]:risk asks 2 approval levels for high-risk tasks.*rules\[1\]:confidence_below/,
        ),
      },
    ]);
  });
});
