import type { Task } from '@loopgate/shared';
import { generateText, jsonSchema, type ModelMessage, tool } from 'ai';
import { idempotencyKeyFor } from '../client.js';
import { LoopgateTimeoutError } from '../errors.js';
import { eventually, pause, type RealServer, startRealServer } from '../test-support/real-server.js';
import { buildRefundRun, laterPromptsText, type ModelPrompt, scriptedModel } from './ai-sdk.harness.js';
import { LoopgateApprovals, pendingApprovals } from './ai-sdk.js';
import type { ScriptedToolCall } from './conformance/suite.js';

// The five shared cases run in ai-sdk.conformance.test.ts; these are the adapter's own.
describe('AI SDK adapter (MockLanguageModelV3, real Loopgate server)', () => {
  let server: RealServer;
  beforeAll(async () => {
    server = await startRealServer();
  });
  afterAll(() => server.stop());

  let n = 0;
  const world = (amounts: number[]) => {
    const id = ++n;
    const calls: ScriptedToolCall[] = amounts.map((amount, i) => ({
      id: `call_ai_${id}_${i}`,
      name: 'refund',
      args: { orderId: `AI-${id}-${i}`, amount },
    }));
    const seen: ModelPrompt[] = [];
    const executions: { callId: string; args: unknown }[] = [];
    return { runId: `ai-sdk-test-${id}`, calls, seen, executions };
  };
  const tasksOf = (calls: ScriptedToolCall[]) =>
    eventually(async () => {
      const page = await server.person.listTasks({ limit: 100 });
      const mine = calls.flatMap((call) =>
        page.data.filter((task) => (task.payload as { orderId?: string }).orderId === call.args.orderId),
      );
      return mine.length >= calls.length ? mine : undefined;
    });
  const user: ModelMessage[] = [{ role: 'user', content: 'Refund these orders' }];

  test('the task carries the call and the agent; the history ends in the SDK’s approval response and the answer', async () => {
    const w = world([25]);
    const { approvals, step } = buildRefundRun(server.agent, w.runId, w.calls, w.seen, w.executions);
    const run = approvals.generate((messages) => step(messages, new AbortController().signal), user);
    const [task] = (await tasksOf(w.calls)) as [Task];
    expect(task).toMatchObject({
      title: 'Run refund',
      source: 'ai-sdk',
      payload: w.calls[0]!.args,
      agent: { id: 'ai-sdk-refund-bot', name: 'Refund bot (AI SDK)' },
      context: { framework: 'ai-sdk', toolName: 'refund', toolCallId: w.calls[0]!.id },
    });
    await server.person.decide(task.id, { action: 'approve', comment: 'fine' });
    const { result, messages } = await run;
    expect(result?.text).toBe('All refunds are settled.');
    const responses = messages.flatMap((message) =>
      typeof message.content === 'string' ? [] : message.content.filter((p) => p.type === 'tool-approval-response'),
    );
    expect(responses).toEqual([
      { type: 'tool-approval-response', approvalId: expect.any(String), approved: true, reason: 'fine' },
    ]);
    expect(pendingApprovals(messages)).toEqual([]);
  });

  test('edit: the approval response’s reason names the change; the tool runs once with it', async () => {
    const w = world([90]);
    const { approvals, step } = buildRefundRun(server.agent, w.runId, w.calls, w.seen, w.executions);
    const run = approvals.generate((messages) => step(messages, new AbortController().signal), user);
    const [task] = (await tasksOf(w.calls)) as [Task];
    const edited = { orderId: w.calls[0]!.args.orderId, amount: 45 };
    await server.person.decide(task.id, { action: 'approve_with_modifications', modifiedPayload: edited });
    const { messages } = await run;
    expect(w.executions).toEqual([{ callId: w.calls[0]!.id, args: edited }]);
    expect(JSON.stringify(messages)).toContain(
      JSON.stringify(`Approved with changes: runs with ${JSON.stringify(edited)}`),
    );
    expect(laterPromptsText(w.seen)).toContain(JSON.stringify(`refunded ${JSON.stringify(edited)}`).slice(1, -1));
  });

  test('an approval answered outside Loopgate does not run a tool Loopgate rejected', async () => {
    const w = world([800]);
    const { approvals, step } = buildRefundRun(server.agent, w.runId, w.calls, w.seen, w.executions);
    const signal = new AbortController().signal;
    // Step one by hand: the SDK stops at the approval request; a Loopgate task is made for it.
    const first = await step(user, signal);
    let history: ModelMessage[] = [...user, ...first.response.messages];
    const [pending] = pendingApprovals(history);
    expect(pending).toMatchObject({ toolName: 'refund', toolCallId: w.calls[0]!.id, input: w.calls[0]!.args });
    const task = await server.agent.createTask(approvals.taskInputFor(pending!), {
      idempotencyKey: await idempotencyKeyFor(`ai-sdk:${w.runId}:${w.calls[0]!.id}`),
    });
    await server.person.decide(task.id, { action: 'reject', comment: 'no' });
    // Someone answers "approved" without asking Loopgate: the gated tool refuses to run.
    history = [
      ...history,
      { role: 'tool', content: [{ type: 'tool-approval-response', approvalId: pending!.approvalId, approved: true }] },
    ];
    await step(history, signal);
    expect(w.executions).toEqual([]);
    expect(laterPromptsText(w.seen)).toContain('Loopgate did not approve refund call');
  });

  test('when: calls it does not pick run without a task', async () => {
    const executions: unknown[] = [];
    const calls: ScriptedToolCall[] = [
      { id: 'call_ai_small', name: 'refund', args: { orderId: 'AI-small', amount: 5 } },
    ];
    const approvals = new LoopgateApprovals(server.agent, { runId: 'ai-sdk-when', agent: { id: 'ai-sdk-refund-bot' } });
    const tools = approvals.gate(
      {
        refund: tool({
          inputSchema: jsonSchema<{ orderId: string; amount: number }>({ type: 'object' }),
          execute: async (args) => {
            executions.push(args);
            return 'ok';
          },
        }),
      },
      { when: (_name, input) => (input as { amount: number }).amount > 100 },
    );
    const model = scriptedModel(calls, []);
    await approvals.generate((messages) => generateText({ model, tools, messages }), user);
    await generateText({ model, tools, messages: user });
    expect(executions).toEqual([calls[0]!.args, calls[0]!.args]);
    const page = await server.person.listTasks({ limit: 100 });
    expect(page.data.filter((task) => (task.payload as { orderId?: string }).orderId === 'AI-small')).toEqual([]);
  });

  test('no decision in time: LoopgateTimeoutError, the history is persisted and resumes on a later decision', async () => {
    const w = world([70]);
    let stored: ModelMessage[] | undefined;
    const first = buildRefundRun(server.agent, w.runId, w.calls, w.seen, w.executions);
    await expect(
      first.approvals.generate((messages) => first.step(messages, new AbortController().signal), user, {
        timeoutMs: 300,
        persist: (messages) => {
          stored = JSON.parse(JSON.stringify(messages));
        },
      }),
    ).rejects.toBeInstanceOf(LoopgateTimeoutError);
    expect(pendingApprovals(stored!)).toHaveLength(1);
    const [task] = (await tasksOf(w.calls)) as [Task];
    expect(task.status).toBe('pending_review');

    const later = buildRefundRun(server.agent, w.runId, w.calls, w.seen, w.executions);
    const resumed = later.approvals.generate((messages) => later.step(messages, new AbortController().signal), stored!);
    await pause(100);
    await server.person.decide(task.id, { action: 'approve' });
    await resumed;
    expect(w.executions).toEqual([{ callId: w.calls[0]!.id, args: w.calls[0]!.args }]);
  });
});
