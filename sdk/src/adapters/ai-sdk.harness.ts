import { generateText, jsonSchema, type ModelMessage, tool } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import type { Loopgate } from '../client.js';
import type { RealServer } from '../test-support/real-server.js';
import { LoopgateApprovals } from './ai-sdk.js';
import { restartableRun } from './conformance/restartable-run.js';
import type { AgentHarness, AgentRun, ScriptedToolCall } from './conformance/suite.js';

type Execution = { callId: string; args: unknown };

// The model spec's types, taken from the mock itself (they live in @ai-sdk/provider, which is ai's own dependency).
type GenerateOptions = Parameters<MockLanguageModelV3['doGenerate']>[0];
type GenerateResult = Awaited<ReturnType<MockLanguageModelV3['doGenerate']>>;
/** What the model was shown on one call. */
export type ModelPrompt = GenerateOptions['prompt'];

/**
 * The AI SDK's own mock model (`MockLanguageModelV3` from `ai/test`), scripted: a prompt with no
 * tool results yet gets all of `calls` in one step, any later prompt a final text. It decides from
 * the prompt alone, so a model built after a restart carries on where the first one stopped.
 */
export function scriptedModel(calls: ScriptedToolCall[], seen: ModelPrompt[]) {
  return new MockLanguageModelV3({
    doGenerate: async (options): Promise<GenerateResult> => {
      seen.push(options.prompt);
      const answered = options.prompt.some(
        (message) => message.role === 'tool' && message.content.some((part) => part.type === 'tool-result'),
      );
      const content: GenerateResult['content'] = answered
        ? [{ type: 'text', text: 'All refunds are settled.' }]
        : calls.map((call) => ({
            type: 'tool-call',
            toolCallId: call.id,
            toolName: call.name,
            input: JSON.stringify(call.args),
          }));
      return {
        content,
        finishReason: { unified: answered ? 'stop' : 'tool-calls', raw: undefined },
        usage: {
          inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
          outputTokens: { total: 1, text: 1, reasoning: 0 },
        },
        warnings: [],
      };
    },
  });
}

/** One "process": a fresh model, tool and LoopgateApprovals, sharing only the records the test reads. */
export function buildRefundRun(
  loopgate: Loopgate,
  runId: string,
  calls: ScriptedToolCall[],
  seen: ModelPrompt[],
  executions: Execution[],
) {
  const approvals = new LoopgateApprovals(loopgate, {
    runId,
    agent: { id: 'ai-sdk-refund-bot', name: 'Refund bot (AI SDK)' },
  });
  const tools = approvals.gate({
    refund: tool({
      description: 'Refund an order',
      inputSchema: jsonSchema<{ orderId: string; amount: number }>({
        type: 'object',
        properties: { orderId: { type: 'string' }, amount: { type: 'number' } },
        required: ['orderId', 'amount'],
        additionalProperties: false,
      }),
      execute: async (args, { toolCallId }) => {
        executions.push({ callId: toolCallId, args });
        return `refunded ${JSON.stringify(args)}`;
      },
    }),
  });
  const model = scriptedModel(calls, seen);
  return {
    approvals,
    step: (messages: ModelMessage[], signal: AbortSignal) =>
      generateText({ model, tools, messages, abortSignal: signal }),
  };
}

/** Everything the model was shown after its first call (tool results, denials with their reasons). */
export function laterPromptsText(seen: ModelPrompt[]): string {
  return seen
    .slice(1)
    .map((prompt) => JSON.stringify(prompt))
    .join('\n');
}

/**
 * The AI SDK adapter under the conformance suite. The message history is the run's state: it is
 * kept the way an app would store it, and a restart abandons the waiting run and carries on from
 * that history with a newly built model, tool and LoopgateApprovals.
 */
export function makeAiSdkHarness(server: RealServer): AgentHarness {
  let runs = 0;
  return {
    start(calls: ScriptedToolCall[]): AgentRun {
      const executions: Execution[] = [];
      const seen: ModelPrompt[] = [];
      const runId = `conformance-run-${++runs}`;
      let stored: ModelMessage[] | undefined;
      const go = (messages: ModelMessage[], signal: AbortSignal) => {
        const { approvals, step } = buildRefundRun(server.agent, runId, calls, seen, executions);
        return approvals.generate((history) => step(history, signal), messages, {
          signal,
          persist: (history) => {
            stored = JSON.parse(JSON.stringify(history)); // stored as an app would: serialised
          },
        });
      };
      const run = restartableRun(
        (signal) => go([{ role: 'user', content: 'Refund these orders' }], signal),
        (signal) => {
          if (stored === undefined) throw new Error('the run was abandoned before it persisted its messages');
          return go(stored, signal);
        },
      );
      return {
        executions,
        modelSaw: () => laterPromptsText(seen),
        ...run,
      };
    },
  };
}
