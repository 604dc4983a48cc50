import { backstopFields, decisionFromTask, type ServerTask } from './decision.js';

const at = new Date('2026-11-25T12:00:00.000Z');
const DIFF = '--- original\n+++ modified\n@@ -1,3 +1,3 @@\n {\n-  "amount": 900\n+  "amount": 400\n }\n';

/** A task as GET /api/v1/tasks/{id} answers it, with the fields the node reads. */
function task(status: string, decision: Partial<NonNullable<ServerTask['decision']>> | null = {}): ServerTask {
  return {
    id: 'tsk_1',
    status,
    payload: { amount: 900 },
    externalRef: 'n8n:wf:7',
    callbackUrl: 'http://n8n.test/webhook-waiting/7/node-1?signature=s',
    createdAt: '2026-11-25T11:00:00.000Z',
    decision:
      decision === null
        ? null
        : {
            action: 'approve',
            comment: 'ok',
            modifiedPayload: null,
            diff: null,
            decidedBy: { type: 'user', id: 'usr_1', name: 'Ana' },
            decidedAt: '2026-11-25T11:59:58.000Z',
            ...decision,
          },
  };
}

describe('decisionFromTask', () => {
  test.each([
    [
      'approved',
      {},
      {
        decision: 'approved',
        approved: true,
        payload: { amount: 900 },
        modified: false,
        diff: null,
        reasonCode: null,
        response: null,
      },
    ],
    [
      'approved_with_modifications',
      {
        action: 'approve_with_modifications',
        modifiedPayload: { amount: 400 },
        diff: DIFF,
        reasonCode: null,
        response: { reply: 'Partial refund', goodwill: 5, voucher: true },
      },
      {
        decision: 'approved_with_modifications',
        approved: true,
        payload: { amount: 400 },
        modified: true,
        diff: DIFF,
        reasonCode: null,
        response: { reply: 'Partial refund', goodwill: 5, voucher: true },
      },
    ],
    [
      'rejected',
      { action: 'reject', reasonCode: 'no-receipt', response: null },
      {
        decision: 'rejected',
        approved: false,
        payload: { amount: 900 },
        modified: false,
        diff: null,
        reasonCode: 'no-receipt',
        response: null,
      },
    ],
  ])("%s resumes with the server's decision and the payload to act on", (status, decision, expected) => {
    expect(decisionFromTask(task(status, decision), [], at)).toEqual({
      resume: true,
      item: {
        ...expected,
        originalPayload: { amount: 900 },
        modifiedPayload: status === 'approved_with_modifications' ? { amount: 400 } : null,
        reviewer: { type: 'user', id: 'usr_1', name: 'Ana' },
        comment: 'ok',
        taskId: 'tsk_1',
        externalRef: 'n8n:wf:7',
        event: 'task.decided',
        resumedBy: 'loopgate',
        createdAt: '2026-11-25T11:00:00.000Z',
        decidedAt: '2026-11-25T11:59:58.000Z',
        receivedAt: '2026-11-25T12:00:00.000Z',
      },
    });
  });

  test.each([
    ['expired', 'task.expired', 'SLA breached; the queue times out to expired'],
    ['cancelled', 'task.cancelled', 'duplicate'],
  ])('%s (no decision) resumes with the reason from the task history', (status, event, reason) => {
    const history = [
      { type: 'created', toStatus: 'pending_review', reason: 'review' },
      { type: status, toStatus: status, reason },
    ];
    const outcome = decisionFromTask(task(status, null), history, at);
    expect(outcome).toEqual({
      resume: true,
      item: expect.objectContaining({
        decision: status,
        approved: false,
        payload: { amount: 900 },
        modified: false,
        reviewer: null,
        comment: reason,
        reasonCode: null,
        response: null,
        event,
        decidedAt: null,
      }),
    });
  });

  test.each(['pending_review', 'in_review', 'approved_by_magic'])('status %s does not resume', (status) => {
    expect(decisionFromTask(task(status, null), [], at)).toEqual({
      resume: false,
      reason: `task status ${status} is not final`,
    });
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
