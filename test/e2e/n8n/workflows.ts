/**
 * The workflows the n8n end-to-end suite imports, built in code so the receiver's and Loopgate's
 * ports (known only at run time) can be baked in. Node type names are `CUSTOM.<name>` because the
 * package is loaded through N8N_CUSTOM_EXTENSIONS (n8n ignores the package's `n8n` block there).
 */

export const CREDENTIAL_ID = 'lgE2eCredential1';
export const CREDENTIAL_NAME = 'Loopgate e2e';
export const APPROVAL_PATH = 'lg-approval';
export const TRIGGER_WEBHOOK_ID = '7c1f0d7e-5f0a-4d55-9a54-0b6f3f1c2a10';
/** The Loopgate node's id: the resume URL ends in it (/webhook-waiting/<executionId>/<nodeId>). */
export const APPROVAL_NODE_ID = '3d0b7b9e-8f0e-4c8e-b1f5-5c3a2f1e9a01';

export const ROUTES = ['approved', 'approved_with_modifications', 'rejected', 'expired'] as const;

/**
 * The importable example from docs/n8n.md, as a user would paste it, pointed at this package's
 * CUSTOM.* node types and the imported credential. Proves the documented JSON imports and runs.
 */
export function docsExampleWorkflow(markdown: string): Record<string, unknown> {
  const match = /```json\n([\s\S]*?)```/.exec(markdown);
  if (!match?.[1]) throw new Error('docs/n8n.md has no ```json example');
  const text = match[1]
    .replaceAll('"n8n-nodes-loopgate.loopgate"', '"CUSTOM.loopgate"')
    .replace(
      '"loopgateApi": { "id": "", "name": "Loopgate API" }',
      `"loopgateApi": ${JSON.stringify(credentials.loopgateApi)}`,
    );
  return JSON.parse(text) as Record<string, unknown>;
}

export function credentialsJson(baseUrl: string, apiKey: string): unknown[] {
  return [{ id: CREDENTIAL_ID, name: CREDENTIAL_NAME, type: 'loopgateApi', data: { baseUrl, apiKey } }];
}

const credentials = { loopgateApi: { id: CREDENTIAL_ID, name: CREDENTIAL_NAME } };

function postTo(name: string, url: string, position: [number, number]) {
  return {
    id: `post-${name}`,
    name: `Post ${name}`,
    type: 'n8n-nodes-base.httpRequest',
    typeVersion: 4.2,
    position,
    parameters: {
      method: 'POST',
      url,
      sendBody: true,
      specifyBody: 'json',
      jsonBody: '={{ JSON.stringify($json) }}',
      options: {},
    },
  };
}

/**
 * Webhook → Loopgate "Request Approval (and Wait)" → Switch on `decision` → one HTTP Request per route,
 * each posting the resumed item to `<receiver>/result/<route>`.
 */
export function approvalWorkflow(receiverUrl: string): Record<string, unknown> {
  const rules = ROUTES.map((route) => ({
    conditions: {
      options: { caseSensitive: true, leftValue: '', typeValidation: 'strict' },
      conditions: [
        {
          leftValue: '={{ $json.decision }}',
          rightValue: route,
          operator: { type: 'string', operation: 'equals' },
        },
      ],
      combinator: 'and',
    },
    renameOutput: true,
    outputKey: route,
  }));
  return {
    name: 'Loopgate e2e: request approval',
    nodes: [
      {
        id: 'webhook',
        name: 'Webhook',
        type: 'n8n-nodes-base.webhook',
        typeVersion: 2,
        position: [0, 0],
        webhookId: '0e6b7a52-1c3d-4f6e-9a8b-7c6d5e4f3a21',
        parameters: { httpMethod: 'POST', path: APPROVAL_PATH, responseMode: 'onReceived', options: {} },
      },
      {
        id: APPROVAL_NODE_ID,
        name: 'Request Approval',
        type: 'CUSTOM.loopgate',
        typeVersion: 1,
        position: [220, 0],
        credentials,
        parameters: {
          operation: 'sendAndWait',
          title: '={{ $json.body.title }}',
          payload: '={{ JSON.stringify($json.body.payload) }}',
          additionalFields: {
            riskLevel: 'high',
            tags: 'e2e, n8n',
            slaMinutes: '={{ $json.body.slaMinutes || 0 }}',
          },
          options: { waitLimitMinutes: '={{ $json.body.waitLimitMinutes || 0 }}' },
        },
      },
      {
        id: 'switch',
        name: 'Route by Decision',
        type: 'n8n-nodes-base.switch',
        typeVersion: 3,
        position: [440, 0],
        parameters: { mode: 'rules', rules: { values: rules }, options: {} },
      },
      ...ROUTES.map((route, i) => postTo(route, `${receiverUrl}/result/${route}`, [660, i * 160])),
    ],
    connections: {
      Webhook: { main: [[{ node: 'Request Approval', type: 'main', index: 0 }]] },
      'Request Approval': { main: [[{ node: 'Route by Decision', type: 'main', index: 0 }]] },
      'Route by Decision': {
        main: ROUTES.map((route) => [{ node: `Post ${route}`, type: 'main', index: 0 }]),
      },
    },
    settings: { executionOrder: 'v1' },
    active: false,
  };
}

/** Loopgate Trigger (task.decided) → HTTP Request to `<receiver>/trigger`. */
export function triggerWorkflow(receiverUrl: string): Record<string, unknown> {
  return {
    name: 'Loopgate e2e: trigger',
    nodes: [
      {
        id: 'trigger',
        name: 'Loopgate Trigger',
        type: 'CUSTOM.loopgateTrigger',
        typeVersion: 1,
        position: [0, 0],
        webhookId: TRIGGER_WEBHOOK_ID,
        credentials,
        parameters: { events: ['task.decided'] },
      },
      postTo('trigger', `${receiverUrl}/trigger`, [220, 0]),
    ],
    connections: {
      'Loopgate Trigger': { main: [[{ node: 'Post trigger', type: 'main', index: 0 }]] },
    },
    settings: { executionOrder: 'v1' },
    active: false,
  };
}
