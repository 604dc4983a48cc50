// AI SDK tools whose refund waits for a person in Loopgate. Run against a server:
//   LOOPGATE_URL=http://localhost:3000 LOOPGATE_API_KEY=lg_… node ai-sdk-refund.mjs A-1 40
// It prints one JSON line: what the tool really ran and the model's final text. The model is the AI SDK's
// MockLanguageModelV3, scripted so the example runs offline (it asks for the refund, then answers); for a
// real one pass e.g. openai('gpt-4.1') as `model`. (Executed by sdk/src/adapters/adapter-examples.test.ts.)
import { Loopgate, LoopgateTimeoutError } from '@loopgate/sdk';
import { LoopgateApprovals } from '@loopgate/sdk/ai-sdk';
import { generateText, jsonSchema, tool } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';

const [orderId = 'A-1', amount = '40'] = process.argv.slice(2);
const loopgate = new Loopgate({ baseUrl: process.env.LOOPGATE_URL, apiKey: process.env.LOOPGATE_API_KEY });

const usage = { inputTokens: { total: 1, noCache: 1 }, outputTokens: { total: 1, text: 1 } };
const model = new MockLanguageModelV3({
  doGenerate: async ({ prompt }) => {
    const answered = prompt.some((m) => m.role === 'tool' && m.content.some((p) => p.type === 'tool-result'));
    return answered
      ? { content: [{ type: 'text', text: 'Done.' }], finishReason: { unified: 'stop' }, usage, warnings: [] }
      : {
          content: [
            {
              type: 'tool-call',
              toolCallId: `call_${orderId}`,
              toolName: 'refund',
              input: JSON.stringify({ orderId, amount: Number(amount) }),
            },
          ],
          finishReason: { unified: 'tool-calls' },
          usage,
          warnings: [],
        };
  },
});

const refunded = [];
const approvals = new LoopgateApprovals(loopgate, {
  runId: `example-${orderId}`, // stable: a rerun waits on the same task
  agent: { id: 'ai-sdk-refund-example', name: 'Refund example (AI SDK)' },
});
const tools = approvals.gate({
  refund: tool({
    description: 'Refund an order',
    inputSchema: jsonSchema({
      type: 'object',
      properties: { orderId: { type: 'string' }, amount: { type: 'number' } },
      required: ['orderId', 'amount'],
    }),
    execute: async (args) => {
      refunded.push(args); // your payment call goes here
      return `refunded ${args.amount} on ${args.orderId}`;
    },
  }),
});

try {
  const { result } = await approvals.generate(
    (messages) => generateText({ model, tools, messages }),
    [{ role: 'user', content: `Refund ${amount} on order ${orderId}` }],
    // persist: (messages) => store.save(runId, messages) — pass them back to generate() after a restart
    { timeoutMs: Number(process.env.APPROVAL_TIMEOUT_MS ?? 3_600_000) },
  );
  console.log(JSON.stringify({ refunded, text: result?.text }));
} catch (error) {
  if (!(error instanceof LoopgateTimeoutError)) throw error;
  console.log(JSON.stringify({ stillWaiting: error.task.id }));
  process.exitCode = 2;
}
