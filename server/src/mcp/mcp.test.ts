import path from 'node:path';
import { PROGRESS_INTERVAL_MS } from '@loopgate/mcp';
import type { Task } from '@loopgate/shared';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type CallToolResult, ElicitRequestSchema, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { createTestDatabase, type TestDatabaseHandle } from '../test-support/databases.js';
import { runCli, type ServerProcess, startServerProcess } from '../test-support/server-process.js';
import { until } from '../test-support/until.js';
import { MAX_SESSIONS_PER_KEY } from './mcp-router.js';

const BIN = path.resolve(__dirname, '../../../mcp/bin/loopgate-mcp.js');
const CLIENT_INFO = { name: 'loopgate-test', version: '1.2.3' };
const TOOLS = ['decide_task', 'get_decision', 'list_pending', 'request_approval', 'review_next'];

let db: TestDatabaseHandle;
let server: ServerProcess;
const keys = { agent: '', reviewer: '', viewer: '', admin: '' };

beforeAll(async () => {
  db = await createTestDatabase('sqlite');
  const env = { DATABASE_URL: db.url, DATA_DIR: db.dataDir };
  for (const [name, role] of [
    ['agent', 'reviewer'],
    ['reviewer', 'reviewer'],
    ['viewer', 'viewer'],
    ['admin', 'admin'],
  ] as const) {
    const created = runCli(['api-key', 'create', '--role', role, '--name', `mcp-${name}`], env);
    expect(created.status).toBe(0);
    keys[name] = created.stdout.trim();
  }
  server = await startServerProcess(env);
});

afterAll(async () => {
  await server?.stop();
  await db?.drop();
});

async function rest<T>(key: string, method: string, url: string, body?: unknown): Promise<T> {
  const answer = await fetch(`${server.url}${url}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await answer.json()) as T;
  if (!answer.ok) throw new Error(`${method} ${url}: ${answer.status} ${JSON.stringify(json)}`);
  return json;
}

/** The open task titled `title`, once it exists (the tool call that makes it is still running). */
async function openTaskTitled(title: string): Promise<Task> {
  return until(`the task "${title}"`, async () => {
    const page = await rest<{ data: Task[] }>(keys.reviewer, 'GET', `/api/v1/tasks?q=${encodeURIComponent(title)}`);
    return page.data.find((task) => task.title === title);
  });
}

const transports: Record<'stdio' | 'http', (key: string) => Transport> = {
  stdio: (key) =>
    new StdioClientTransport({
      command: process.execPath,
      args: [BIN],
      env: { PATH: process.env.PATH ?? '', LOOPGATE_URL: server.url, LOOPGATE_API_KEY: key },
      stderr: 'pipe',
    }),
  http: (key) =>
    new StreamableHTTPClientTransport(new URL('/mcp', server.url), {
      requestInit: { headers: { Authorization: `Bearer ${key}` } },
    }),
};

function structured<T = Record<string, unknown>>(result: Awaited<ReturnType<Client['callTool']>>): T {
  const call = result as CallToolResult;
  if (call.isError) throw new Error(`tool error: ${JSON.stringify(call.content)}`);
  return call.structuredContent as T;
}

function errorText(result: Awaited<ReturnType<Client['callTool']>>): string {
  const call = result as CallToolResult;
  expect(call.isError).toBe(true);
  return call.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');
}

interface Outcome {
  taskId: string;
  status: string;
  reviewUrl: string;
  approvedPayload: unknown;
  decision: { action: string; comment: string | null; decidedBy: { type: string; name: string | null } } | null;
}

describe.each(['stdio', 'http'] as const)('MCP over %s', (kind) => {
  const clients: Client[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });

  async function connect(key: string, answer?: (request: { message: string }) => ElicitResult): Promise<Client> {
    const client = new Client(CLIENT_INFO, { capabilities: answer ? { elicitation: { form: {} } } : {} });
    if (answer) client.setRequestHandler(ElicitRequestSchema, async (request) => answer(request.params));
    await client.connect(transports[kind](key));
    clients.push(client);
    return client;
  }

  test('lists the five tools, each with an input and an output schema', async () => {
    const client = await connect(keys.agent);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(TOOLS);
    for (const tool of tools) {
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.outputSchema?.type).toBe('object');
    }
    const request = tools.find((tool) => tool.name === 'request_approval');
    expect(request?.inputSchema.required).toEqual(['title', 'payload']);
    expect(Object.keys(request?.inputSchema.properties ?? {})).toEqual(
      expect.arrayContaining(['title', 'payload', 'context', 'confidence', 'risk', 'queue', 'form', 'waitSeconds']),
    );
    expect(client.getServerVersion()?.name).toBe('loopgate');
  });

  test('request_approval returns the decision made by another request while it waits, and names the MCP client as agent', async () => {
    const client = await connect(keys.agent);
    const title = `${kind}: refund order 1001`;
    const call = client.callTool({
      name: 'request_approval',
      arguments: {
        title,
        payload: { amount: 480 },
        context: { why: 'damaged' },
        confidence: 0.4,
        risk: 'high',
        waitSeconds: 30,
      },
    });
    const open = await openTaskTitled(title);
    expect(open.agent).toEqual({ id: 'mcp:loopgate-test', name: 'loopgate-test', version: '1.2.3', model: null });
    expect(open).toMatchObject({ source: 'mcp', riskLevel: 'high', confidence: 0.4, context: { why: 'damaged' } });
    await rest(keys.reviewer, 'POST', `/api/v1/tasks/${open.id}/decision`, { action: 'approve', comment: 'ok' });
    const outcome = structured<Outcome>(await call);
    expect(outcome).toMatchObject({ taskId: open.id, status: 'approved', approvedPayload: { amount: 480 } });
    expect(outcome.decision).toMatchObject({
      action: 'approve',
      comment: 'ok',
      decidedBy: { type: 'api_key', name: 'mcp-reviewer' },
    });
  });

  test('request_approval answers pending with the task id and review URL when no decision comes in time; get_decision waits for it', async () => {
    const client = await connect(keys.agent);
    const pending = structured<Outcome>(
      await client.callTool({
        name: 'request_approval',
        arguments: { title: `${kind}: delete user 7`, payload: { user: 7 }, waitSeconds: 0 },
      }),
    );
    expect(pending.status).toBe('pending');
    expect(pending.taskId).toMatch(/^tsk_/);
    expect(pending.reviewUrl).toMatch(new RegExp(`/tasks/${pending.taskId}$`));
    expect(pending.decision).toBeNull();

    const now = structured<Outcome>(
      await client.callTool({ name: 'get_decision', arguments: { taskId: pending.taskId } }),
    );
    expect(now.status).toBe('pending');
    const waiting = client.callTool({ name: 'get_decision', arguments: { taskId: pending.taskId, waitSeconds: 30 } });
    await rest(keys.reviewer, 'POST', `/api/v1/tasks/${pending.taskId}/decision`, {
      action: 'reject',
      comment: 'Never',
    });
    const rejected = structured<Outcome>(await waiting);
    expect(rejected).toMatchObject({
      status: 'rejected',
      approvedPayload: null,
      decision: { action: 'reject', comment: 'Never' },
    });
  });

  test("list_pending and decide_task work the queue with a reviewer's key; a viewer's key is refused with 403", async () => {
    const agent = await connect(keys.agent);
    const made = structured<Outcome>(
      await agent.callTool({
        name: 'request_approval',
        arguments: { title: `${kind}: send invoice`, payload: { total: 90 }, waitSeconds: 0 },
      }),
    );
    const reviewer = await connect(keys.reviewer);
    const listed = structured<{ tasks: { taskId: string; payload: unknown; reviewUrl: string }[] }>(
      await reviewer.callTool({ name: 'list_pending', arguments: { limit: 200 } }),
    );
    expect(listed.tasks.find((task) => task.taskId === made.taskId)).toMatchObject({ payload: { total: 90 } });

    const viewer = await connect(keys.viewer);
    const refused = errorText(
      await viewer.callTool({ name: 'decide_task', arguments: { taskId: made.taskId, action: 'approve' } }),
    );
    expect(refused).toMatch(/403 forbidden/);

    const decided = structured<Outcome>(
      await reviewer.callTool({
        name: 'decide_task',
        arguments: { taskId: made.taskId, action: 'approve_with_modifications', modifiedPayload: { total: 80 } },
      }),
    );
    expect(decided).toMatchObject({ status: 'approved_with_modifications', approvedPayload: { total: 80 } });
    const again = errorText(
      await reviewer.callTool({ name: 'decide_task', arguments: { taskId: made.taskId, action: 'approve' } }),
    );
    expect(again).toMatch(/409 task_already_decided/);
  });

  test('request_approval while an admin has halted MCP tasks: an error naming 423 halted and who halted it; resumed, it works', async () => {
    const halt = await rest<{ id: string }>(keys.admin, 'POST', '/api/v1/halts', {
      scope: 'source',
      value: 'mcp',
      reason: `${kind} drill`,
    });
    const agent = await connect(keys.agent);
    const args = { title: `${kind}: halted`, payload: { total: 1 }, waitSeconds: 0 };
    try {
      const refused = errorText(await agent.callTool({ name: 'request_approval', arguments: args }));
      expect(refused).toMatch(/423 halted/);
      expect(refused).toMatch(
        new RegExp(`New tasks from source "mcp" are halted by mcp-admin \\(api_key\\) since .*: ${kind} drill`),
      );
    } finally {
      await rest(keys.admin, 'POST', `/api/v1/halts/${halt.id}/resume`);
    }
    expect(structured<Outcome>(await agent.callTool({ name: 'request_approval', arguments: args })).status).toBe(
      'pending',
    );
  });

  test('request_approval with an idempotencyKey: a retry finds the first task instead of making a second', async () => {
    const client = await connect(keys.agent);
    const args = { title: `${kind}: once only`, payload: { n: 1 }, idempotencyKey: `retry-${kind}`, waitSeconds: 0 };
    const first = structured<Outcome>(await client.callTool({ name: 'request_approval', arguments: args }));
    const again = structured<Outcome>(await client.callTool({ name: 'request_approval', arguments: args }));
    expect(again.taskId).toBe(first.taskId);
    const page = await rest<{ data: Task[] }>(keys.agent, 'GET', `/api/v1/tasks?q=${encodeURIComponent(args.title)}`);
    expect(page.data).toHaveLength(1);
  });

  test('bad input: a schema error from the tool, and Loopgate naming the field it refused', async () => {
    const client = await connect(keys.agent);
    const schema = errorText(
      await client.callTool({ name: 'request_approval', arguments: { title: 'x', payload: {}, confidence: 2 } }),
    );
    expect(schema).toMatch(/Input validation error/);
    expect(schema).toMatch(/confidence/);
    const refused = errorText(
      await client.callTool({
        name: 'request_approval',
        arguments: { title: 'x', payload: {}, form: { type: 'object', properties: { amount: { type: 'colour' } } } },
      }),
    );
    expect(refused).toMatch(/400 validation_failed/);
    expect(refused).toMatch(/form/);
  });

  test('review_next: accept with an edited field approves with modifications; decline asks why and rejects', async () => {
    const agent = await connect(keys.agent);
    const form = {
      type: 'object',
      properties: { amount: { type: 'number', title: 'Amount', minimum: 0 } },
      required: ['amount'],
    };
    // A deadline puts these tasks ahead of every other open task (earliest deadline first).
    const first = await rest<Task>(keys.agent, 'POST', '/api/v1/tasks', {
      title: `${kind}: refund with form`,
      payload: { amount: 480, customer: 'c1' },
      form,
      slaSeconds: 60,
    });
    const seen: string[] = [];
    const reviewer = await connect(keys.reviewer, (request) => {
      seen.push(request.message);
      return { action: 'accept', content: { amount: 40 } };
    });
    const accepted = structured<{ reviewed: boolean; outcome: Outcome }>(
      await reviewer.callTool({ name: 'review_next', arguments: {} }),
    );
    expect(seen[0]).toContain(first.id);
    expect(seen[0]).toContain('"customer": "c1"');
    expect(accepted.reviewed).toBe(true);
    expect(accepted.outcome).toMatchObject({ taskId: first.id, status: 'approved_with_modifications' });
    const approved = await rest<Task>(keys.agent, 'GET', `/api/v1/tasks/${first.id}`);
    expect(approved.status).toBe('approved_with_modifications');
    expect(approved.decision?.modifiedPayload).toEqual({ amount: 40, customer: 'c1' });

    const second = await rest<Task>(keys.agent, 'POST', '/api/v1/tasks', {
      title: `${kind}: wire money`,
      payload: { to: 'x' },
      slaSeconds: 30,
    });
    const asked: string[] = [];
    const decliner = await connect(keys.reviewer, (request) => {
      asked.push(request.message);
      return asked.length === 1
        ? { action: 'decline' }
        : { action: 'accept', content: { reason: 'Unknown recipient' } };
    });
    const declined = structured<{ reviewed: boolean; outcome: Outcome }>(
      await decliner.callTool({ name: 'review_next', arguments: {} }),
    );
    expect(asked).toHaveLength(2);
    expect(asked[1]).toMatch(/Why reject/);
    expect(declined.outcome).toMatchObject({ taskId: second.id, status: 'rejected' });
    const rejected = await rest<Task>(keys.agent, 'GET', `/api/v1/tasks/${second.id}`);
    expect(rejected.decision).toMatchObject({ action: 'reject', comment: 'Unknown recipient' });

    // Without elicitation the tool says so instead of deciding anything.
    const plain = await connect(keys.reviewer);
    expect(errorText(await plain.callTool({ name: 'review_next', arguments: {} }))).toMatch(/elicitation/);
    await agent.close();
  });

  test('a bad key: an error naming 401 and unauthorized', async () => {
    const bad = 'lg_nosuchke_0000000000000000000000000000000000000000';
    if (kind === 'stdio') {
      const client = await connect(bad);
      const text = errorText(await client.callTool({ name: 'get_decision', arguments: { taskId: 'tsk_x' } }));
      expect(text).toMatch(/401 unauthorized/);
    } else {
      const client = new Client(CLIENT_INFO);
      const error = (await client.connect(transports.http(bad)).then(
        () => null,
        (e: unknown) => e,
      )) as (Error & { code?: number }) | null;
      expect(error?.code).toBe(401);
      expect(error?.message).toMatch(/401/);
      expect(error?.message).toMatch(/unauthorized/);
      await client.close();
    }
  });
});

describe('MCP over http: sessions', () => {
  const listTools = (key: string, sessionId: string) =>
    fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${key}`,
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        'Mcp-Session-Id': sessionId,
        'Mcp-Protocol-Version': '2025-06-18',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });

  test('a session belongs to the key that opened it: another key gets 404; a request without a session must initialize', async () => {
    const transport = new StreamableHTTPClientTransport(new URL('/mcp', server.url), {
      requestInit: { headers: { Authorization: `Bearer ${keys.agent}` } },
    });
    const client = new Client(CLIENT_INFO);
    await client.connect(transport);
    const sessionId = transport.sessionId as string;
    expect(sessionId).toBeTruthy();
    expect((await listTools(keys.agent, sessionId)).status).toBe(200);
    const other = await listTools(keys.reviewer, sessionId);
    expect(other.status).toBe(404);
    expect(((await other.json()) as { code: string }).code).toBe('not_found');
    const fresh = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${keys.agent}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(fresh.status).toBe(400);
    expect(((await fresh.json()) as { detail: string }).detail).toMatch(/initialize/);
    await client.close();
  });

  test(`a key holds at most ${MAX_SESSIONS_PER_KEY} sessions: the least recently used one is closed`, async () => {
    const opened: { client: Client; transport: StreamableHTTPClientTransport }[] = [];
    for (let i = 0; i <= MAX_SESSIONS_PER_KEY; i++) {
      const transport = new StreamableHTTPClientTransport(new URL('/mcp', server.url), {
        requestInit: { headers: { Authorization: `Bearer ${keys.viewer}` } },
      });
      const client = new Client(CLIENT_INFO);
      await client.connect(transport);
      opened.push({ client, transport });
    }
    const [first, ...rest] = opened;
    expect((await listTools(keys.viewer, first?.transport.sessionId as string)).status).toBe(404);
    expect((await listTools(keys.viewer, rest[rest.length - 1]?.transport.sessionId as string)).status).toBe(200);
    await Promise.all(opened.map(({ client }) => client.close()));
  });
});

describe('MCP over stdio: long waits', () => {
  test(`a caller that asks for progress hears every ${PROGRESS_INTERVAL_MS / 1000}s that the wait goes on, then gets the decision`, async () => {
    const client = new Client(CLIENT_INFO);
    await client.connect(transports.stdio(keys.agent));
    const title = 'stdio: a long wait';
    const progress: { progress: number; total?: number; message?: string }[] = [];
    let approving: Promise<unknown> | undefined;
    const call = client.callTool(
      { name: 'request_approval', arguments: { title, payload: { slow: true }, waitSeconds: 60 } },
      undefined,
      {
        resetTimeoutOnProgress: true,
        onprogress: (update) => {
          progress.push(update);
          approving ??= openTaskTitled(title).then((task) =>
            rest(keys.reviewer, 'POST', `/api/v1/tasks/${task.id}/decision`, { action: 'approve' }),
          );
        },
      },
    );
    const outcome = structured<Outcome>(await call);
    await approving;
    expect(outcome.status).toBe('approved');
    expect(progress[0]).toMatchObject({ total: 60, message: expect.stringMatching(/Waiting for a reviewer/) });
    expect(progress[0]?.progress).toBeGreaterThan(0);
    await client.close();
  });
});
