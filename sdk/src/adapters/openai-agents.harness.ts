import {
  Agent,
  type AgentOutputItem,
  type Model,
  type ModelRequest,
  type ModelResponse,
  type StreamEvent,
  setTracingDisabled,
  tool,
  Usage,
} from '@openai/agents';
import type { RealServer } from '../test-support/real-server.js';
import { restartableRun } from './conformance/restartable-run.js';
import type { AgentHarness, AgentRun, ScriptedToolCall } from './conformance/suite.js';
import { loopgateNeedsApproval, resumeRunWithApprovals, runWithApprovals } from './openai-agents.js';

// No trace exporter in tests: the SDK would otherwise try to send traces to OpenAI.
setTracingDisabled(true);

type Execution = { callId: string; args: unknown };

/**
 * A scripted model implementing the SDK's documented `Model` interface (the SDK ships no fake
 * model): it answers a conversation that has no tool results yet with all of `calls` in one turn,
 * and any later turn with a final text. It decides from the request alone, so a model built after
 * a restart carries on where the first one stopped. Every request is kept for `modelSaw()`.
 */
export class ScriptedAgentsModel implements Model {
  constructor(
    private readonly calls: ScriptedToolCall[],
    private readonly seen: ModelRequest[],
  ) {}

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    this.seen.push(request);
    const items = typeof request.input === 'string' ? [] : request.input;
    const answered = items.some((item) => item.type === 'function_call_result');
    const output: AgentOutputItem[] = answered
      ? [
          {
            type: 'message',
            role: 'assistant',
            status: 'completed',
            content: [{ type: 'output_text', text: 'All refunds are settled.' }],
          },
        ]
      : this.calls.map((call) => ({
          type: 'function_call',
          callId: call.id,
          name: call.name,
          arguments: JSON.stringify(call.args),
          status: 'completed',
        }));
    return { usage: new Usage(), output, responseId: `scripted-${this.seen.length}` };
  }

  // biome-ignore lint/correctness/useYield: the adapter never streams; reaching this is a test failure
  async *getStreamedResponse(): AsyncIterable<StreamEvent> {
    throw new Error('ScriptedAgentsModel does not stream');
  }
}

/** Everything the model was shown after its first turn (tool results, rejection messages). */
export function laterRequestsText(seen: ModelRequest[]): string {
  return seen
    .slice(1)
    .map((request) => JSON.stringify(request.input))
    .join('\n');
}

/** The refund agent of one "process": a fresh Agent, model and tool each time it is built. */
export function buildRefundAgent(calls: ScriptedToolCall[], seen: ModelRequest[], executions: Execution[]) {
  const refund = tool({
    name: 'refund',
    description: 'Refund an order',
    parameters: {
      type: 'object',
      properties: { orderId: { type: 'string' }, amount: { type: 'number' } },
      required: ['orderId', 'amount'],
      additionalProperties: false,
    },
    strict: true,
    needsApproval: loopgateNeedsApproval(),
    execute: async (args, _context, details) => {
      executions.push({ callId: details?.toolCall?.callId ?? '', args });
      return `refunded ${JSON.stringify(args)}`;
    },
  });
  return new Agent({
    name: 'Refund agent',
    instructions: 'Refund what the user asks for.',
    model: new ScriptedAgentsModel(calls, seen),
    tools: [refund],
  });
}

/**
 * The OpenAI Agents adapter under the conformance suite. The run's serialised `RunState` is kept
 * the way an app would store it; a restart abandons the waiting run and resumes from that string
 * with a newly built agent, model and tool.
 */
export function makeOpenAIAgentsHarness(server: RealServer): AgentHarness {
  let runs = 0;
  return {
    start(calls: ScriptedToolCall[]): AgentRun {
      const executions: Execution[] = [];
      const seen: ModelRequest[] = [];
      const runId = `conformance-run-${++runs}`;
      let stored: string | undefined;
      const options = (signal: AbortSignal) => ({
        runId,
        signal,
        persist: (state: string) => {
          stored = state;
        },
      });
      const run = restartableRun(
        (signal) =>
          runWithApprovals(
            buildRefundAgent(calls, seen, executions),
            'Refund these orders',
            server.agent,
            options(signal),
          ),
        (signal) => {
          if (stored === undefined) throw new Error('the run was abandoned before it persisted its state');
          // Nothing from the first process but the stored string.
          return resumeRunWithApprovals(
            buildRefundAgent(calls, seen, executions),
            stored,
            server.agent,
            options(signal),
          );
        },
      );
      return {
        executions,
        modelSaw: () => laterRequestsText(seen),
        ...run,
      };
    },
  };
}
