import { type AIMessage, type BaseMessage, ToolMessage } from '@langchain/core/messages';
import type { ToolCall } from '@langchain/core/messages/tool';
import {
  END,
  type LangGraphRunnableConfig,
  MemorySaver,
  MessagesAnnotation,
  Send,
  START,
  StateGraph,
} from '@langchain/langgraph';
import type { Loopgate } from '../client.js';
import type { RealServer } from '../test-support/real-server.js';
import { restartableRun } from './conformance/restartable-run.js';
import { laterTurnsText, ScriptedChatModel } from './conformance/scripted-chat-model.js';
import type { AgentHarness, AgentRun, ScriptedToolCall } from './conformance/suite.js';
import { approvalInterrupt, runWithApprovals } from './langgraph.js';

type Execution = { callId: string; args: unknown };

/**
 * The LangGraph adapter under the conformance suite: agent → one approval gate per tool call (Send,
 * so several calls wait side by side) → agent, checkpointed in a MemorySaver. A restart abandons
 * the waiting `runWithApprovals` and builds a new graph and model over the same checkpointer.
 */
export function makeLangGraphHarness(server: RealServer): AgentHarness {
  let runs = 0;
  return {
    start(calls: ScriptedToolCall[]): AgentRun {
      const executions: Execution[] = [];
      const seen: BaseMessage[][] = [];
      const checkpointer = new MemorySaver();
      const config = { configurable: { thread_id: `conformance-thread-${++runs}` } };
      const refund = (callId: string, args: unknown) => {
        executions.push({ callId, args });
        return `refunded ${JSON.stringify(args)}`;
      };
      const build = () => buildGraph(server.agent, new ScriptedChatModel(calls, seen), checkpointer, refund);

      const run = restartableRun(
        (signal) =>
          runWithApprovals(
            build(),
            server.agent,
            { messages: [{ role: 'user', content: 'Refund these orders' }] },
            config,
            { signal },
          ),
        // Nothing from the first process but the checkpoints: a new graph, a new model.
        (signal) => runWithApprovals(build(), server.agent, null, config, { signal }),
      );
      return {
        executions,
        modelSaw: () => laterTurnsText(seen),
        ...run,
      };
    },
  };
}

function buildGraph(
  loopgate: Loopgate,
  model: ScriptedChatModel,
  checkpointer: MemorySaver,
  refund: (callId: string, args: unknown) => string,
) {
  const gate = async (state: { toolCall: ToolCall }, config: LangGraphRunnableConfig) => {
    const call = state.toolCall;
    const callId = call.id ?? call.name;
    const result = await approvalInterrupt(
      loopgate,
      {
        title: `Run ${call.name}`,
        payload: call.args,
      },
      { key: callId, config },
    );
    const content = result.approved
      ? refund(callId, result.approvedPayload)
      : `Not run: ${result.decision?.comment ?? result.status}`;
    return { messages: [new ToolMessage({ tool_call_id: callId, content })] };
  };
  return (
    new StateGraph(MessagesAnnotation)
      .addNode('agent', async (state) => ({ messages: [await model.invoke(state.messages)] }))
      .addNode('gate', gate)
      .addEdge(START, 'agent')
      .addConditionalEdges('agent', (state) => {
        const last = state.messages.at(-1) as AIMessage;
        return last.tool_calls?.length ? last.tool_calls.map((toolCall) => new Send('gate', { toolCall })) : END;
      })
      .addEdge('gate', 'agent')
      // The tasks name the graph by itself (runWithApprovals passes its name): no agent is given above.
      .compile({ checkpointer, name: 'Refund graph' })
  );
}
