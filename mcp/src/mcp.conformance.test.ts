import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  type AgentHarness,
  type AgentRun,
  describeAdapterConformance,
  type ScriptedToolCall,
} from '../../sdk/src/adapters/conformance/suite.js';
import type { RealServer } from '../../sdk/src/test-support/real-server.js';

/**
 * The adapter conformance suite over the MCP server, as an MCP host uses it: before running a tool
 * call its model proposed, the host calls Loopgate's `request_approval` (streamable HTTP on the real
 * server's /mcp, the agent's key), keeps asking `get_decision` while the answer is `pending`, and
 * runs the tool with `approvedPayload` or tells the model why not. MCP defines no model, so the
 * host's model is a script: the tool calls first, then a final answer. A restart is a new client
 * (a new process): it asks again with the same `idempotencyKey` (the call id) and gets the same task.
 */
interface Outcome {
  taskId: string;
  status: string;
  decision: { comment: string | null } | null;
  approvedPayload: unknown;
}

const WAIT_SECONDS = 5;

function mcpHostHarness(server: RealServer): AgentHarness {
  return {
    start(calls: ScriptedToolCall[]): AgentRun {
      const executions: { callId: string; args: unknown }[] = [];
      const modelShown: string[] = [];
      const settled = new Set<string>();
      let generation = 0;
      let stop = new AbortController();
      let client: Client | undefined;

      async function ask(host: Client, name: string, args: Record<string, unknown>, signal: AbortSignal) {
        const result = await host.callTool({ name, arguments: args }, undefined, { signal, timeout: 60_000 });
        if (result.isError) throw new Error(`${name}: ${JSON.stringify(result.content)}`);
        return result.structuredContent as unknown as Outcome;
      }

      async function settle(host: Client, call: ScriptedToolCall, mine: number, signal: AbortSignal) {
        let outcome = await ask(
          host,
          'request_approval',
          {
            title: `Refund order ${call.args.orderId}`,
            payload: call.args,
            idempotencyKey: call.id,
            waitSeconds: WAIT_SECONDS,
          },
          signal,
        );
        while (outcome.status === 'pending') {
          outcome = await ask(host, 'get_decision', { taskId: outcome.taskId, waitSeconds: WAIT_SECONDS }, signal);
        }
        if (mine !== generation) return; // this process was "killed" while it waited
        settled.add(call.id);
        if (outcome.status === 'approved' || outcome.status === 'approved_with_modifications') {
          executions.push({ callId: call.id, args: outcome.approvedPayload });
          modelShown.push(`refund ${call.id}: done`);
        } else {
          modelShown.push(`refund ${call.id} was not run (${outcome.status}): ${outcome.decision?.comment ?? ''}`);
        }
      }

      async function runFrom(mine: number, signal: AbortSignal) {
        const host = new Client({ name: 'conformance-host', version: '1.0.0' });
        client = host;
        await host.connect(
          new StreamableHTTPClientTransport(new URL('/mcp', server.url), {
            requestInit: { headers: { Authorization: `Bearer ${server.agentKey}` } },
          }),
        );
        try {
          await Promise.all(
            calls.filter((call) => !settled.has(call.id)).map((call) => settle(host, call, mine, signal)),
          );
          if (mine === generation) modelShown.push('final answer: done');
        } catch (error) {
          if (mine === generation) throw error;
        } finally {
          if (mine !== generation || settled.size === calls.length) await host.close();
        }
      }

      let running = runFrom(generation, stop.signal);
      return {
        executions,
        modelSaw: () => modelShown.join('\n'),
        async restart() {
          generation += 1;
          stop.abort();
          await client?.close();
          await running.catch(() => undefined);
          stop = new AbortController();
          running = runFrom(generation, stop.signal);
        },
        finished: () => running,
      };
    },
  };
}

describeAdapterConformance('mcp', mcpHostHarness);
