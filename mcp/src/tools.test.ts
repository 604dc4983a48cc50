import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Task } from '@loopgate/shared';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { restPort } from './rest-port.js';
import { agentOfClient, approvalFromAnswers, createLoopgateMcpServer, reviewElicitation } from './tools.js';

const DOC = readFileSync(path.resolve(__dirname, '../../docs/agents.md'), 'utf8');

const task = (fields: Partial<Task>): Task =>
  ({
    id: 'tsk_1',
    queue: 'default',
    title: 'Refund',
    description: null,
    payload: { amount: 480, customer: { id: 'c1' } },
    context: null,
    confidence: null,
    riskLevel: null,
    agent: null,
    dueAt: null,
    form: null,
    responseForm: null,
    decision: null,
    status: 'pending_review',
    ...fields,
  }) as Task;

describe('agentOfClient', () => {
  test('mcp:<client name> as id, spaces replaced; name, version and model kept', () => {
    expect(agentOfClient({ name: 'Claude Desktop', version: '0.9.1' }, 'claude-x')).toEqual({
      id: 'mcp:Claude-Desktop',
      name: 'Claude Desktop',
      version: '0.9.1',
      model: 'claude-x',
    });
    expect(agentOfClient(undefined)).toEqual({ id: 'mcp:unknown-client', name: 'unknown-client' });
  });
});

describe('the review form', () => {
  const form = {
    type: 'object' as const,
    properties: {
      amount: { type: 'number' as const, title: 'Amount', minimum: 0 },
      customer: { type: 'string' as const, 'x-loopgate-path': '/customer/id', readOnly: true },
    },
    required: ['amount'],
  };
  const responseForm = {
    type: 'object' as const,
    properties: { ticket: { type: 'string' as const, title: 'Ticket' } },
    required: ['ticket'],
  };

  test('editable fields with the payload values as defaults, the response questions prefixed, read-only fields left out', () => {
    const request = reviewElicitation(task({ form, responseForm }), 'http://x/tasks/tsk_1');
    expect(request.requestedSchema).toEqual({
      type: 'object',
      properties: {
        amount: { type: 'number', title: 'Amount', minimum: 0, default: 480 },
        'response:ticket': { type: 'string', title: 'Ticket' },
      },
      required: ['amount', 'response:ticket'],
    });
    expect(request.message).toContain('http://x/tasks/tsk_1');
  });

  test('accepting unchanged values approves; an edit approves with the modified payload; answers become the response', () => {
    const withForms = task({ form, responseForm });
    expect(approvalFromAnswers(withForms, { amount: 480, 'response:ticket': 'T-1' })).toEqual({
      action: 'approve',
      response: { ticket: 'T-1' },
    });
    expect(approvalFromAnswers(withForms, { amount: 40, 'response:ticket': 'T-1' })).toEqual({
      action: 'approve_with_modifications',
      modifiedPayload: { amount: 40, customer: { id: 'c1' } },
      response: { ticket: 'T-1' },
    });
    expect(() => approvalFromAnswers(withForms, { amount: 40 })).toThrow(/ticket/);
    expect(approvalFromAnswers(task({}), {})).toEqual({ action: 'approve' });
  });
});

describe('docs/agents.md', () => {
  test('the stdio config names the bin and the two settings loopgate-mcp reads', () => {
    const json = /```json\n([\s\S]*?)```/.exec(DOC)?.[1];
    const config = JSON.parse(json ?? '{}') as {
      mcpServers: { loopgate: { command: string; args: string[]; env: Record<string, string> } };
    };
    const pkg = JSON.parse(readFileSync(path.resolve(__dirname, '../package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    expect(config.mcpServers.loopgate.args).toEqual(Object.keys(pkg.bin));
    expect(Object.keys(config.mcpServers.loopgate.env).sort()).toEqual(['LOOPGATE_API_KEY', 'LOOPGATE_URL']);
    const source = readFileSync(path.resolve(__dirname, 'stdio.ts'), 'utf8');
    for (const name of Object.keys(config.mcpServers.loopgate.env)) expect(source).toContain(`env.${name}`);
  });

  test('documents every tool the server lists, and no other', async () => {
    const server = createLoopgateMcpServer(restPort({ url: 'http://127.0.0.1:9', apiKey: 'lg_unused' }));
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: 'docs-test', version: '1' });
    await client.connect(clientSide);
    const { tools } = await client.listTools();
    const documented = [...DOC.matchAll(/^#### (\w+)$/gm)].map((match) => match[1]);
    expect(documented.sort()).toEqual(tools.map((tool) => tool.name).sort());
    await client.close();
  });
});
