import { backstopFields, decisionFromCallback } from './decision.js';

const at = new Date('2026-11-25T12:00:00.000Z');

function envelope(status: string, extra: Record<string, unknown> = {}) {
  return {
    type: status === 'expired' ? 'task.expired' : 'task.decided',
    timestamp: '2026-11-25T11:59:59.000Z',
    data: {
      taskId: 'tsk_1',
      status,
      action: null,
      comment: null,
      reviewers: [{ type: 'user', id: 'usr_2', name: 'Li' }],
      originalPayload: { amount: 900 },
      modifiedPayload: null,
      externalRef: 'n8n:wf:7',
      event: { id: 'evt_1', type: 'decided', reason: null, data: null },
      createdAt: '2026-11-25T11:00:00.000Z',
      decidedAt: '2026-11-25T11:59:58.000Z',
      task: { id: 'tsk_1', decision: { decidedBy: { type: 'user', id: 'usr_1', name: 'Ana' } } },
      ...extra,
    },
  };
}

describe('decisionFromCallback', () => {
  test.each([
    ['approved', { decision: 'approved', approved: true, payload: { amount: 900 }, modified: false }],
    [
      'approved_with_modifications',
      { decision: 'approved_with_modifications', approved: true, payload: { amount: 400 }, modified: true },
    ],
    ['rejected', { decision: 'rejected', approved: false, payload: { amount: 900 }, modified: false }],
    ['expired', { decision: 'expired', approved: false, event: 'task.expired' }],
    ['cancelled', { decision: 'cancelled', approved: false }],
  ])('%s resumes with the decision and the payload to act on', (status, expected) => {
    const diff = '--- original\n+++ modified\n@@ -1,3 +1,3 @@\n {\n-  "amount": 900\n+  "amount": 400\n }\n';
    const modified = status === 'approved_with_modifications' ? { modifiedPayload: { amount: 400 }, diff } : {};
    const outcome = decisionFromCallback(envelope(status, { comment: 'ok', ...modified }), at);
    expect(outcome).toEqual({
      resume: true,
      item: expect.objectContaining({
        ...expected,
        diff: status === 'approved_with_modifications' ? diff : null,
        originalPayload: { amount: 900 },
        comment: 'ok',
        taskId: 'tsk_1',
        externalRef: 'n8n:wf:7',
        resumedBy: 'loopgate',
        reviewer: { type: 'user', id: 'usr_1', name: 'Ana' },
        createdAt: '2026-11-25T11:00:00.000Z',
        decidedAt: '2026-11-25T11:59:58.000Z',
        receivedAt: '2026-11-25T12:00:00.000Z',
      }),
    });
  });

  test('without a decision on the task, the first listed reviewer is reported', () => {
    const outcome = decisionFromCallback(envelope('rejected', { task: { id: 'tsk_1', decision: null } }), at);
    expect(outcome.resume && outcome.item.reviewer).toEqual({ type: 'user', id: 'usr_2', name: 'Li' });
  });

  test.each([
    ['an open status (escalation notice)', envelope('in_review')],
    ['no data', { type: 'task.decided' }],
    ['not an object', 'approved'],
    ['null', null],
    ['an unknown status', envelope('approved_by_magic')],
  ])('%s does not resume', (_name, body) => {
    expect(decisionFromCallback(body, at)).toEqual({ resume: false, reason: expect.any(String) });
  });
});

test('backstopFields mark the waiting item as expired by the wait limit, not approved', () => {
  expect(backstopFields('tsk_9')).toEqual({
    decision: 'expired',
    approved: false,
    resumedBy: 'wait_limit',
    taskId: 'tsk_9',
  });
});
