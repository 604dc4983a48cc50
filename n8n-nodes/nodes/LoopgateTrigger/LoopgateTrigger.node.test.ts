import { generateWebhookSecret, signWebhook } from '@loopgate/shared/webhooks';
import type { IHookFunctions, IWebhookFunctions } from 'n8n-workflow';
import { LoopgateTrigger } from './LoopgateTrigger.node.js';

const WEBHOOK_URL = 'http://127.0.0.1:5678/webhook/abc/webhook';

function hookContext(staticData: Record<string, unknown>, responses: { statusCode: number; body: unknown }[]) {
  const calls: { method: string; url: string; body?: unknown }[] = [];
  const ctx = {
    getWorkflowStaticData: () => staticData,
    getNodeParameter: () => ['task.decided'],
    getNodeWebhookUrl: () => WEBHOOK_URL,
    getWorkflow: () => ({ id: 'wf1' }),
    getNode: () => ({ id: 'n', name: 'Loopgate Trigger', type: 'CUSTOM.loopgateTrigger', typeVersion: 1 }),
    getCredentials: async () => ({ baseUrl: 'http://lg.test', apiKey: 'lg_x' }),
    helpers: {
      httpRequestWithAuthentication: async (_c: string, options: { method: string; url: string; body?: unknown }) => {
        calls.push({ method: options.method, url: options.url, body: options.body });
        const next = responses.shift();
        if (!next) throw new Error('unexpected request');
        return next;
      },
    },
  };
  return { ctx: ctx as unknown as IHookFunctions, calls };
}

describe('Loopgate Trigger subscription lifecycle', () => {
  const methods = new LoopgateTrigger().webhookMethods.default;

  test('create subscribes the webhook URL and keeps id and secret; delete unsubscribes and forgets them', async () => {
    const data: Record<string, unknown> = {};
    const created = hookContext(data, [{ statusCode: 201, body: { id: 'whk_1', secret: 'whsec_abc' } }]);
    expect(await methods.create.call(created.ctx)).toBe(true);
    expect(created.calls).toEqual([
      {
        method: 'POST',
        url: 'http://lg.test/api/v1/webhooks',
        body: { url: WEBHOOK_URL, events: ['task.decided'], description: 'n8n workflow wf1' },
      },
    ]);
    expect(data).toEqual({ subscriptionId: 'whk_1', secret: 'whsec_abc' });

    const removed = hookContext(data, [{ statusCode: 204, body: '' }]);
    expect(await methods.delete.call(removed.ctx)).toBe(true);
    expect(removed.calls).toEqual([{ method: 'DELETE', url: 'http://lg.test/api/v1/webhooks/whk_1', body: undefined }]);
    expect(data).toEqual({});
  });

  test.each([
    [
      'an active subscription to this URL exists',
      { statusCode: 200, body: { url: WEBHOOK_URL, status: 'active' } },
      true,
    ],
    ['it was disabled on the server', { statusCode: 200, body: { url: WEBHOOK_URL, status: 'disabled' } }, false],
    ['it points elsewhere', { statusCode: 200, body: { url: 'http://other/', status: 'active' } }, false],
    ['it was deleted', { statusCode: 404, body: { code: 'not_found' } }, false],
  ])('checkExists: %s', async (_name, response, exists) => {
    const data: Record<string, unknown> = { subscriptionId: 'whk_1', secret: 'whsec_abc' };
    const { ctx } = hookContext(data, [response]);
    expect(await methods.checkExists.call(ctx)).toBe(exists);
    expect(data.subscriptionId !== undefined).toBe(exists);
  });

  test('delete of a subscription already gone still succeeds', async () => {
    const data: Record<string, unknown> = { subscriptionId: 'whk_1', secret: 's' };
    const { ctx } = hookContext(data, [{ statusCode: 404, body: { code: 'not_found' } }]);
    expect(await methods.delete.call(ctx)).toBe(true);
    expect(data).toEqual({});
  });
});

describe('Loopgate Trigger deliveries', () => {
  const secret = generateWebhookSecret();
  const body = JSON.stringify({
    type: 'task.decided',
    timestamp: '2026-11-25T12:00:00.000Z',
    data: { taskId: 'tsk_1', status: 'approved' },
  });

  async function deliver(headers: Record<string, string>, rawBody = body) {
    let status = 200;
    const ctx = {
      getWorkflowStaticData: () => ({ subscriptionId: 'whk_1', secret }),
      getRequestObject: () => ({ rawBody: Buffer.from(rawBody) }),
      getResponseObject: () => ({
        status(code: number) {
          status = code;
          return this;
        },
        json() {
          return this;
        },
      }),
      getHeaderData: () => headers,
      getBodyData: () => JSON.parse(rawBody),
      getNodeParameter: () => ['task.decided'],
    } as unknown as IWebhookFunctions;
    const result = await new LoopgateTrigger().webhook.call(ctx);
    return { result, status };
  }

  test('a correctly signed delivery starts the workflow', async () => {
    const headers = await signWebhook(secret, { id: 'msg_1', timestamp: Math.floor(Date.now() / 1000), body });
    const { result, status } = await deliver(headers);
    expect(status).toBe(200);
    expect(result.workflowData).toEqual([
      [{ json: expect.objectContaining({ event: 'task.decided', decision: 'approved' }) }],
    ]);
  });

  test.each([
    [
      'a wrong secret',
      async () => signWebhook(generateWebhookSecret(), { id: 'm', timestamp: Math.floor(Date.now() / 1000), body }),
    ],
    ['no signature headers', async () => ({})],
    [
      'a replayed, old delivery',
      async () => signWebhook(secret, { id: 'm', timestamp: Math.floor(Date.now() / 1000) - 3600, body }),
    ],
  ])('%s is answered 401 and starts nothing', async (_name, makeHeaders) => {
    const { result, status } = await deliver((await makeHeaders()) as Record<string, string>);
    expect(status).toBe(401);
    expect(result).toEqual({ noWebhookResponse: true });
  });

  test('a tampered body fails verification', async () => {
    const headers = await signWebhook(secret, { id: 'm', timestamp: Math.floor(Date.now() / 1000), body });
    const { status } = await deliver(headers, body.replace('approved', 'rejected'));
    expect(status).toBe(401);
  });
});
