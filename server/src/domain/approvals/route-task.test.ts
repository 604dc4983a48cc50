import { type QueueConfigInput, queueConfigSchema } from '@loopgate/shared';
import { reportedRiskLevel, routeTask } from './route-task.js';
import type { RoutableTask } from './routing-policy.js';

const config = (input: QueueConfigInput) => queueConfigSchema.parse(input);
const task = (fields: Partial<RoutableTask> = {}): RoutableTask => ({
  id: 'tsk_fixed',
  confidence: 0.9,
  riskLevel: 'low',
  payload: {},
  context: null,
  tags: [],
  ...fields,
});

describe('routeTask', () => {
  const queue = config({
    levels: [{ name: 'ops' }, { name: 'compliance' }],
    policy: { rules: [{ type: 'risk', levels: { medium: 1, high: 2 } }], otherwise: 'auto_approve' },
    classification: {
      detectors: [
        { detector: 'iban', raiseTo: 'high' },
        { detector: 'email', raiseTo: 'medium' },
      ],
    },
  });

  it('raises the risk the policy sees, and the reason says why', () => {
    const routed = routeTask(queue, task({ payload: { account: 'DE89370400440532013000' } }));
    expect(routed.riskLevel).toBe('high');
    expect(routed.routing).toMatchObject({
      outcome: 'review',
      rule: 'rules[0]:risk',
      levels: 2,
      reason: 'Risk raised to high: iban at /payload/account. Risk level high needs 2 approval levels',
    });
    expect(routed.classification).toMatchObject({ raisedTo: 'high', raisedFrom: 'low' });
  });

  it('never lowers: a higher agent level stands, and the reason is the policy’s own', () => {
    const routed = routeTask(queue, task({ riskLevel: 'critical', payload: { to: 'ops@example.com' } }));
    expect(routed.riskLevel).toBe('critical');
    expect(routed.classification?.raisedTo).toBeNull();
    expect(routed.routing.reason).not.toContain('raised');
  });

  it('a task without a level counts as lowest', () => {
    const routed = routeTask(queue, task({ riskLevel: null, payload: { to: 'ops@example.com' } }));
    expect(routed.riskLevel).toBe('medium');
    expect(routed.classification).toMatchObject({ raisedTo: 'medium', raisedFrom: null });
    expect(routed.routing.levels).toBe(1);
  });

  it('nothing found, or no detectors: the policy on the agent level, unchanged', () => {
    expect(routeTask(queue, task({ payload: { amount: 5 } }))).toMatchObject({
      riskLevel: 'low',
      routing: { outcome: 'auto_approve' },
      classification: { findings: [], raisedTo: null },
    });
    expect(routeTask(config({}), task()).classification).toBeNull();
  });

  it('a stored raised task reports the agent level for re-routing', () => {
    const routed = routeTask(queue, task({ payload: { account: 'DE89370400440532013000' } }));
    const stored = { riskLevel: routed.riskLevel, classification: routed.classification };
    expect(reportedRiskLevel(stored)).toBe('low');
    expect(reportedRiskLevel({ riskLevel: 'medium', classification: null })).toBe('medium');
  });
});
