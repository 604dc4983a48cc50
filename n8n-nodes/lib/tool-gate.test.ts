import { type DecisionItem, decisionFromTask, type ServerTask } from './decision.js';
import {
  APPROVED_ARGUMENTS_LABEL,
  agentFeedback,
  editedApprovalFor,
  gatedToolCall,
  isToolGate,
  waitLimitFeedback,
} from './tool-gate.js';

function task(
  status: string,
  decision: Partial<NonNullable<ServerTask['decision']>> | null = {},
  payload: ServerTask['payload'] = { orderId: 'A-1', amount: 900 },
): ServerTask {
  return {
    id: 'tsk_1',
    status,
    payload,
    externalRef: null,
    callbackUrl: 'http://n8n.test/webhook-waiting/7/node-1?signature=s',
    createdAt: '2026-12-03T11:00:00.000Z',
    decision:
      decision === null
        ? null
        : {
            action: 'approve',
            comment: null,
            modifiedPayload: null,
            diff: null,
            decidedBy: { type: 'user', id: 'usr_1', name: 'Ana' },
            decidedAt: '2026-12-03T11:59:58.000Z',
            ...decision,
          },
  };
}

function resumed(t: ServerTask): DecisionItem {
  const outcome = decisionFromTask(t, [], new Date('2026-12-03T12:00:00.000Z'));
  if (!outcome.resume) throw new Error('expected a final task');
  return outcome.item;
}

describe('isToolGate / gatedToolCall', () => {
  test("n8n's generated review variant is recognised by its suffix", () => {
    expect(isToolGate('CUSTOM.loopgateHitlTool')).toBe(true);
    expect(isToolGate('n8n-nodes-loopgate.loopgateHitlTool')).toBe(true);
    expect(isToolGate('CUSTOM.loopgate')).toBe(false);
    expect(isToolGate('CUSTOM.loopgateTool')).toBe(false);
  });

  test('reads the call the engine puts on the input item', () => {
    expect(gatedToolCall({ tool: 'Refund', toolParameters: { amount: 5 }, toolCallId: 'call_1', body: {} })).toEqual({
      tool: 'Refund',
      parameters: { amount: 5 },
      toolCallId: 'call_1',
    });
    expect(gatedToolCall({})).toEqual({ tool: 'tool', parameters: {}, toolCallId: null });
  });
});

describe('agentFeedback', () => {
  test('only a plain approval lets the tool run', () => {
    expect(agentFeedback(resumed(task('approved')), 'Refund')).toEqual({ approved: true });
  });

  test('an edit does not run the original call and hands the model the approved arguments', () => {
    const edited = { orderId: 'A-1', amount: 400 };
    const feedback = agentFeedback(
      resumed(task('approved_with_modifications', { action: 'approve_with_modifications', modifiedPayload: edited })),
      'Refund',
    );
    expect(feedback.approved).toBe(false);
    const line = (feedback.chatInput as string).split('\n').find((l) => l.startsWith(APPROVED_ARGUMENTS_LABEL));
    expect(JSON.parse((line as string).slice(APPROVED_ARGUMENTS_LABEL.length))).toEqual(edited);
  });

  test("a rejection passes the reviewer's reason (and reason code) to the model", () => {
    const feedback = agentFeedback(
      resumed(task('rejected', { action: 'reject', comment: 'over the limit', reasonCode: 'policy' })),
      'Refund',
    );
    expect(feedback).toEqual({
      approved: false,
      chatInput: 'A human reviewer rejected the call to "Refund"; it did not run. Reason [policy]: over the limit',
    });
    expect(agentFeedback(resumed(task('rejected', { action: 'reject' })), 'Refund').chatInput).toContain(
      'Reason: no reason given',
    );
  });

  test('an expired or cancelled review never runs the tool', () => {
    for (const status of ['expired', 'cancelled']) {
      const feedback = agentFeedback(resumed(task(status, null)), 'Refund');
      expect(feedback.approved).toBe(false);
      expect(feedback.chatInput).toContain(`the review ${status}`);
    }
    expect(waitLimitFeedback('Refund')).toContain('did not run');
  });
});

describe('editedApprovalFor', () => {
  const edited = task('approved_with_modifications', {
    action: 'approve_with_modifications',
    modifiedPayload: { orderId: 'A-1', amount: 400 },
  });
  const call = (parameters: unknown, tool = 'Refund') => ({ tool, parameters, toolCallId: 'call_2' });

  test('the same arguments, in any key order, run once without another review', () => {
    const review = { taskId: 'tsk_1', tool: 'Refund' };
    expect(editedApprovalFor(review, edited, call({ amount: 400, orderId: 'A-1' }))).toBe(true);
    expect(editedApprovalFor({ ...review, used: true }, edited, call({ amount: 400, orderId: 'A-1' }))).toBe(false);
  });

  test('other arguments, another tool, or a task that is not an edited approval need a new review', () => {
    const review = { taskId: 'tsk_1', tool: 'Refund' };
    expect(editedApprovalFor(review, edited, call({ orderId: 'A-1', amount: 401 }))).toBe(false);
    expect(editedApprovalFor(review, edited, call({ orderId: 'A-1', amount: 400 }, 'Delete'))).toBe(false);
    expect(editedApprovalFor(review, task('approved'), call({ orderId: 'A-1', amount: 900 }))).toBe(false);
    expect(editedApprovalFor(review, task('rejected', { action: 'reject' }), call({}))).toBe(false);
  });
});
