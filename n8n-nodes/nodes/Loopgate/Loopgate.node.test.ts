import type { IExecuteFunctions, INodeExecutionData, IWebhookFunctions } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { namesThisExecution } from '../../lib/resume.js';
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
  /** The node's type: `CUSTOM.loopgateHitlTool` is the AI Agent tool review n8n 2.x generates. */
  nodeType?: string;
  /** The node's execution context (n8n's getContext('node')), shared across calls of one execution. */
  nodeContext?: Record<string, unknown>;
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
    getNode: () => ({
      id: 'node-1',
      name: 'Loopgate',
      type: opts.nodeType ?? 'CUSTOM.loopgate',
      typeVersion: 1,
      parameters: {},
    }),
    getContext: () => {
      if (!opts.nodeContext) throw new Error('getContext was not expected');
      return opts.nodeContext;
    },
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
          agent: { id: 'n8n:workflow:wf1', name: 'wf' },
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

  test('Form Fields and Response Fields are sent as form and responseForm', async () => {
    const { ctx, calls } = fakeContext({
      params: {
        ...approvalParams,
        payload: '{"refund": {"amount": 250}}',
        formFields: {
          field: [
            { name: 'amount', label: 'Refund amount', type: 'number', required: true, path: '/refund/amount' },
            { name: 'reason', label: 'Reason', type: 'enum', options: 'late=Arrived late, damaged', readOnly: false },
          ],
        },
        responseFields: { field: [{ name: 'reply', label: 'Note to the customer', type: 'string', required: true }] },
      },
      responses: [{ statusCode: 201, body: { id: 'tsk_1' } }],
    });
    await new Loopgate().execute.call(ctx);
    expect(calls[0]?.options.body).toMatchObject({
      form: {
        type: 'object',
        properties: {
          amount: { type: 'number', title: 'Refund amount', 'x-loopgate-path': '/refund/amount' },
          reason: {
            type: 'string',
            title: 'Reason',
            enum: ['late', 'damaged'],
            enumNames: ['Arrived late', 'damaged'],
          },
        },
        required: ['amount'],
      },
      responseForm: {
        type: 'object',
        properties: { reply: { type: 'string', title: 'Note to the customer' } },
        required: ['reply'],
      },
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

  test('the Reviewers field says external reviewers must be on the allowlist; a refusal says how to allow them', async () => {
    const field = new Loopgate().description.properties
      .flatMap((p) => [p, ...((p.options ?? []) as { name?: string; description?: string }[])])
      .find((p) => p.name === 'reviewers') as { description?: string } | undefined;
    expect(field?.description).toContain("must be on the workspace's allowlist (Settings → External reviewers)");
    const detail =
      'This reviewer is not a member of the workspace, and external reviewers are off: gus@partner.example. An admin can allow them under Settings → External reviewers (/settings/reviewers)';
    const { ctx } = fakeContext({
      params: approvalParams,
      responses: [{ statusCode: 400, body: { code: 'reviewer_not_member', detail } }],
    });
    const error = await new Loopgate().execute.call(ctx).catch((e: unknown) => e);
    expect((error as NodeApiError).message).toBe(`Loopgate: ${detail} [reviewer_not_member]`);
    expect((error as NodeApiError).context.code).toBe('reviewer_not_member');
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

describe("webhook (the resume): the server's state, for the task this execution created", () => {
  /** GET /api/v1/tasks/tsk_1 as the creating key reads it: its callback URL is the execution's resume URL. */
  const serverTask = (status: string, resumeUrl: string, extra: Record<string, unknown> = {}) => ({
    id: 'tsk_1',
    status,
    payload: { amount: 250 },
    externalRef: 'n8n:wf1:42',
    callbackUrl: resumeUrl,
    createdAt: '2026-11-25T11:00:00.000Z',
    decision: ['approved', 'approved_with_modifications', 'rejected'].includes(status)
      ? {
          action: status === 'rejected' ? 'reject' : 'approve',
          comment: 'real comment',
          modifiedPayload: null,
          diff: null,
          decidedBy: { type: 'user', id: 'usr_1', name: 'Ana' },
          decidedAt: '2026-11-25T11:59:58.000Z',
        }
      : null,
    ...extra,
  });

  /** A callback body as anyone holding the resume URL could send it. */
  const body = (status: string, extra: Record<string, unknown> = {}) => ({
    type: 'task.decided',
    data: { taskId: 'tsk_1', status, originalPayload: { amount: 250 }, modifiedPayload: null, ...extra },
  });

  type Answer = { statusCode: number; body: unknown } | Error | Promise<{ statusCode: number; body: unknown }>;
  let executions = 100;

  /**
   * A stand-in for n8n's webhook context of a waiting execution (a new one each time: a resumed execution
   * stays claimed for a while). `answers` gets the execution's resume URL and gives Loopgate's answers.
   */
  function webhookContext(opts: {
    body: unknown;
    /** $json.taskId of the waiting item; an Error when the expression cannot be evaluated. */
    waitingTaskId?: string | Error;
    answers?: (resumeUrl: string) => Answer[];
    executionId?: string;
  }) {
    const executionId = opts.executionId ?? String(executions++);
    const resumeUrl = `http://127.0.0.1:5678/webhook-waiting/${executionId}/node-1?signature=sig`;
    const calls: Call[] = [];
    const answered: { status?: number; body?: unknown } = {};
    const responses = [...(opts.answers?.(resumeUrl) ?? [])];
    const res = {
      status(code: number) {
        answered.status = code;
        return res;
      },
      json(value: unknown) {
        answered.body = value;
        return res;
      },
    };
    const ctx = {
      getBodyData: () => opts.body,
      evaluateExpression: (expression: string) => {
        expect(expression).toBe('{{ $json.taskId }}');
        if (opts.waitingTaskId instanceof Error) throw opts.waitingTaskId;
        return opts.waitingTaskId ?? 'tsk_1';
      },
      getExecutionId: () => executionId,
      getNode: () => ({ id: 'node-1', name: 'Loopgate', type: 'CUSTOM.loopgate', typeVersion: 1, parameters: {} }),
      getCredentials: async () => ({ baseUrl: 'http://lg.test/', apiKey: 'lg_x' }),
      getResponseObject: () => res,
      helpers: {
        httpRequestWithAuthentication: async (credential: string, options: Call['options']) => {
          calls.push({ credential, options });
          const next = responses.shift();
          if (!next) throw new Error('unexpected request');
          if (next instanceof Error) throw next;
          return next;
        },
      },
    };
    const run = () => new Loopgate().webhook.call(ctx as unknown as IWebhookFunctions);
    return { run, calls, answered, executionId };
  }

  const ok = (value: unknown) => ({ statusCode: 200, body: value });
  const resumedItem = (res: Awaited<ReturnType<Loopgate['webhook']>>) => res.workflowData?.[0]?.[0]?.json;

  test('a final decision resumes with one item built from the task read back with the credential', async () => {
    const { run, calls } = webhookContext({
      body: body('rejected', { comment: 'no' }),
      answers: (url) => [ok(serverTask('rejected', url))],
    });
    const res = await run();
    expect(calls.map((c) => [c.credential, c.options.method, c.options.url])).toEqual([
      ['loopgateApi', 'GET', 'http://lg.test/api/v1/tasks/tsk_1'],
    ]);
    expect(res.workflowData).toEqual([
      [
        {
          json: expect.objectContaining({
            decision: 'rejected',
            approved: false,
            comment: 'real comment',
            taskId: 'tsk_1',
            reviewer: { type: 'user', id: 'usr_1', name: 'Ana' },
            resumedBy: 'loopgate',
          }),
          pairedItem: { item: 0 },
        },
      ],
    ]);
  });

  test("the reviewer's answers and a reject's reason code come out of the server's decision", async () => {
    const decided = (status: string, decision: Record<string, unknown>) => (url: string) => {
      const task = serverTask(status, url);
      return [ok({ ...task, decision: { ...task.decision, ...decision } })];
    };
    const approved = resumedItem(
      await webhookContext({
        body: body('approved', { response: { reply: 'forged' } }),
        answers: decided('approved', { response: { reply: 'Refund sent', goodwill: 5 }, reasonCode: null }),
      }).run(),
    );
    expect(approved).toMatchObject({ response: { reply: 'Refund sent', goodwill: 5 }, reasonCode: null });
    const rejected = resumedItem(
      await webhookContext({
        body: body('rejected', { reasonCode: 'forged' }),
        answers: decided('rejected', { reasonCode: 'no-receipt', response: null }),
      }).run(),
    );
    expect(rejected).toMatchObject({ decision: 'rejected', reasonCode: 'no-receipt', response: null });
  });

  test.each([
    ['"approved" for a task Loopgate rejected', body('approved'), 'rejected', { amount: 250 }],
    [
      'a modified payload nobody approved',
      body('approved_with_modifications', { modifiedPayload: { amount: 1 }, diff: 'forged' }),
      'approved',
      { amount: 250 },
    ],
  ])("a forged body (%s) resumes only with the server's decision", async (_name, forged, decision, payload) => {
    const { run } = webhookContext({ body: forged, answers: (url) => [ok(serverTask(decision, url))] });
    const item = resumedItem(await run());
    expect(item).toMatchObject({ decision, payload, originalPayload: { amount: 250 }, modified: false, diff: null });
    expect(item?.comment).toBe('real comment');
  });

  test('a forged approval of a task still open keeps the execution waiting', async () => {
    const { run } = webhookContext({
      body: body('approved'),
      answers: (url) => [ok(serverTask('pending_review', url))],
    });
    const res = await run();
    expect(res.workflowData).toBeUndefined();
    expect(res.webhookResponse).toEqual({
      received: true,
      resumed: false,
      reason: 'task status pending_review is not final',
    });
  });

  test('an escalation notice is acknowledged without resuming', async () => {
    const { run } = webhookContext({
      body: { type: 'task.escalated', data: { taskId: 'tsk_1', status: 'in_review' } },
      answers: (url) => [ok(serverTask('in_review', url))],
    });
    const res = await run();
    expect(res.workflowData).toBeUndefined();
    expect(res.webhookResponse).toMatchObject({ received: true, resumed: false });
  });

  test("a body naming another task than this execution's is refused without asking Loopgate", async () => {
    const { run, calls, answered } = webhookContext({ body: body('approved', { taskId: 'tsk_other' }) });
    const res = await run();
    expect(res).toEqual({ noWebhookResponse: true });
    expect(answered).toEqual({
      status: 409,
      body: { received: true, resumed: false, reason: 'this execution waits for task tsk_1, not tsk_other' },
    });
    expect(calls).toEqual([]);
  });

  test.each([
    // Made by another key with this resume URL as its callback: the node's key sees only the origin.
    ['made by another key (the callback URL reads as its origin)', 'http://127.0.0.1:5678'],
    ['of another execution', 'http://127.0.0.1:5678/webhook-waiting/41/node-1?signature=sig'],
    ['of another node', 'http://127.0.0.1:5678/webhook-waiting/99/node-2?signature=sig'],
    ['without a callback', null],
  ])('a decided task %s does not resume this execution', async (_name, callbackUrl) => {
    const { run, answered } = webhookContext({
      body: body('approved'),
      // The waiting item's task id is unreadable here, so only the callback URL binds the task.
      waitingTaskId: new Error('no execution data'),
      answers: (url) => [ok(serverTask('approved', url, { callbackUrl }))],
    });
    const res = await run();
    expect(res).toEqual({ noWebhookResponse: true });
    expect(answered.status).toBe(409);
  });

  test("without the waiting item's task id, the body's task id is still bound by the callback URL", async () => {
    const { run } = webhookContext({
      body: body('approved'),
      waitingTaskId: new Error('no execution data'),
      answers: (url) => [ok(serverTask('approved', url))],
    });
    expect(resumedItem(await run())).toMatchObject({ decision: 'approved', taskId: 'tsk_1' });
  });

  test('a body without a task id still wakes the check of the waiting task', async () => {
    const { run, calls } = webhookContext({
      body: 'approve please',
      answers: (url) => [ok(serverTask('approved', url))],
    });
    expect(resumedItem(await run())).toMatchObject({ decision: 'approved' });
    expect(calls.map((c) => c.options.url)).toEqual(['http://lg.test/api/v1/tasks/tsk_1']);
  });

  test('an expiry resumes with the reason from the task history', async () => {
    const { run, calls } = webhookContext({
      body: { type: 'task.expired', data: { taskId: 'tsk_1', status: 'expired' } },
      answers: (url) => [
        ok(serverTask('expired', url)),
        ok({ data: [{ type: 'expired', toStatus: 'expired', reason: 'SLA breached' }] }),
      ],
    });
    expect(resumedItem(await run())).toMatchObject({
      decision: 'expired',
      comment: 'SLA breached',
      event: 'task.expired',
    });
    expect(calls.map((c) => c.options.url)).toEqual([
      'http://lg.test/api/v1/tasks/tsk_1',
      'http://lg.test/api/v1/tasks/tsk_1/events',
    ]);
  });

  test.each([
    ['unreachable', (): Answer => new Error('connect ECONNREFUSED')],
    ['answering 500', (): Answer => ({ statusCode: 500, body: { code: 'internal_error', detail: 'boom' } })],
    [
      'refusing the key',
      (): Answer => ({ statusCode: 401, body: { code: 'unauthorized', detail: 'Invalid API key' } }),
    ],
    [
      'answering something that is not a task',
      (url: string): Answer => ok({ id: 'tsk_1', status: 'approved', callbackUrl: url, decision: {} }),
    ],
  ])('Loopgate %s: answers 503 and keeps waiting, never throws', async (_name, response) => {
    const { run, answered } = webhookContext({ body: body('approved'), answers: (url) => [response(url)] });
    const res = await run();
    expect(res).toEqual({ noWebhookResponse: true });
    expect(answered.status).toBe(503);
    expect(answered.body).toMatchObject({
      resumed: false,
      reason: expect.stringContaining('could not read task tsk_1'),
    });
  });

  test('a second POST while the first reads the task, or after it resumed, is refused (the workflow runs once)', async () => {
    let release: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = webhookContext({
      body: body('approved'),
      executionId: '7001',
      answers: (url) => [slow.then(() => ok(serverTask('approved', url)))],
    });
    const firstResult = first.run();
    const racing = webhookContext({
      body: body('approved'),
      executionId: '7001',
      answers: (url) => [ok(serverTask('approved', url))],
    });
    expect(await racing.run()).toEqual({ noWebhookResponse: true });
    expect(racing.answered).toMatchObject({ status: 409, body: { resumed: false } });
    expect(racing.calls).toEqual([]);
    release();
    expect((await firstResult).workflowData).toHaveLength(1);
    const late = webhookContext({
      body: body('approved'),
      executionId: '7001',
      answers: (url) => [ok(serverTask('approved', url))],
    });
    expect(await late.run()).toEqual({ noWebhookResponse: true });
    expect(late.answered.status).toBe(409);
    // Another execution is not held up.
    const other = webhookContext({ body: body('approved'), answers: (url) => [ok(serverTask('approved', url))] });
    expect((await other.run()).workflowData).toHaveLength(1);
  });

  test('a POST that did not resume (task still open) leaves the next one free to', async () => {
    const early = webhookContext({
      body: body('approved'),
      executionId: '7003',
      answers: (url) => [ok(serverTask('pending_review', url))],
    });
    expect((await early.run()).webhookResponse).toMatchObject({ resumed: false });
    const real = webhookContext({
      body: body('approved'),
      executionId: '7003',
      answers: (url) => [ok(serverTask('approved', url))],
    });
    expect((await real.run()).workflowData).toHaveLength(1);
  });
});

describe('namesThisExecution', () => {
  test.each([
    ['the signed resume URL', 'http://127.0.0.1:5678/webhook-waiting/42/node-1?signature=sig', true],
    [
      'another host name for the same n8n, under a path prefix',
      'https://n8n.example/base/webhook-waiting/42/node-1/',
      true,
    ],
    ['another execution', 'http://127.0.0.1:5678/webhook-waiting/142/node-1', false],
    ['another node', 'http://127.0.0.1:5678/webhook-waiting/42/node-10', false],
    ['only the origin', 'http://127.0.0.1:5678', false],
    ['no URL', null, false],
    ['not a URL', 'webhook-waiting/42/node-1', false],
  ])('%s → %s', (_name, url, expected) => {
    expect(namesThisExecution(url, '42', 'node-1')).toBe(expected);
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

describe('as an AI Agent tool review (n8n 2.x loopgateHitlTool)', () => {
  const toolItem = (parameters: Record<string, string | number>, toolCallId: string): INodeExecutionData => ({
    json: { body: { prompt: 'x' }, tool: 'Refund', toolParameters: parameters, hitlParameters: {}, toolCallId },
  });
  const reviewParams = { ...approvalParams, title: '', payload: '={{ JSON.stringify($json) }}', additionalFields: {} };

  test("reviews the tool call's arguments, one task per call, and remembers the review", async () => {
    const nodeContext: Record<string, unknown> = {};
    const { ctx, calls, waits, items } = fakeContext({
      params: reviewParams,
      items: [toolItem({ orderId: 'A-1', amount: 900 }, 'call_1')],
      responses: [{ statusCode: 201, body: { id: 'tsk_9' } }],
      nodeType: 'CUSTOM.loopgateHitlTool',
      nodeContext,
    });
    await new Loopgate().execute.call(ctx);
    expect(calls[0]!.options).toMatchObject({
      method: 'POST',
      headers: { 'Idempotency-Key': 'n8n-42-node-1-call_1' },
      body: {
        title: 'Let the agent run "Refund"?',
        payload: { orderId: 'A-1', amount: 900 },
        context: { tool: 'Refund', toolCallId: 'call_1' },
        callbackUrl: RESUME_URL,
      },
    });
    expect(waits).toHaveLength(1);
    // If n8n's wait limit ends the wait, the agent reads "not approved" and why.
    expect(items[0]!.json).toMatchObject({ approved: false, resumedBy: 'wait_limit', taskId: 'tsk_9' });
    expect((items[0]!.json as { chatInput?: string }).chatInput).toContain('did not run');
    expect(nodeContext.loopgateReviews).toEqual([{ taskId: 'tsk_9', tool: 'Refund' }]);
  });

  test('a call with the arguments of an edited approval runs without a new task, once', async () => {
    const edited = {
      id: 'tsk_9',
      status: 'approved_with_modifications',
      payload: { orderId: 'A-1', amount: 900 },
      decision: { action: 'approve_with_modifications', modifiedPayload: { orderId: 'A-1', amount: 400 } },
    };
    const nodeContext: Record<string, unknown> = { loopgateReviews: [{ taskId: 'tsk_9', tool: 'Refund' }] };
    const first = fakeContext({
      params: reviewParams,
      items: [toolItem({ amount: 400, orderId: 'A-1' }, 'call_2')],
      responses: [{ statusCode: 200, body: edited }],
      nodeType: 'CUSTOM.loopgateHitlTool',
      nodeContext,
    });
    const out = await new Loopgate().execute.call(first.ctx);
    expect(first.calls.map((c) => `${c.options.method} ${c.options.url}`)).toEqual([
      'GET http://lg.test/api/v1/tasks/tsk_9',
    ]);
    expect(first.waits).toEqual([]);
    expect(out[0]![0]!.json).toMatchObject({ approved: true, taskId: 'tsk_9', resumedBy: 'edited_approval' });

    // The same arguments once more: the edited approval is used up, so it is a new review.
    const second = fakeContext({
      params: reviewParams,
      items: [toolItem({ amount: 400, orderId: 'A-1' }, 'call_3')],
      responses: [{ statusCode: 201, body: { id: 'tsk_10' } }],
      nodeType: 'CUSTOM.loopgateHitlTool',
      nodeContext,
    });
    await new Loopgate().execute.call(second.ctx);
    expect(second.calls.map((c) => c.options.method)).toEqual(['POST']);
    expect(second.waits).toHaveLength(1);
  });

  test('other arguments than the edited approval are reviewed again', async () => {
    const nodeContext: Record<string, unknown> = { loopgateReviews: [{ taskId: 'tsk_9', tool: 'Refund' }] };
    const { ctx, calls, waits } = fakeContext({
      params: reviewParams,
      items: [toolItem({ orderId: 'A-1', amount: 900 }, 'call_2')],
      responses: [
        {
          statusCode: 200,
          body: {
            id: 'tsk_9',
            status: 'approved_with_modifications',
            decision: { action: 'approve_with_modifications', modifiedPayload: { orderId: 'A-1', amount: 400 } },
          },
        },
        { statusCode: 201, body: { id: 'tsk_11' } },
      ],
      nodeType: 'CUSTOM.loopgateHitlTool',
      nodeContext,
    });
    await new Loopgate().execute.call(ctx);
    expect(calls.map((c) => c.options.method)).toEqual(['GET', 'POST']);
    expect(waits).toHaveLength(1);
  });
});
