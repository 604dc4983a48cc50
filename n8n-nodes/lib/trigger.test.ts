import { triggerItem } from './trigger.js';

const delivery = (type: string, status: string) => ({
  type,
  timestamp: '2026-11-25T12:00:00.000Z',
  data: { taskId: 'tsk_1', status, event: { id: 'evt_1', type: 'decided' }, originalPayload: { a: 1 } },
});

describe('triggerItem', () => {
  test.each([
    ['task.decided', 'approved', { event: 'task.decided', decision: 'approved' }],
    ['task.expired', 'expired', { event: 'task.expired', decision: 'expired' }],
    ['task.created', 'pending_review', { event: 'task.created' }],
  ])('%s flattens the envelope and keeps the task event apart', (type, status, expected) => {
    const item = triggerItem(delivery(type, status), ['task.decided', 'task.expired', 'task.created']);
    expect(item).toMatchObject({
      ...expected,
      taskId: 'tsk_1',
      status,
      timestamp: '2026-11-25T12:00:00.000Z',
      taskEvent: { id: 'evt_1', type: 'decided' },
      originalPayload: { a: 1 },
    });
    if (type === 'task.created') expect(item).not.toHaveProperty('decision');
  });

  test('an agent event is its drift test as sent, with no task fields', () => {
    const body = {
      type: 'agent.drift_detected',
      timestamp: '2026-11-25T12:00:00.000Z',
      data: { agentId: 'invoice-bot', drifted: true, driftedMetrics: ['intervention'], metrics: [] },
    };
    expect(triggerItem(body, ['agent.drift_detected'])).toEqual({
      event: 'agent.drift_detected',
      timestamp: '2026-11-25T12:00:00.000Z',
      agentId: 'invoice-bot',
      drifted: true,
      driftedMetrics: ['intervention'],
      metrics: [],
    });
    expect(triggerItem(body, ['task.decided'])).toBeNull();
  });

  test.each([
    ['an event the node was not set up for', delivery('task.expired', 'expired')],
    ['a body without a type', { data: {} }],
    ['a non-object body', 'task.decided'],
  ])('ignores %s', (_name, body) => {
    expect(triggerItem(body, ['task.decided'])).toBeNull();
  });
});
