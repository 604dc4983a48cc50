import { verifyWebhook } from '@loopgate/shared';
import zapier, { type Bundle } from 'zapier-platform-core';
import app from './index.js';
import { SAMPLE_DECISION } from './samples.js';
import { type Loopgate, startLoopgate } from './test-support/loopgate.js';

/**
 * The Zapier app against a real Loopgate server, through Zapier's own tester: auth, dropdowns,
 * creates (the waiting one resumed with the body the server really POSTed), search, REST hooks.
 */

// Keep Zapier's runtime offline: no log shipping, no RPC.
delete process.env.LOGGING_TOKEN;
delete process.env.ZAPIER_DEPLOY_KEY;

const appTester = zapier.createAppTester(app);
type Handler = (event: object) => Promise<{ results: unknown; status?: string }>;
const createAppHandler = (zapier as unknown as { createAppHandler: (app: object) => Handler }).createAppHandler;

// biome-ignore lint/suspicious/noExplicitAny: Zapier's operation unions give each perform a union of signatures.
type Perform = (z: any, bundle: any) => any;
const fn = (value: unknown) => value as Perform;
type Operation = Record<
  'perform' | 'performResume' | 'performSubscribe' | 'performUnsubscribe' | 'performList',
  Perform
>;
const op = (value: unknown) => value as Operation;
const operation = {
  requestApproval: op(app.creates.request_approval?.operation),
  createTask: op(app.creates.create_task?.operation),
  findTask: op(app.searches.find_task?.operation),
  queueList: op(app.triggers.queue_list?.operation),
  taskDecided: op(app.triggers.task_decided?.operation),
  taskEscalated: op(app.triggers.task_escalated?.operation),
  taskExpired: op(app.triggers.task_expired?.operation),
};
const auth = app.authentication as unknown as { test: Perform; connectionLabel: Perform };

/** The server's code and message carried by a z.errors.Error (Zapier serialises them as JSON). */
async function zapierError(promise: Promise<unknown>): Promise<{ name: string; code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    const { name, message } = error as Error;
    if (name === 'AppError') return { name, ...(JSON.parse(message) as { code: string; message: string }) };
    return { name, message };
  }
  throw new Error('expected the call to fail');
}

let lg: Loopgate;
let authData: Bundle['authData'];
const bundleWith = (extra: object = {}) => ({ authData, ...extra });

beforeAll(async () => {
  lg = await startLoopgate();
  // A trailing slash, as users paste it.
  authData = { baseUrl: `${lg.url}/`, apiKey: lg.keys.zapier };
}, 60_000);
afterAll(async () => lg?.stop());

const refund = {
  title: 'Refund order 1234',
  description: 'Customer says the parcel arrived damaged',
  payload: '{"orderId": 1234, "amount": 42.5}',
  context: 'Photo shows a crushed box',
  confidence: '0.62',
  riskLevel: 'high',
  tags: ['refund'],
};

describe('authentication', () => {
  test('the test call returns the workspace and role, and the connection label shows them', async () => {
    const info = await appTester(auth.test, bundleWith());
    expect(info).toEqual({
      workspaceId: expect.stringMatching(/^wsp_/),
      workspaceSlug: 'default',
      workspaceName: expect.any(String),
      role: 'reviewer',
      keyName: 'zapier',
    });
    const label = await appTester(auth.connectionLabel, bundleWith({ inputData: info }));
    expect(label).toMatch(/default.* · reviewer key zapier$/);
  });

  test.each([
    [
      'a wrong key',
      { apiKey: 'lg_aaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' },
      'ExpiredAuthError',
      /not valid.*\[unauthorized\]/,
    ],
    ['a malformed key', { apiKey: 'nope' }, 'ExpiredAuthError', /malformed.*\[unauthorized\]/],
    ['a URL without scheme', { baseUrl: 'loopgate.example.com' }, 'AppError', /must start with http/],
  ])('%s fails the test with the server’s words', async (_name, override, errorName, message) => {
    const error = await zapierError(appTester(auth.test, { authData: { ...authData, ...override } }));
    expect(error.name).toBe(errorName);
    expect(error.message).toMatch(message);
  });
});

describe('queue dropdown', () => {
  test('lists the built-in default queue and queues an admin created', async () => {
    const created = await lg.api(lg.keys.admin, 'POST', '/api/v1/queues', {
      name: 'refunds',
      config: { description: 'Customer refunds' },
    });
    expect(created.status).toBe(201);
    const choices = await appTester(fn(operation.queueList.perform), bundleWith());
    expect(choices).toEqual(
      expect.arrayContaining([
        { id: 'default', name: 'default' },
        { id: 'refunds', name: 'refunds — Customer refunds' },
      ]),
    );
  });
});

describe('Request Approval (and wait)', () => {
  let callbackSecret: string;
  beforeAll(async () => {
    const res = await lg.api<{ secret: string }>(lg.keys.admin, 'GET', '/api/v1/settings/callback-secret');
    callbackSecret = res.body.secret;
  });

  /** perform as Zapier runs it: through the handler, with a callback URL we control. */
  async function performWithCallback(name: string, inputData: object) {
    const callbackPath = `/zapier-callback/${name}`;
    const out = await createAppHandler(app)({
      command: 'execute',
      method: 'creates.request_approval.operation.perform',
      callback_url: `${lg.receiver.url}${callbackPath}`,
      bundle: { authData, inputData },
    });
    return { out, callbackPath };
  }

  const scenarios = [
    {
      name: 'approve',
      decision: { action: 'approve', comment: 'Fine' },
      halt: false,
      expected: {
        decision: 'approved',
        approved: true,
        action: 'approve',
        wasModified: false,
        diff: '',
        comment: 'Fine',
      },
      payload: { orderId: 1234, amount: 42.5 },
    },
    {
      name: 'modify',
      decision: { action: 'approve_with_modifications', modifiedPayload: { orderId: 1234, amount: 30 } },
      halt: true,
      expected: {
        decision: 'approved_with_modifications',
        approved: true,
        wasModified: true,
        diff: '--- original\n+++ modified\n@@ -1,4 +1,4 @@\n {\n   "orderId": 1234,\n-  "amount": 42.5\n+  "amount": 30\n }\n',
      },
      payload: { orderId: 1234, amount: 30 },
    },
    {
      name: 'reject',
      decision: { action: 'reject', comment: 'Not damaged in the photo' },
      halt: false,
      expected: { decision: 'rejected', approved: false, action: 'reject', comment: 'Not damaged in the photo' },
      payload: { orderId: 1234, amount: 42.5 },
    },
    {
      name: 'reject-halts',
      decision: { action: 'reject', comment: 'No' },
      halt: true,
      expected: 'halted',
      payload: null,
    },
  ] as const;

  test.each(scenarios)(
    '$name: the task waits on the callback URL, the decision resumes the step',
    async ({ name, decision, halt, expected, payload }) => {
      const { out, callbackPath } = await performWithCallback(name, {
        ...refund,
        externalRef: `order-${name}`,
        haltOnRejection: String(halt),
      });
      // Zapier parks the run until the callback arrives.
      expect(out.status).toBe('CALLBACK');
      const pending = out.results as { id: string; status: string; haltOnRejection: boolean };
      expect(pending).toMatchObject({
        id: expect.stringMatching(/^tsk_/),
        status: 'pending_review',
        haltOnRejection: halt,
      });

      // Side effect: the task is stored with Zapier's callback URL and source.
      const stored = await lg.api(lg.keys.zapier, 'GET', `/api/v1/tasks/${pending.id}`);
      expect(stored.body).toMatchObject({
        source: 'zapier',
        callbackUrl: `${lg.receiver.url}${callbackPath}`,
        payload: { orderId: 1234, amount: 42.5 },
        confidence: 0.62,
        riskLevel: 'high',
        context: 'Photo shows a crushed box',
      });

      // A reviewer decides through the real API; the server POSTs the signed callback.
      const decided = await lg.api(lg.keys.reviewer, 'POST', `/api/v1/tasks/${pending.id}/decision`, decision);
      expect(decided.status).toBe(200);
      const callback = await lg.requestTo(callbackPath);
      await verifyWebhook(callbackSecret, callback.headers, callback.body);
      const body = JSON.parse(callback.body);

      const resume = appTester(fn(operation.requestApproval.performResume), {
        authData,
        inputData: { haltOnRejection: String(halt) },
        outputData: pending,
        cleanedRequest: body,
        rawRequest: { content: callback.body },
      });
      if (expected === 'halted') {
        const error = await zapierError(resume);
        expect(error.name).toBe('HaltedError');
        // Zapier appends its own context below the first line.
        expect(error.message).toMatch(new RegExp(`^Loopgate task ${pending.id} was rejected: No`));
        return;
      }
      const output = await resume;
      expect(output).toMatchObject({
        ...expected,
        taskId: pending.id,
        event: 'task.decided',
        title: refund.title,
        queue: 'default',
        payload,
        originalPayload: { orderId: 1234, amount: 42.5 },
        reviewer: 'dana',
        reviewers: [{ type: 'api_key', name: 'dana' }],
        externalRef: `order-${name}`,
        createdAt: expect.any(String),
        decidedAt: expect.any(String),
      });
      // Same fields as the editor sample, so mappings made on the sample keep working.
      expect(Object.keys(output as object).sort()).toEqual(Object.keys(SAMPLE_DECISION).sort());
    },
    30_000,
  );

  test('Response Fields (line items): the answers and a reject reason come out of the resumed step', async () => {
    const queue = await lg.api(lg.keys.admin, 'POST', '/api/v1/queues', {
      name: 'zap-reasons',
      config: { rejectReasons: [{ code: 'no-receipt', label: 'No receipt' }] },
    });
    expect(queue.status).toBe(201);
    const responseFields = [
      {
        responseName: 'reply',
        responseLabel: 'Note to the customer',
        responseType: 'string',
        responseRequired: 'true',
      },
      { responseName: 'goodwill', responseLabel: 'Goodwill (EUR)', responseType: 'number', responseRequired: 'false' },
    ];
    const resumeWith = async (name: string, decision: object) => {
      const { out, callbackPath } = await performWithCallback(name, {
        ...refund,
        queue: 'zap-reasons',
        externalRef: `order-${name}`,
        responseFields,
      });
      const pending = out.results as { id: string };
      const stored = await lg.api<{ responseForm: unknown }>(lg.keys.zapier, 'GET', `/api/v1/tasks/${pending.id}`);
      expect(stored.body.responseForm).toEqual({
        type: 'object',
        properties: {
          reply: { type: 'string', title: 'Note to the customer' },
          goodwill: { type: 'number', title: 'Goodwill (EUR)' },
        },
        required: ['reply'],
      });
      const decided = await lg.api(lg.keys.reviewer, 'POST', `/api/v1/tasks/${pending.id}/decision`, decision);
      expect(decided.status).toBe(200);
      const callback = await lg.requestTo(callbackPath);
      return appTester(fn(operation.requestApproval.performResume), {
        authData,
        inputData: {},
        outputData: pending,
        cleanedRequest: JSON.parse(callback.body),
        rawRequest: { content: callback.body },
      });
    };
    const approved = await resumeWith('answered', {
      action: 'approve',
      response: { reply: 'Refund sent', goodwill: 5 },
    });
    expect(approved).toMatchObject({
      decision: 'approved',
      response: { reply: 'Refund sent', goodwill: 5 },
      reasonCode: null,
    });
    const rejected = await resumeWith('reasoned', { action: 'reject', comment: 'No', reasonCode: 'no-receipt' });
    expect(rejected).toMatchObject({ decision: 'rejected', reasonCode: 'no-receipt', response: null });
  }, 30_000);

  test('expired: the SLA sweeper times the task out and the step comes out with decision "expired"', async () => {
    const { out, callbackPath } = await performWithCallback('expire', {
      ...refund,
      slaMinutes: '0.02', // 1 second
    });
    const pending = out.results as { id: string };
    const callback = await lg.requestTo(callbackPath, 20_000);
    const output = await appTester(fn(operation.requestApproval.performResume), {
      authData,
      inputData: {},
      outputData: pending,
      cleanedRequest: JSON.parse(callback.body),
    });
    expect(output).toMatchObject({ taskId: pending.id, event: 'task.expired', decision: 'expired', approved: false });
  }, 30_000);

  test('a callback for another task is refused, not mistaken for this step’s decision', async () => {
    const { out, callbackPath } = await performWithCallback('mismatch', refund);
    const pending = out.results as { id: string };
    await lg.api(lg.keys.reviewer, 'POST', `/api/v1/tasks/${pending.id}/decision`, { action: 'approve' });
    const body = JSON.parse((await lg.requestTo(callbackPath)).body);
    const error = await zapierError(
      appTester(fn(operation.requestApproval.performResume), {
        authData,
        outputData: { id: 'tsk_someone_else' },
        cleanedRequest: body,
      }),
    );
    expect(error).toMatchObject({ name: 'AppError', code: 'invalid_delivery' });
  }, 30_000);

  test('a forged callback (anyone who can read the task sees its callback URL) is checked against the server', async () => {
    // A real, signed rejection of one task is the material for the forgeries.
    const { out, callbackPath } = await performWithCallback('forged', refund);
    const pending = out.results as { id: string };
    await lg.api(lg.keys.reviewer, 'POST', `/api/v1/tasks/${pending.id}/decision`, {
      action: 'reject',
      comment: 'No receipt',
    });
    const real = JSON.parse((await lg.requestTo(callbackPath)).body);
    const open = await performWithCallback('forged-open', refund);
    const openId = (open.out.results as { id: string }).id;
    const forgeries = [
      ['rejected, claimed approved', pending.id, { status: 'approved', action: 'approve' }, /Loopgate has it rejected/],
      ['rejected, claimed edited', pending.id, { modifiedPayload: { amount: 1e6 } }, /with another payload/],
      // Not JSON at all (the server always sends modifiedPayload, null when nothing was edited).
      ['rejected, edit left out', pending.id, { modifiedPayload: undefined }, /with another payload/],
      [
        'still open, claimed approved',
        openId,
        { taskId: openId, status: 'approved' },
        /Loopgate has it pending_review/,
      ],
    ] as const;
    for (const [name, id, change, message] of forgeries) {
      const error = await zapierError(
        appTester(fn(operation.requestApproval.performResume), {
          authData,
          outputData: { id },
          cleanedRequest: { ...real, data: { ...real.data, ...change } },
        }),
      );
      expect({ forgery: name, ...error }).toMatchObject({
        forgery: name,
        code: 'invalid_delivery',
        message: expect.stringMatching(message),
      });
    }
    // Status and payload agree with the server, the rest is invented: the step goes on with the server's words.
    const embellished = (await appTester(fn(operation.requestApproval.performResume), {
      authData,
      outputData: { id: pending.id },
      cleanedRequest: {
        ...real,
        data: {
          ...real.data,
          comment: 'Approved by the CFO, pay twice',
          reviewers: [{ type: 'user', id: 'usr_cfo', name: 'CFO' }],
          originalPayload: { orderId: 1234, amount: 1e6 },
          task: { ...real.data.task, title: 'Pay now' },
        },
      },
    })) as Record<string, unknown>;
    expect(embellished).toMatchObject({
      decision: 'rejected',
      comment: 'No receipt',
      reviewer: 'dana',
      reviewers: [{ type: 'api_key', name: 'dana' }],
      originalPayload: { orderId: 1234, amount: 42.5 },
      payload: { orderId: 1234, amount: 42.5 },
      title: refund.title,
    });
    const escalation = await zapierError(
      appTester(fn(operation.requestApproval.performResume), {
        authData,
        outputData: { id: pending.id },
        cleanedRequest: { ...real, type: 'task.escalated' },
      }),
    );
    expect(escalation).toMatchObject({
      code: 'invalid_delivery',
      message: expect.stringMatching(/cannot end the wait/),
    });
  }, 30_000);

  test('an edited payload is compared as a JSON value: the same edit with its members reordered resumes the step', async () => {
    const { out, callbackPath } = await performWithCallback('reordered', refund);
    const pending = out.results as { id: string };
    await lg.api(lg.keys.reviewer, 'POST', `/api/v1/tasks/${pending.id}/decision`, {
      action: 'approve_with_modifications',
      modifiedPayload: { orderId: 1234, amount: 30, lines: [{ sku: 'a', qty: 1 }] },
    });
    const real = JSON.parse((await lg.requestTo(callbackPath)).body);
    const resumed = (await appTester(fn(operation.requestApproval.performResume), {
      authData,
      outputData: { id: pending.id },
      cleanedRequest: {
        ...real,
        data: { ...real.data, modifiedPayload: { lines: [{ qty: 1, sku: 'a' }], amount: 30, orderId: 1234 } },
      },
    })) as Record<string, unknown>;
    expect(resumed).toMatchObject({
      decision: 'approved_with_modifications',
      payload: { orderId: 1234, amount: 30, lines: [{ sku: 'a', qty: 1 }] },
    });
  }, 30_000);

  test('Zapier retrying the same step run (same callback URL) gets the first task back, not a second one', async () => {
    const first = await performWithCallback('retried', { ...refund, externalRef: 'retried' });
    const second = await performWithCallback('retried', { ...refund, externalRef: 'retried' });
    expect((second.out.results as { id: string }).id).toBe((first.out.results as { id: string }).id);
    const matching = await lg.api<{ data: unknown[] }>(lg.keys.zapier, 'GET', '/api/v1/tasks?externalRef=retried');
    expect(matching.body.data).toHaveLength(1);
  });

  test('loading a sample in the Zap editor: validated by the policy dry run, no task created, no waiting', async () => {
    const before = await lg.api<{ data: unknown[] }>(lg.keys.zapier, 'GET', '/api/v1/tasks?limit=200');
    const out = await createAppHandler(app)({
      command: 'execute',
      method: 'creates.request_approval.operation.perform',
      callback_url: `${lg.receiver.url}/never`,
      bundle: { authData, inputData: { ...refund, queue: 'refunds' }, meta: { isLoadingSample: true } },
    });
    expect(out.status).not.toBe('CALLBACK');
    expect(out.results).toMatchObject({
      decision: 'approved_with_modifications',
      queue: 'refunds',
      title: refund.title,
      originalPayload: { orderId: 1234, amount: 42.5 },
      reason: expect.stringMatching(/^sample: the policy would send to review/),
    });
    const after = await lg.api<{ data: unknown[] }>(lg.keys.zapier, 'GET', '/api/v1/tasks?limit=200');
    expect(after.body.data).toHaveLength(before.body.data.length);

    const invalid = await zapierError(
      appTester(fn(operation.requestApproval.perform), {
        authData,
        inputData: { ...refund, confidence: '3' },
        meta: { isLoadingSample: true },
      }),
    );
    expect(invalid).toMatchObject({ code: 'validation_failed', message: expect.stringMatching(/confidence/) });
  });
});

describe('Create Task and server errors', () => {
  test('creates without waiting and returns the task', async () => {
    const task = await appTester(fn(operation.createTask.perform), {
      authData,
      inputData: {
        ...refund,
        payload: 'plain text, not JSON',
        queue: 'refunds',
        slaMinutes: '30',
        externalRef: 'order-77',
      },
      meta: { zap: { id: 987654 } },
    });
    expect(task).toMatchObject({
      id: expect.stringMatching(/^tsk_/),
      status: 'pending_review',
      queue: 'refunds',
      payload: 'plain text, not JSON',
      source: 'zapier',
      // The Zap is the task's agent.
      agent: { id: 'zapier:zap:987654', name: null },
      callbackUrl: null,
      tags: ['refund'],
      dueAt: expect.any(String),
    });
  });

  test('Reviewers takes external reviewers on the allowlist; anyone else is refused with the way to allow them', async () => {
    const createOperation = app.creates.create_task?.operation as
      | { inputFields: { key: string; helpText?: string }[] }
      | undefined;
    const field = createOperation?.inputFields.find((f) => f.key === 'reviewers');
    expect(field?.helpText).toContain("must be on the workspace's allowlist (Settings → External reviewers");
    const refused = await zapierError(
      appTester(fn(operation.createTask.perform), {
        authData,
        inputData: { ...refund, reviewers: ['gus@partner.example'] },
      }),
    );
    expect(refused.code).toBe('reviewer_not_member');
    expect(refused.message).toContain('/settings/reviewers');
    const queue = await lg.api(lg.keys.admin, 'POST', '/api/v1/queues', {
      name: 'partner-refunds',
      config: { levels: [{ name: 'review', allowGuests: true }] },
    });
    expect(queue.status).toBe(201);
    const allowed = await lg.api(lg.keys.admin, 'POST', '/api/v1/settings/external-reviewers', {
      allow: ['@partner.example'],
    });
    expect(allowed.body).toEqual({ allow: ['@partner.example'] });
    const task = await appTester(fn(operation.createTask.perform), {
      authData,
      inputData: { ...refund, queue: 'partner-refunds', reviewers: ['gus@partner.example'] },
    });
    expect(task).toMatchObject({ status: 'pending_review', queue: 'partner-refunds' });
    await lg.api(lg.keys.admin, 'POST', '/api/v1/settings/external-reviewers', { allow: [] });
  });

  test('a halted Zap (the stop button on its agent id) stops the run as Halted, naming the halt; resumed, it creates again', async () => {
    const admin = { Authorization: `Bearer ${lg.keys.admin}`, 'Content-Type': 'application/json' };
    const halt = await fetch(`${lg.url}/api/v1/halts`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ scope: 'agent', value: 'zapier:zap:555', reason: 'runaway Zap' }),
    });
    expect(halt.status).toBe(201);
    const { id } = (await halt.json()) as { id: string };
    const run = () =>
      appTester(fn(operation.createTask.perform), { authData, inputData: refund, meta: { zap: { id: 555 } } });
    const error = await zapierError(run());
    expect(error.name).toBe('HaltedError');
    // The tester appends what it ran after the first line; the user reads the first.
    expect(error.message.split('\n')[0]).toMatch(
      /^Loopgate halted: New tasks from agent "zapier:zap:555" are halted by admin \(api_key\) since .*: runaway Zap\. Open tasks can still be decided or cancelled\. Retrying will not help: ask a Loopgate admin to resume it \(Settings → Halts\)\. \[halted\]$/,
    );
    const resumed = await fetch(`${lg.url}/api/v1/halts/${id}/resume`, { method: 'POST', headers: admin });
    expect(resumed.status).toBe(200);
    expect(await run()).toMatchObject({ status: 'pending_review', agent: { id: 'zapier:zap:555' } });
  });

  test('Form Fields and Response Fields (line items) are sent as form and responseForm', async () => {
    const task = await appTester(fn(operation.createTask.perform), {
      authData,
      inputData: {
        ...refund,
        payload: '{"refund": {"amount": 480}, "customer": "ada@example.com"}',
        formFields: [
          {
            formName: 'amount',
            formLabel: 'Refund amount',
            formType: 'number',
            formRequired: 'true',
            formPath: '/refund/amount',
          },
          { formName: 'customer', formType: 'string', formReadOnly: true },
          { formName: 'reason', formType: 'enum', formOptions: 'late=Arrived late, damaged' },
        ],
        responseFields: [{ responseName: 'reply', responseLabel: 'Note to the customer', responseRequired: 'yes' }],
      },
    });
    expect(task).toMatchObject({
      form: {
        type: 'object',
        properties: {
          amount: { type: 'number', title: 'Refund amount', 'x-loopgate-path': '/refund/amount' },
          customer: { type: 'string', readOnly: true },
          reason: { type: 'string', enum: ['late', 'damaged'], enumNames: ['Arrived late', 'damaged'] },
        },
        required: ['amount'],
      },
      responseForm: { type: 'object', properties: { reply: { type: 'string', title: 'Note to the customer' } } },
    });
    const bad = await zapierError(
      appTester(fn(operation.createTask.perform), {
        authData,
        inputData: { ...refund, formFields: [{ formName: 'a', formType: 'enum' }] },
      }),
    );
    expect(bad).toMatchObject({
      code: 'validation_failed',
      message: 'Form Fields, field 1 ("a"): a choice field needs options',
    });
    // A path the payload cannot hold is the server's 400, in its words.
    const unwritable = await zapierError(
      appTester(fn(operation.createTask.perform), {
        authData,
        inputData: { ...refund, formFields: [{ formName: 'amount', formPath: '/orderId/amount' }] },
      }),
    );
    expect(unwritable).toMatchObject({ code: 'validation_failed' });
    expect(unwritable.message).toMatch(/x-loopgate-path/);
  });

  test.each([
    [
      'confidence out of range',
      lg_key('zapier'),
      { ...refund, confidence: '5' },
      'validation_failed',
      400,
      /confidence/,
    ],
    ['a blank title', lg_key('zapier'), { ...refund, title: '   ' }, 'validation_failed', 400, /title/],
    [
      'a reviewer that is not an e-mail address',
      lg_key('zapier'),
      { ...refund, reviewers: ['ops@example.com', 'not-an-address'] },
      'validation_failed',
      400,
      /reviewers\.1/,
    ],
    ['a viewer key', lg_key('viewer'), refund, 'forbidden', 403, /viewer role may not task create/],
    [
      'a non-number confidence',
      lg_key('zapier'),
      { ...refund, confidence: 'high' },
      'validation_failed',
      400,
      /Confidence must be a number/,
    ],
  ])('%s: a Zapier error with the server’s code and message', async (_name, key, inputData, code, status, message) => {
    const error = await zapierError(
      appTester(fn(operation.createTask.perform), { authData: { ...authData, apiKey: key() }, inputData }),
    );
    expect(error).toMatchObject({ name: 'AppError', code, status });
    expect(error.message).toMatch(message);
  });
});

/** Keys exist only after beforeAll; test.each tables are built before it. */
function lg_key(which: keyof Loopgate['keys']) {
  return () => lg.keys[which];
}

describe('Find Task', () => {
  let id: string;
  beforeAll(async () => {
    const created = await lg.api<{ id: string }>(lg.keys.zapier, 'POST', '/api/v1/tasks', {
      title: 'Find me',
      payload: { n: 1 },
      externalRef: 'find-me',
    });
    id = created.body.id;
  });

  test.each([
    ['by id', () => ({ id }), 1],
    ['by external reference', () => ({ externalRef: 'find-me' }), 1],
    ['an unknown id', () => ({ id: 'tsk_unknown' }), 0],
    ['an unknown reference', () => ({ externalRef: 'nobody' }), 0],
  ])('%s', async (_name, inputData, count) => {
    const found = (await appTester(fn(operation.findTask.perform), { authData, inputData: inputData() })) as {
      id: string;
    }[];
    expect(found).toHaveLength(count);
    if (count > 0) expect(found[0]).toMatchObject({ id, title: 'Find me', externalRef: 'find-me' });
  });

  test('neither id nor reference is a validation error', async () => {
    const error = await zapierError(appTester(fn(operation.findTask.perform), { authData, inputData: {} }));
    expect(error).toMatchObject({ code: 'validation_failed' });
  });
});

describe('Task Decided trigger (REST hook)', () => {
  test('subscribe → a real decision is delivered → perform parses it → performList samples → unsubscribe', async () => {
    const targetUrl = `${lg.receiver.url}/zapier-hook/decided`;
    const subscribeData = (await appTester(fn(operation.taskDecided.performSubscribe), {
      authData,
      targetUrl,
    })) as { id: string };
    expect(subscribeData.id).toMatch(/^whk_/);
    const listed = await lg.api<{ data: { id: string; url: string; events: string[] }[] }>(
      lg.keys.admin,
      'GET',
      '/api/v1/webhooks',
    );
    expect(listed.body.data).toContainEqual(
      expect.objectContaining({ id: subscribeData.id, url: targetUrl, events: ['task.decided'] }),
    );

    const task = await lg.api<{ id: string }>(lg.keys.zapier, 'POST', '/api/v1/tasks', {
      title: 'Pay invoice 77',
      payload: { invoice: 77 },
      externalRef: 'inv-77',
    });
    await lg.api(lg.keys.reviewer, 'POST', `/api/v1/tasks/${task.body.id}/decision`, {
      action: 'approve_with_modifications',
      modifiedPayload: { invoice: 77, amount: 10 },
      comment: 'Capped',
    });
    const delivery = await lg.requestTo('/zapier-hook/decided');
    const records = (await appTester(fn(operation.taskDecided.perform), {
      authData,
      cleanedRequest: JSON.parse(delivery.body),
      subscribeData,
    })) as object[];
    expect(records).toEqual([
      expect.objectContaining({
        taskId: task.body.id,
        event: 'task.decided',
        decision: 'approved_with_modifications',
        approved: true,
        payload: { invoice: 77, amount: 10 },
        originalPayload: { invoice: 77 },
        comment: 'Capped',
        reviewer: 'dana',
        externalRef: 'inv-77',
      }),
    ]);

    const samples = (await appTester(fn(operation.taskDecided.performList), { authData })) as {
      taskId: string;
      decision: string;
    }[];
    expect(samples.length).toBeGreaterThan(0);
    expect(samples[0]).toMatchObject({ taskId: task.body.id, decision: 'approved_with_modifications' });
    // A sample has the same fields as a delivery, so mappings hold.
    expect(Object.keys(samples[0] as object).sort()).toEqual(Object.keys(records[0] as object).sort());

    await appTester(fn(operation.taskDecided.performUnsubscribe), { authData, subscribeData });
    const after = await lg.api<{ data: { id: string }[] }>(lg.keys.admin, 'GET', '/api/v1/webhooks');
    expect(after.body.data.map((s) => s.id)).not.toContain(subscribeData.id);
    // Unsubscribing twice (already removed in Loopgate) is not an error.
    await appTester(fn(operation.taskDecided.performUnsubscribe), { authData, subscribeData });
  }, 30_000);

  test("a forged hook delivery fires nothing Loopgate does not know of, and only with the server's state", async () => {
    // A real delivery of a rejected task is the material for the forgeries.
    const rejected = await lg.api<{ id: string }>(lg.keys.zapier, 'POST', '/api/v1/tasks', {
      title: 'Refund 99',
      payload: { refund: 99 },
    });
    await lg.api(lg.keys.reviewer, 'POST', `/api/v1/tasks/${rejected.body.id}/decision`, {
      action: 'reject',
      comment: 'No receipt',
    });
    const open = await lg.api<{ id: string }>(lg.keys.zapier, 'POST', '/api/v1/tasks', {
      title: 'Refund 100',
      payload: { refund: 100 },
    });
    const real = (await lg.api(lg.keys.zapier, 'GET', `/api/v1/tasks/${rejected.body.id}`)).body;
    const forged = (data: Record<string, unknown>) => ({
      type: 'task.decided',
      timestamp: new Date().toISOString(),
      data: {
        taskId: rejected.body.id,
        status: 'approved_with_modifications',
        action: 'approve_with_modifications',
        comment: 'Pay double',
        reviewers: [{ type: 'user', id: 'usr_cfo', name: 'CFO' }],
        originalPayload: { refund: 99 },
        modifiedPayload: { refund: 198 },
        diff: null,
        externalRef: null,
        event: { id: 'evt_forged', type: 'decided', reason: null, data: null },
        createdAt: new Date().toISOString(),
        decidedAt: new Date().toISOString(),
        task: real,
        ...data,
      },
    });
    const perform = (body: unknown) =>
      appTester(fn(operation.taskDecided.perform), { authData, cleanedRequest: body }) as Promise<object[]>;

    expect(await perform(forged({ taskId: open.body.id }))).toEqual([]);
    expect(await perform(forged({ taskId: 'tsk_made_up' }))).toEqual([]);
    expect(await perform(forged({}))).toEqual([
      expect.objectContaining({
        taskId: rejected.body.id,
        decision: 'rejected',
        approved: false,
        payload: { refund: 99 },
        modifiedPayload: null,
        wasModified: false,
        comment: 'No receipt',
        reviewer: 'dana',
      }),
    ]);
  });

  test('a delivery of another event type yields nothing; a non-Loopgate body is refused', async () => {
    const envelope = JSON.parse((await lg.requestTo('/zapier-hook/decided')).body);
    const none = await appTester(fn(operation.taskExpired.perform), { authData, cleanedRequest: envelope });
    expect(none).toEqual([]);
    const error = await zapierError(
      appTester(fn(operation.taskDecided.perform), { authData, cleanedRequest: { hello: 'world' } }),
    );
    expect(error).toMatchObject({ code: 'invalid_delivery' });
  });
});

describe('Task Escalated and Task Expired triggers (REST hooks)', () => {
  test('the SLA sweeper escalates, then expires a task; both hooks receive it and perform parses each', async () => {
    const queue = await lg.api(lg.keys.admin, 'POST', '/api/v1/queues', {
      name: 'urgent',
      config: {
        sla: { seconds: 1 },
        escalation: [{ action: 'raise_priority', afterSeconds: 0 }],
        timeoutAfterSeconds: 1,
      },
    });
    expect(queue.status).toBe(201);
    const hooks = {
      escalated: { operation: operation.taskEscalated, path: '/zapier-hook/escalated' },
      expired: { operation: operation.taskExpired, path: '/zapier-hook/expired' },
    };
    const subscriptions: Record<string, { id: string }> = {};
    for (const [name, hook] of Object.entries(hooks)) {
      subscriptions[name] = (await appTester(fn(hook.operation.performSubscribe), {
        authData,
        targetUrl: `${lg.receiver.url}${hook.path}`,
      })) as { id: string };
    }
    const task = await appTester(fn(operation.createTask.perform), {
      authData,
      inputData: { title: 'Urgent payout', payload: '{"payout": 5}', queue: 'urgent' },
    });
    const taskId = (task as { id: string }).id;

    const escalated = (await appTester(fn(hooks.escalated.operation.perform), {
      authData,
      cleanedRequest: JSON.parse((await lg.requestTo(hooks.escalated.path, 20_000)).body),
    })) as object[];
    expect(escalated).toEqual([
      expect.objectContaining({ taskId, event: 'task.escalated', escalated: true, approved: false, queue: 'urgent' }),
    ]);
    const expired = (await appTester(fn(hooks.expired.operation.perform), {
      authData,
      cleanedRequest: JSON.parse((await lg.requestTo(hooks.expired.path, 20_000)).body),
    })) as object[];
    expect(expired).toEqual([
      expect.objectContaining({ taskId, event: 'task.expired', decision: 'expired', approved: false }),
    ]);

    // Samples come from recent tasks in the same shape.
    const expiredSamples = (await appTester(fn(hooks.expired.operation.performList), { authData })) as object[];
    expect(expiredSamples).toContainEqual(expect.objectContaining({ taskId, decision: 'expired' }));
    const escalatedSamples = (await appTester(fn(hooks.escalated.operation.performList), { authData })) as object[];
    expect(escalatedSamples).toContainEqual(expect.objectContaining({ taskId, escalated: true }));

    for (const [name, hook] of Object.entries(hooks)) {
      await appTester(fn(hook.operation.performUnsubscribe), { authData, subscribeData: subscriptions[name] });
    }
    const after = await lg.api<{ data: { id: string }[] }>(lg.keys.admin, 'GET', '/api/v1/webhooks');
    expect(after.body.data).toEqual([]);
  }, 45_000);
});
