import type { IExecuteFunctions, INodeExecutionData, IWebhookFunctions } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { Loopgate } from './Loopgate.node.js';

interface Call {
  credential: string;
  options: { method: string; url: string; body?: unknown; headers?: Record<string, string>; qs?: unknown };
}

const RESUME_URL = 'http://127.0.0.1:5678/webhook-waiting/42/node-1?signature=sig';

/**
 * A stand-in for n8n's execute context: records HTTP calls and the wait, answers with `responses`
 * in order. Only what the node touches is implemented.
 */
function fakeContext(opts: {
  params: Record<string, unknown>;
  items?: INodeExecutionData[];
  responses?: { statusCode: number; body: unknown }[];
  continueOnFail?: boolean;
  withSetSignature?: boolean;
}) {
  const calls: Call[] = [];
  const waits: Date[] = [];
  const responses = [...(opts.responses ?? [])];
  let signatureRequired = false;
  const items = opts.items ?? [{ json: { orderId: 'A-1' } }];
  const ctx = {
    getInputData: () => items,
    getNodeParameter: (name: string, _i: number, fallback?: unknown) =>
      name in opts.params ? opts.params[name] : fallback,
    getNode: () => ({ id: 'node-1', name: 'Loopgate', type: 'CUSTOM.loopgate', typeVersion: 1, parameters: {} }),
    getWorkflow: () => ({ id: 'wf1', name: 'wf', active: true }),
    getExecutionId: () => '42',
    getCredentials: async () => ({ baseUrl: 'http://lg.test/', apiKey: 'lg_x' }),
    continueOnFail: () => opts.continueOnFail ?? false,
    getSignedResumeUrl: () => {
      if (opts.withSetSignature && !signatureRequired) throw new Error('signature not required yet');
      return RESUME_URL;
    },
    putExecutionToWait: async (date: Date) => {
      waits.push(date);
    },
    helpers: {
      httpRequestWithAuthentication: async (credential: string, options: Call['options']) => {
        calls.push({ credential, options });
        const next = responses.shift();
        if (!next) throw new Error('unexpected request');
        return next;
      },
    },
    ...(opts.withSetSignature
      ? {
          setSignatureValidationRequired: () => {
            signatureRequired = true;
          },
        }
      : {}),
  };
  return { ctx: ctx as unknown as IExecuteFunctions, calls, waits, items };
}

const approvalParams = {
  operation: 'sendAndWait',
  title: 'Refund?',
  payload: '{"amount": 250}',
  additionalFields: { slaMinutes: 10 },
  options: {},
};

describe('Request Approval (and Wait)', () => {
  test.each([
    ['n8n 1.x (setSignatureValidationRequired present)', true],
    ['n8n 2.x (method gone)', false],
  ])('%s: creates the task with the signed resume URL, then waits', async (_name, withSetSignature) => {
    const { ctx, calls, waits, items } = fakeContext({
      params: approvalParams,
      responses: [{ statusCode: 201, body: { id: 'tsk_1' } }],
      withSetSignature,
    });
    const before = Date.now();
    const out = await new Loopgate().execute.call(ctx);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      credential: 'loopgateApi',
      options: {
        method: 'POST',
        url: 'http://lg.test/api/v1/tasks',
        headers: { 'Idempotency-Key': 'n8n-42-node-1' },
        body: {
          title: 'Refund?',
          payload: { amount: 250 },
          slaSeconds: 600,
          source: 'n8n',
          externalRef: 'n8n:wf1:42',
          callbackUrl: RESUME_URL,
        },
      },
    });
    // Backstop: SLA plus an hour.
    expect(waits).toHaveLength(1);
    expect(waits[0]!.getTime()).toBeGreaterThanOrEqual(before + 600_000 + 3_600_000);
    expect(waits[0]!.getTime()).toBeLessThanOrEqual(Date.now() + 600_000 + 3_600_000);
    // The waiting item already reads "expired by the wait limit", for when n8n's limit ends the wait.
    expect(out).toEqual([[items[0]]]);
    expect(items[0]!.json).toEqual({
      orderId: 'A-1',
      decision: 'expired',
      approved: false,
      resumedBy: 'wait_limit',
      taskId: 'tsk_1',
    });
  });

  test("a server error becomes a NodeApiError with the problem's code, and nothing waits", async () => {
    const { ctx, waits } = fakeContext({
      params: approvalParams,
      responses: [
        {
          statusCode: 422,
          body: { code: 'callback_url_refused', title: 'No', detail: 'The callback URL resolves to 127.0.0.1' },
        },
      ],
    });
    const error = await new Loopgate().execute.call(ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeApiError);
    expect((error as NodeApiError).message).toBe(
      'Loopgate: The callback URL resolves to 127.0.0.1 [callback_url_refused]',
    );
    expect((error as NodeApiError).context.code).toBe('callback_url_refused');
    expect((error as NodeApiError).httpCode).toBe('422');
    expect(waits).toEqual([]);
  });

  test('continue on fail: the error comes out as an item with its code, without waiting', async () => {
    const { ctx, waits } = fakeContext({
      params: approvalParams,
      continueOnFail: true,
      responses: [{ statusCode: 401, body: { code: 'unauthorized', detail: 'Invalid API key' } }],
    });
    const out = await new Loopgate().execute.call(ctx);
    expect(out).toEqual([
      [{ json: { error: 'Loopgate: Invalid API key [unauthorized]', code: 'unauthorized' }, pairedItem: { item: 0 } }],
    ]);
    expect(waits).toEqual([]);
  });

  test('invalid input fails before any request', async () => {
    const { ctx, calls } = fakeContext({ params: { ...approvalParams, payload: '{oops' } });
    await expect(new Loopgate().execute.call(ctx)).rejects.toThrow(/Payload is not valid JSON/);
    expect(calls).toEqual([]);
  });

  test('several items are refused rather than silently dropped', async () => {
    const { ctx, calls } = fakeContext({ params: approvalParams, items: [{ json: {} }, { json: {} }] });
    const error = await new Loopgate().execute.call(ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeOperationError);
    expect((error as Error).message).toMatch(/one decision per execution but received 2 items/);
    expect(calls).toEqual([]);
  });
});

describe('webhook (the resume)', () => {
  const call = (body: unknown) =>
    new Loopgate().webhook.call({ getBodyData: () => body } as unknown as IWebhookFunctions);

  test('a final decision resumes with one item', async () => {
    const res = await call({
      type: 'task.decided',
      data: { taskId: 'tsk_1', status: 'rejected', originalPayload: { a: 1 }, modifiedPayload: null, comment: 'no' },
    });
    expect(res.workflowData).toEqual([
      [
        {
          json: expect.objectContaining({ decision: 'rejected', comment: 'no', taskId: 'tsk_1' }),
          pairedItem: { item: 0 },
        },
      ],
    ]);
  });

  test('a non-final event is acknowledged without resuming', async () => {
    const res = await call({ type: 'task.escalated', data: { taskId: 'tsk_1', status: 'in_review' } });
    expect(res.workflowData).toBeUndefined();
    expect(res.webhookResponse).toMatchObject({ received: true, resumed: false });
  });
});

describe('the other operations', () => {
  test.each([
    ['get', { taskId: ' tsk_1 ' }, 'GET', 'http://lg.test/api/v1/tasks/tsk_1', undefined],
    [
      'cancel',
      { taskId: 'tsk_1', reason: 'dup' },
      'POST',
      'http://lg.test/api/v1/tasks/tsk_1/cancel',
      { reason: 'dup' },
    ],
  ])('%s calls the API per item', async (operation, params, method, url, body) => {
    const { ctx, calls } = fakeContext({
      params: { operation, ...params },
      items: [{ json: {} }, { json: {} }],
      responses: [
        { statusCode: 200, body: { id: 'tsk_1' } },
        { statusCode: 200, body: { id: 'tsk_1' } },
      ],
    });
    const out = await new Loopgate().execute.call(ctx);
    expect(out[0]).toHaveLength(2);
    expect(calls.map((c) => [c.options.method, c.options.url, c.options.body])).toEqual([
      [method, url, body],
      [method, url, body],
    ]);
  });

  test('list follows the cursor until the limit', async () => {
    const { ctx, calls } = fakeContext({
      params: { operation: 'list', returnAll: false, limit: 3, filters: { status: 'pending_review' } },
      responses: [
        { statusCode: 200, body: { data: [{ id: 'a' }, { id: 'b' }], nextCursor: 'c1' } },
        { statusCode: 200, body: { data: [{ id: 'c' }, { id: 'd' }], nextCursor: 'c2' } },
      ],
    });
    const out = await new Loopgate().execute.call(ctx);
    expect(out[0]!.map((item) => item.json.id)).toEqual(['a', 'b', 'c']);
    expect(calls.map((c) => c.options.qs)).toEqual([
      { status: 'pending_review', limit: 3 },
      { status: 'pending_review', limit: 1, cursor: 'c1' },
    ]);
  });

  test('create with continue on fail keeps going after a failed item', async () => {
    const { ctx } = fakeContext({
      params: { operation: 'create', title: 't', payload: '{}', additionalFields: {}, callbackUrl: '' },
      items: [{ json: {} }, { json: {} }],
      continueOnFail: true,
      responses: [
        { statusCode: 400, body: { code: 'validation_failed', detail: 'payload: bad' } },
        { statusCode: 201, body: { id: 'tsk_2' } },
      ],
    });
    const out = await new Loopgate().execute.call(ctx);
    expect(out[0]).toEqual([
      {
        json: { error: 'Loopgate: payload: bad [validation_failed]', code: 'validation_failed' },
        pairedItem: { item: 0 },
      },
      { json: { id: 'tsk_2' }, pairedItem: { item: 1 } },
    ]);
  });
});
