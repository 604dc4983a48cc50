import type { Task } from '@loopgate/shared';
import type { ModelRequest } from '@openai/agents';
import type { Loopgate } from '../client.js';
import { LoopgateTimeoutError } from '../errors.js';
import { eventually, pause, type RealServer, startRealServer } from '../test-support/real-server.js';
import type { ScriptedToolCall } from './conformance/suite.js';
import { buildRefundAgent, laterRequestsText } from './openai-agents.harness.js';
import { agentIdentityFor, resumeRunWithApprovals, runWithApprovals } from './openai-agents.js';

// The five shared cases run in openai-agents.conformance.test.ts; these are the adapter's own.
describe('OpenAI Agents adapter (scripted Model, real Loopgate server)', () => {
  let server: RealServer;
  beforeAll(async () => {
    server = await startRealServer();
  });
  afterAll(() => server.stop());

  let n = 0;
  const world = (amounts: number[]) => {
    const id = ++n;
    const calls: ScriptedToolCall[] = amounts.map((amount, i) => ({
      id: `call_oa_${id}_${i}`,
      name: 'refund',
      args: { orderId: `OA-${id}-${i}`, amount },
    }));
    const seen: ModelRequest[] = [];
    const executions: { callId: string; args: unknown }[] = [];
    return { runId: `openai-agents-test-${id}`, calls, seen, executions };
  };
  const tasksOf = (calls: ScriptedToolCall[], count = calls.length) =>
    eventually(async () => {
      const page = await server.person.listTasks({ limit: 100 });
      const mine = calls.flatMap((call) =>
        page.data.filter((task) => (task.payload as { orderId?: string }).orderId === call.args.orderId),
      );
      return mine.length >= count ? mine : undefined;
    });

  test('the task names the agent from the Agent’s name and describes the call; describeTask adds to it', async () => {
    const w = world([25]);
    const run = runWithApprovals(buildRefundAgent(w.calls, w.seen, w.executions), 'refund', server.agent, {
      runId: w.runId,
      describeTask: (call) => ({ title: `Refund ${(call.args as { orderId: string }).orderId}`, riskLevel: 'high' }),
    });
    const [task] = (await tasksOf(w.calls)) as [Task];
    expect(task).toMatchObject({
      title: `Refund ${w.calls[0]!.args.orderId}`,
      riskLevel: 'high',
      source: 'openai-agents',
      payload: w.calls[0]!.args,
      agent: { id: 'refund-agent', name: 'Refund agent' },
      context: { framework: 'openai-agents', toolName: 'refund', callId: w.calls[0]!.id },
    });
    await server.person.decide(task.id, { action: 'approve' });
    const result = await run;
    expect(result.finalOutput).toBe('All refunds are settled.');
    expect(w.executions).toHaveLength(1);
  });

  test('edit: the model is told the arguments changed and what the call returned with them', async () => {
    const w = world([90]);
    const run = runWithApprovals(buildRefundAgent(w.calls, w.seen, w.executions), 'refund', server.agent, {
      runId: w.runId,
    });
    const [task] = (await tasksOf(w.calls)) as [Task];
    const edited = { orderId: w.calls[0]!.args.orderId, amount: 45 };
    await server.person.decide(task.id, { action: 'approve_with_modifications', modifiedPayload: edited });
    await run;
    expect(w.executions).toEqual([{ callId: w.calls[0]!.id, args: edited }]);
    const shown = laterRequestsText(w.seen);
    expect(shown).toContain('A reviewer changed the arguments of this call to');
    expect(shown).toContain(JSON.stringify(`refunded ${JSON.stringify(edited)}`).slice(1, -1));
  });

  test('two pending calls: the decided one runs at once, before the other is decided', async () => {
    const w = world([10, 20]);
    const run = runWithApprovals(buildRefundAgent(w.calls, w.seen, w.executions), 'refund', server.agent, {
      runId: w.runId,
    });
    const [first, second] = (await tasksOf(w.calls)) as [Task, Task];
    await server.person.decide(second.id, { action: 'approve' });
    await eventually(async () => (w.executions.length === 1 ? true : undefined));
    expect(w.executions).toEqual([{ callId: w.calls[1]!.id, args: w.calls[1]!.args }]);
    expect((await server.person.getTask(first.id)).status).toBe('pending_review');
    await server.person.decide(first.id, { action: 'approve' });
    await run;
    expect(w.executions.map((execution) => execution.callId)).toEqual([w.calls[1]!.id, w.calls[0]!.id]);
    expect(await tasksOf(w.calls)).toHaveLength(2); // re-found by key on each round, never made twice
  });

  test('no decision in time: LoopgateTimeoutError, the run stays persisted and resumes on a later decision', async () => {
    const w = world([70]);
    let stored: string | undefined;
    const options = {
      runId: w.runId,
      timeoutMs: 300,
      persist: (state: string) => {
        stored = state;
      },
    };
    await expect(
      runWithApprovals(buildRefundAgent(w.calls, w.seen, w.executions), 'refund', server.agent, options),
    ).rejects.toBeInstanceOf(LoopgateTimeoutError);
    expect(stored).toEqual(expect.any(String));
    const [task] = (await tasksOf(w.calls)) as [Task];
    expect(task.status).toBe('pending_review');
    expect(w.executions).toEqual([]);

    const later = resumeRunWithApprovals(buildRefundAgent(w.calls, w.seen, w.executions), stored!, server.agent, {
      runId: w.runId,
    });
    await pause(100);
    await server.person.decide(task.id, { action: 'approve' });
    await later;
    expect(w.executions).toEqual([{ callId: w.calls[0]!.id, args: w.calls[0]!.args }]);
  });

  test('a task the queue’s policy settles at creation (auto-approval) lets the call run without waiting', async () => {
    const w = world([5]);
    const asked: unknown[] = [];
    // A stand-in client whose every task comes back already approved, as an auto_approve policy answers.
    const autoApproving = {
      requestApproval: async (input: { payload: unknown }) => {
        asked.push(input.payload);
        return {
          status: 'approved',
          approved: true,
          decision: null,
          task: {},
          approvedPayload: input.payload,
          payloadDigest: null,
        };
      },
    } as unknown as Loopgate;
    const result = await runWithApprovals(buildRefundAgent(w.calls, w.seen, w.executions), 'refund', autoApproving, {
      runId: w.runId,
    });
    expect(asked).toEqual([w.calls[0]!.args]);
    expect(w.executions).toEqual([{ callId: w.calls[0]!.id, args: w.calls[0]!.args }]);
    expect(result.finalOutput).toBe('All refunds are settled.');
  });

  test('agent ids have no spaces', () => {
    expect(agentIdentityFor('  Refund   Agent  ')).toEqual({ id: 'refund-agent', name: '  Refund   Agent  ' });
    expect(agentIdentityFor('').id).toBe('openai-agent');
  });
});
