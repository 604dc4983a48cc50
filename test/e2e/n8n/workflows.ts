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

export const OPENAI_CREDENTIAL_ID = 'lgE2eOpenAi1';
export const AGENT_PATH = 'lg-agent';
/** The gated tool's node name, which is also the tool's name the model sees. */
export const GATED_TOOL_NAME = 'Refund';

/** n8n's own OpenAI credential, its Base URL pointing at the scripted model. */
export function openAiCredentialJson(baseUrl: string): unknown[] {
  return [
    { id: OPENAI_CREDENTIAL_ID, name: 'Scripted model', type: 'openAiApi', data: { apiKey: 'sk-e2e', url: baseUrl } },
  ];
}

/**
 * n8n 2.x only. Webhook → AI Agent (its OpenAI Chat Model on the scripted model) → HTTP Request posting
 * the agent's answer to `<receiver>/agent-result`. The agent's one tool, "Refund" (an HTTP Request tool
 * POSTing `{orderId, amount}` from the model to `<receiver>/refund`), is gated by the Loopgate node as
 * n8n's human review: Refund --ai_tool--> Loopgate (loopgateHitlTool) --ai_tool--> AI Agent.
 */
export function agentToolWorkflow(receiverUrl: string): Record<string, unknown> {
  return {
    name: 'Loopgate e2e: AI Agent tool review',
    nodes: [
      {
        id: 'agent-webhook',
        name: 'Webhook',
        type: 'n8n-nodes-base.webhook',
        typeVersion: 2,
        position: [0, 0],
        webhookId: '5b0c9c8e-2a51-4f0e-8d7c-3e9a1b2c4d61',
        parameters: { httpMethod: 'POST', path: AGENT_PATH, responseMode: 'onReceived', options: {} },
      },
      {
        id: 'agent',
        name: 'AI Agent',
        type: '@n8n/n8n-nodes-langchain.agent',
        typeVersion: 3,
        position: [220, 0],
        parameters: { promptType: 'define', text: '={{ $json.body.prompt }}', options: {} },
      },
      {
        id: 'chat-model',
        name: 'OpenAI Chat Model',
        type: '@n8n/n8n-nodes-langchain.lmChatOpenAi',
        typeVersion: 1.2,
        position: [120, 220],
        credentials: { openAiApi: { id: OPENAI_CREDENTIAL_ID, name: 'Scripted model' } },
        parameters: { model: { __rl: true, mode: 'id', value: 'scripted-model' }, options: {} },
      },
      {
        id: 'loopgate-review',
        name: 'Loopgate Review',
        type: 'CUSTOM.loopgateHitlTool',
        typeVersion: 1,
        position: [360, 220],
        credentials,
        parameters: {
          title: '=Agent refund {{ $json.toolParameters.orderId }}',
          additionalFields: { riskLevel: 'high', tags: 'e2e, agent' },
        },
      },
      {
        id: 'refund-tool',
        name: GATED_TOOL_NAME,
        type: 'n8n-nodes-base.httpRequestTool',
        typeVersion: 4.2,
        position: [360, 440],
        parameters: {
          toolDescription: 'Refund an order',
          method: 'POST',
          url: `${receiverUrl}/refund`,
          sendBody: true,
          specifyBody: 'json',
          jsonBody:
            "={{ JSON.stringify({ orderId: $fromAI('orderId', 'The order to refund', 'string'), amount: $fromAI('amount', 'The amount to refund', 'number') }) }}",
          options: {},
        },
      },
      postTo('agent-result', `${receiverUrl}/agent-result`, [520, 0]),
    ],
    connections: {
      Webhook: { main: [[{ node: 'AI Agent', type: 'main', index: 0 }]] },
      'OpenAI Chat Model': { ai_languageModel: [[{ node: 'AI Agent', type: 'ai_languageModel', index: 0 }]] },
      [GATED_TOOL_NAME]: { ai_tool: [[{ node: 'Loopgate Review', type: 'ai_tool', index: 0 }]] },
      'Loopgate Review': { ai_tool: [[{ node: 'AI Agent', type: 'ai_tool', index: 0 }]] },
      'AI Agent': { main: [[{ node: 'Post agent-result', type: 'main', index: 0 }]] },
    },
    settings: { executionOrder: 'v1' },
    active: false,
  };
}
