import type { BaseMessage } from '@langchain/core/messages';
import { MemorySaver } from '@langchain/langgraph';
import { createAgent, humanInTheLoopMiddleware, tool } from 'langchain';
import { z } from 'zod';
import type { RealServer } from '../test-support/real-server.js';
import { restartableRun } from './conformance/restartable-run.js';
import { laterTurnsText, ScriptedChatModel } from './conformance/scripted-chat-model.js';
import type { AgentHarness, AgentRun, ScriptedToolCall } from './conformance/suite.js';
import { runWithApprovals } from './langchain.js';

type Execution = { callId: string; args: unknown };

/**
 * The LangChain v1 adapter under the conformance suite: `createAgent` with a `refund` tool and
 * `humanInTheLoopMiddleware` (every refund needs review), checkpointed in a MemorySaver. A restart
 * abandons the waiting `runWithApprovals` and builds a new agent, model and tool over the same
 * checkpointer, which the runner carries on with `input` null.
 */
export function makeLangChainHarness(server: RealServer): AgentHarness {
  let runs = 0;
  return {
    start(calls: ScriptedToolCall[]): AgentRun {
      const executions: Execution[] = [];
      const seen: BaseMessage[][] = [];
      const checkpointer = new MemorySaver();
      const config = { configurable: { thread_id: `conformance-langchain-${++runs}` } };
      const build = () => buildAgent(new ScriptedChatModel(calls, seen), checkpointer, executions);

      const run = restartableRun(
        (signal) =>
          runWithApprovals(
            build(),
            server.agent,
            { messages: [{ role: 'user', content: 'Refund these orders' }] },
            config,
            { signal },
          ),
        // Nothing from the first process but the checkpoints: a new agent, model and tool.
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

function buildAgent(model: ScriptedChatModel, checkpointer: MemorySaver, executions: Execution[]) {
  const refund = tool(
    async (args, runtime) => {
      executions.push({ callId: String((runtime as { toolCall?: { id?: string } }).toolCall?.id), args });
      return `refunded ${args.amount} on ${args.orderId}`;
    },
    {
      name: 'refund',
      description: 'Refund part or all of an order',
      schema: z.object({
        orderId: z.string().describe('The order to refund'),
        amount: z.number().min(0).describe('Amount in euros'),
      }),
    },
  );
  return createAgent({
    name: 'conformance-refund-agent',
    model,
    tools: [refund],
    middleware: [humanInTheLoopMiddleware({ interruptOn: { refund: true } })],
    checkpointer,
  });
}
