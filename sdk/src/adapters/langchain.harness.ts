import type { BaseMessage } from '@langchain/core/messages';
import { MemorySaver } from '@langchain/langgraph';
import { createAgent, humanInTheLoopMiddleware, tool } from 'langchain';
import { z } from 'zod';
import type { RealServer } from '../test-support/real-server.js';
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

      let abandon = new AbortController();
      let current = runWithApprovals(
        build(),
        server.agent,
        { messages: [{ role: 'user', content: 'Refund these orders' }] },
        config,
        { signal: abandon.signal },
      );
      current.catch(() => {}); // a restart abandons it on purpose; finished() reports real failures
      return {
        executions,
        modelSaw: () => laterTurnsText(seen),
        async restart() {
          const abandoned = current;
          abandon.abort(new Error('agent process exiting'));
          await abandoned.then(
            () => {
              throw new Error('the run finished before it was restarted');
            },
            () => undefined,
          );
          abandon = new AbortController();
          // Nothing from the first process but the checkpoints: a new agent, model and tool.
          current = runWithApprovals(build(), server.agent, null, config, { signal: abandon.signal });
          current.catch(() => {});
        },
        async finished() {
          for (;;) {
            const awaited = current;
            await awaited;
            if (awaited === current) return;
          }
        },
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
