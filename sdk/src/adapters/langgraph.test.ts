import { AIMessage, type BaseMessage, ToolMessage } from '@langchain/core/messages';
import type { ToolCall } from '@langchain/core/messages/tool';
import { FakeStreamingChatModel } from '@langchain/core/utils/testing';
import {
  END,
  type LangGraphRunnableConfig,
  MemorySaver,
  MessagesAnnotation,
  Send,
  START,
  StateGraph,
} from '@langchain/langgraph';
import type { Task } from '@loopgate/shared';
import type { Loopgate } from '../client.js';
import { eventually, pause, type RealServer, startRealServer } from '../test-support/real-server.js';
import { approvalInterrupt, pendingApprovals, runWithApprovals } from './langgraph.js';

/**
 * A scripted model from LangChain's own test utilities: each call answers with the next message of
 * the script (tool calls first, then a final answer), and records what it was shown.
 */
class ScriptedChatModel extends FakeStreamingChatModel {
  readonly seen: BaseMessage[][] = [];
  constructor(private readonly script: AIMessage[]) {
    super({ sleep: 0 });
  }
  override async _generate(messages: BaseMessage[]) {
    this.seen.push(messages);
    const next = this.script.shift() ?? new AIMessage('done');
    return { generations: [{ text: String(next.content), message: next }] };
  }
}

interface World {
  graph: ReturnType<typeof buildGraph>['graph'];
  model: ScriptedChatModel;
  runs: { name: string; args: unknown }[];
}

/** agent → one gate per tool call (LangGraph's Send, so several approvals wait side by side) → agent. */
function buildGraph(loopgate: Loopgate, model: ScriptedChatModel, checkpointer: MemorySaver) {
  const runs: { name: string; args: unknown }[] = [];
  const gate = async (state: { toolCall: ToolCall }, config: LangGraphRunnableConfig) => {
    const call = state.toolCall;
    const result = await approvalInterrupt(
      loopgate,
      { title: `Run ${call.name}`, payload: call.args, agent: { id: 'langgraph-refunds', name: 'Refund graph' } },
      { key: call.id ?? call.name, config },
    );
    if (!result.approved) {
      const reason = result.decision?.comment ?? result.status;
      return { messages: [new ToolMessage({ tool_call_id: call.id ?? '', content: `Not run: ${reason}` })] };
    }
    runs.push({ name: call.name, args: result.approvedPayload });
    return {
      messages: [
        new ToolMessage({ tool_call_id: call.id ?? '', content: `ran ${JSON.stringify(result.approvedPayload)}` }),
      ],
    };
  };
  const graph = new StateGraph(MessagesAnnotation)
    .addNode('agent', async (state) => ({ messages: [await model.invoke(state.messages)] }))
    .addNode('gate', gate)
    .addEdge(START, 'agent')
    .addConditionalEdges('agent', (state) => {
      const last = state.messages.at(-1) as AIMessage;
      return last.tool_calls?.length ? last.tool_calls.map((toolCall) => new Send('gate', { toolCall })) : END;
    })
    .addEdge('gate', 'agent')
    .compile({ checkpointer });
  return { graph, runs };
}

const refundCall = (id: string, amount: number): ToolCall => ({
  id,
  name: 'refund',
  args: { orderId: 7, amount },
  type: 'tool_call',
});

describe('LangGraph adapter (scripted model, real Loopgate server)', () => {
  let server: RealServer;
  beforeAll(async () => {
    server = await startRealServer();
  });
  afterAll(() => server.stop());

  let threads = 0;
  const world = (script: AIMessage[], checkpointer = new MemorySaver()): World & { checkpointer: MemorySaver } => {
    const model = new ScriptedChatModel(script);
    const { graph, runs } = buildGraph(server.agent, model, checkpointer);
    return { graph, model, runs, checkpointer };
  };
  const thread = () => ({ configurable: { thread_id: `thread-${++threads}` } });

  /** The open Loopgate tasks a thread waits on, once the graph has paused on them. */
  const waitingTasks = (w: World, config: LangGraphRunnableConfig, count: number) =>
    eventually(async () => {
      const pending = await pendingApprovals(w.graph, config);
      return pending.length === count ? Promise.all(pending.map((p) => server.agent.getTask(p.taskId))) : undefined;
    });

  test('approve: the tool runs exactly once, with the arguments the model proposed', async () => {
    const w = world([new AIMessage({ content: '', tool_calls: [refundCall('call-a', 40)] })]);
    const config = thread();
    const run = runWithApprovals(
      w.graph,
      server.agent,
      { messages: [{ role: 'user', content: 'refund order 7' }] },
      config,
    );
    const [task] = (await waitingTasks(w, config, 1)) as [Task];
    expect(task).toMatchObject({
      title: 'Run refund',
      payload: { orderId: 7, amount: 40 },
      agent: { id: 'langgraph-refunds' },
    });
    expect(w.runs).toEqual([]);
    await server.person.decide(task.id, { action: 'approve' });
    await run;
    expect(w.runs).toEqual([{ name: 'refund', args: { orderId: 7, amount: 40 } }]);
  });

  test('agent identity: a node that names none gets the compiled graph under runWithApprovals, else the node', async () => {
    const named = (name?: string) =>
      new StateGraph(MessagesAnnotation)
        .addNode('refund gate', async (_state, config) => {
          await approvalInterrupt(
            server.agent,
            { title: 'Refund', payload: { orderId: 8 } },
            { key: 'call-id', config },
          );
          return {};
        })
        .addEdge(START, 'refund gate')
        .addEdge('refund gate', END)
        .compile({ checkpointer: new MemorySaver(), ...(name ? { name } : {}) });
    const agentOfFirstTask = async (graph: ReturnType<typeof named>, config: LangGraphRunnableConfig) => {
      const [pending] = await eventually(async () => {
        const found = await pendingApprovals(graph, config);
        return found.length === 1 ? found : undefined;
      });
      return (await server.agent.getTask(pending!.taskId)).agent;
    };
    const stop = new AbortController();
    const underRunner = named('Refund graph');
    const config = thread();
    const run = runWithApprovals(underRunner, server.agent, { messages: [] }, config, { signal: stop.signal });
    expect(await agentOfFirstTask(underRunner, config)).toMatchObject({
      id: 'langgraph:Refund-graph',
      name: 'Refund graph',
    });
    stop.abort();
    await run.catch(() => undefined);
    const invokedAlone = named();
    const alone = thread();
    await invokedAlone.invoke({ messages: [] }, alone);
    expect(await agentOfFirstTask(invokedAlone, alone)).toMatchObject({ id: 'langgraph:node:refund-gate' });
  });

  test('edit: the tool runs once with the reviewer’s arguments', async () => {
    const w = world([new AIMessage({ content: '', tool_calls: [refundCall('call-b', 90)] })]);
    const config = thread();
    const run = runWithApprovals(w.graph, server.agent, { messages: [{ role: 'user', content: 'refund' }] }, config);
    const [task] = (await waitingTasks(w, config, 1)) as [Task];
    await server.person.decide(task.id, {
      action: 'approve_with_modifications',
      modifiedPayload: { orderId: 7, amount: 60 },
    });
    await run;
    expect(w.runs).toEqual([{ name: 'refund', args: { orderId: 7, amount: 60 } }]);
  });

  test('reject: the tool does not run and the model is shown the reason', async () => {
    const w = world([new AIMessage({ content: '', tool_calls: [refundCall('call-c', 5000)] })]);
    const config = thread();
    const run = runWithApprovals(w.graph, server.agent, { messages: [{ role: 'user', content: 'refund' }] }, config);
    const [task] = (await waitingTasks(w, config, 1)) as [Task];
    await server.person.decide(task.id, { action: 'reject', comment: 'over the refund limit' });
    await run;
    expect(w.runs).toEqual([]);
    const shown = w.model.seen.at(-1)?.at(-1);
    expect(shown).toBeInstanceOf(ToolMessage);
    expect(shown?.content).toBe('Not run: over the refund limit');
  });

  test('two approvals pending on one thread: each decision resumes its own call', async () => {
    const w = world([
      new AIMessage({ content: '', tool_calls: [refundCall('call-d1', 10), refundCall('call-d2', 20)] }),
    ]);
    const config = thread();
    const run = runWithApprovals(
      w.graph,
      server.agent,
      { messages: [{ role: 'user', content: 'two refunds' }] },
      config,
    );
    const tasks = await waitingTasks(w, config, 2);
    const second = tasks.find((task) => (task.payload as { amount: number }).amount === 20) as Task;
    const first = tasks.find((task) => (task.payload as { amount: number }).amount === 10) as Task;
    // The later call is decided first, and modified: its own interrupt gets it.
    await server.person.decide(second.id, {
      action: 'approve_with_modifications',
      modifiedPayload: { orderId: 7, amount: 15 },
    });
    await eventually(async () => ((await pendingApprovals(w.graph, config)).length === 1 ? true : undefined));
    expect(w.runs).toEqual([{ name: 'refund', args: { orderId: 7, amount: 15 } }]);
    await server.person.decide(first.id, { action: 'reject', comment: 'duplicate' });
    await run;
    expect(w.runs).toEqual([{ name: 'refund', args: { orderId: 7, amount: 15 } }]);
    const toolMessages = (w.model.seen.at(-1) ?? []).filter((m) => m instanceof ToolMessage).map((m) => m.content);
    expect(toolMessages.sort()).toEqual(['Not run: duplicate', 'ran {"orderId":7,"amount":15}'].sort());
  });

  test('the waiting process goes away: a new process over the same checkpoints resumes on the decision', async () => {
    const checkpointer = new MemorySaver();
    const before = world([new AIMessage({ content: '', tool_calls: [refundCall('call-e', 30)] })], checkpointer);
    const config = thread();
    const abandoned = new AbortController();
    const firstRun = runWithApprovals(
      before.graph,
      server.agent,
      { messages: [{ role: 'user', content: 'refund' }] },
      config,
      {
        signal: abandoned.signal,
      },
    );
    const [task] = (await waitingTasks(before, config, 1)) as [Task];
    abandoned.abort(new Error('process exiting'));
    await expect(firstRun).rejects.toThrow('process exiting');
    await server.restart(); // the server restarts too, for good measure
    await pause(100);

    // "After the restart": a new graph and model over the same checkpoint store, nothing in memory.
    const after = world([], checkpointer);
    const resumed = runWithApprovals(after.graph, server.agent, null, config);
    await pause(200);
    await server.person.decide(task.id, { action: 'approve' });
    await resumed;
    expect(before.runs).toEqual([]);
    expect(after.runs).toEqual([{ name: 'refund', args: { orderId: 7, amount: 30 } }]);
  });
});
