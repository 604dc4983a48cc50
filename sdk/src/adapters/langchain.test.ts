import type { BaseMessage } from '@langchain/core/messages';
import { MemorySaver } from '@langchain/langgraph';
import type { Task } from '@loopgate/shared';
import { createAgent, humanInTheLoopMiddleware, tool } from 'langchain';
import { z } from 'zod';
import { LoopgateTimeoutError } from '../errors.js';
import { eventually, type RealServer, startRealServer } from '../test-support/real-server.js';
import { ScriptedChatModel } from './conformance/scripted-chat-model.js';
import { decisionFor, pendingReview, runWithApprovals } from './langchain.js';

/**
 * What the conformance suite does not cover: the task's form and agent identity from the real
 * agent, a turn where the middleware auto-approves one call and reviews another, a timeout that
 * leaves the thread paused, and the decision mapping's edge cases.
 */
describe('LangChain adapter (createAgent + humanInTheLoopMiddleware, real Loopgate server)', () => {
  let server: RealServer;
  beforeAll(async () => {
    server = await startRealServer();
  });
  afterAll(() => server.stop());

  const ran: { name: string; args: unknown }[] = [];
  const lookup = tool(
    async (args) => {
      ran.push({ name: 'lookup', args });
      return 'order found';
    },
    { name: 'lookup', description: 'Look an order up', schema: z.object({ orderId: z.string() }) },
  );
  const refund = tool(
    async (args) => {
      ran.push({ name: 'refund', args });
      return 'refunded';
    },
    {
      name: 'refund',
      description: 'Refund an order',
      schema: z.object({
        orderId: z.string().describe('The order to refund'),
        amount: z.number().min(0).max(500).describe('Amount in euros'),
        note: z.object({ text: z.string() }).optional(),
      }),
    },
  );
  const agentFor = (calls: { id: string; name: string; args: Record<string, unknown> }[], seen: BaseMessage[][]) =>
    createAgent({
      name: 'refund-desk',
      model: new ScriptedChatModel(calls, seen),
      tools: [lookup, refund],
      middleware: [humanInTheLoopMiddleware({ interruptOn: { refund: true, lookup: false } })],
      checkpointer: new MemorySaver(),
    });
  const tasksOf = async (orderId: string) =>
    (await server.person.listTasks({ limit: 100 })).data.filter(
      (task) => (task.payload as { orderId?: string }).orderId === orderId,
    );

  test('a reviewed call next to an auto-approved one: one task with the form from the tool schema and the agent', async () => {
    ran.length = 0;
    const seen: BaseMessage[][] = [];
    const agent = agentFor(
      [
        { id: 'call-lookup', name: 'lookup', args: { orderId: 'F-1' } },
        { id: 'call-refund', name: 'refund', args: { orderId: 'F-1', amount: 40 } },
      ],
      seen,
    );
    const config = { configurable: { thread_id: 'form-thread' } };
    const run = runWithApprovals(agent, server.agent, { messages: [{ role: 'user', content: 'refund F-1' }] }, config);
    const [task] = (await eventually(async () => {
      const found = await tasksOf('F-1');
      return found.length > 0 ? found : undefined;
    })) as [Task];
    expect(task).toMatchObject({
      title: 'Run refund',
      payload: { orderId: 'F-1', amount: 40 },
      agent: { id: 'refund-desk', name: 'refund-desk' },
      externalRef: 'call-refund', // the tool call behind the action request, found past the auto-approved call
      form: {
        type: 'object',
        properties: {
          orderId: { type: 'string', description: 'The order to refund' },
          amount: { type: 'number', minimum: 0, maximum: 500, description: 'Amount in euros' },
        },
        required: ['orderId', 'amount'],
      },
    });
    expect(Object.keys(task.form?.properties ?? {})).toEqual(['orderId', 'amount']); // the nested note is left out
    await server.person.decide(task.id, {
      action: 'approve_with_modifications',
      modifiedPayload: { orderId: 'F-1', amount: 35 },
    });
    await run;
    expect(ran).toEqual([
      { name: 'lookup', args: { orderId: 'F-1' } },
      { name: 'refund', args: { orderId: 'F-1', amount: 35 } },
    ]);
    expect(await tasksOf('F-1')).toHaveLength(1);
  });

  test('timeout: the runner throws LoopgateTimeoutError and the thread stays paused until carried on', async () => {
    ran.length = 0;
    const agent = agentFor([{ id: 'call-slow', name: 'refund', args: { orderId: 'T-1', amount: 5 } }], []);
    const config = { configurable: { thread_id: 'timeout-thread' } };
    await expect(
      runWithApprovals(agent, server.agent, { messages: [{ role: 'user', content: 'refund T-1' }] }, config, {
        timeoutMs: 300,
      }),
    ).rejects.toBeInstanceOf(LoopgateTimeoutError);
    expect(pendingReview(await agent.getState(config))?.toolCallIds).toEqual(['call-slow']);
    const [task] = (await tasksOf('T-1')) as [Task];
    await server.person.decide(task.id, { action: 'approve' });
    await runWithApprovals(agent, server.agent, null, config);
    expect(ran).toEqual([{ name: 'refund', args: { orderId: 'T-1', amount: 5 } }]);
    expect(pendingReview(await agent.getState(config))).toBeUndefined();
  });
});

describe('decisionFor', () => {
  const action = { name: 'refund', args: { orderId: 'A-1', amount: 40 } };
  const task = (status: Task['status'], decision: Partial<NonNullable<Task['decision']>> | null = null) =>
    ({ id: 'tsk_1', status, decision }) as unknown as Task;

  test.each([
    ['approved', null, { type: 'approve' }],
    [
      'approved_with_modifications',
      { modifiedPayload: { orderId: 'A-1', amount: 10 } },
      { type: 'edit', editedAction: { name: 'refund', args: { orderId: 'A-1', amount: 10 } } },
    ],
    ['rejected', { comment: 'too much' }, { type: 'reject', message: 'too much' }],
    ['rejected', { comment: '  ' }, { type: 'reject', message: 'A reviewer rejected refund in Loopgate.' }],
    ['expired', null, { type: 'reject', message: 'No one approved refund in time (Loopgate task expired).' }],
    ['cancelled', null, { type: 'reject', message: 'No one approved refund in time (Loopgate task cancelled).' }],
  ] as const)('%s → the middleware decision', (status, decision, expected) => {
    expect(decisionFor(task(status, decision), action)).toEqual(expected);
  });

  test('an edit on a tool that takes no edits is a rejection that says so, never a run', () => {
    const decided = decisionFor(task('approved_with_modifications', { modifiedPayload: { amount: 1 } }), action, {
      actionName: 'refund',
      allowedDecisions: ['approve', 'reject'],
    });
    expect(decided).toMatchObject({ type: 'reject' });
    expect((decided as { message: string }).message).toContain('does not accept edits');
    const notArgs = decisionFor(task('approved_with_modifications', { modifiedPayload: [1, 2] }), action);
    expect(notArgs).toMatchObject({ type: 'reject', message: expect.stringContaining('not an object of arguments') });
  });

  test('a rejection the tool does not allow is an error, and an open task is not a decision', () => {
    expect(() =>
      decisionFor(task('rejected', { comment: 'no' }), action, { actionName: 'refund', allowedDecisions: ['approve'] }),
    ).toThrow('allows only approve');
    expect(() => decisionFor(task('pending_review'), action)).toThrow('still pending_review');
  });
});
