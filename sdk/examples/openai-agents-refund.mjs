// An OpenAI Agents SDK agent whose refund tool waits for a person in Loopgate. Run against a server:
//   LOOPGATE_URL=http://localhost:3000 LOOPGATE_API_KEY=lg_… node openai-agents-refund.mjs A-1 40
// It prints one JSON line: what the tool really ran and the agent's final answer. The model is scripted so
// the example runs offline (it asks for the refund, then answers); for a real one, drop `model:` and set
// OPENAI_API_KEY. (Executed by sdk/src/adapters/adapter-examples.test.ts.)
import { Loopgate, LoopgateTimeoutError } from '@loopgate/sdk';
import { loopgateNeedsApproval, runWithApprovals } from '@loopgate/sdk/openai-agents';
import { Agent, setTracingDisabled, tool, Usage } from '@openai/agents';

const [orderId = 'A-1', amount = '40'] = process.argv.slice(2);
const loopgate = new Loopgate({ baseUrl: process.env.LOOPGATE_URL, apiKey: process.env.LOOPGATE_API_KEY });
setTracingDisabled(true); // the scripted run has nothing worth sending to OpenAI's trace viewer

const scriptedModel = {
  async getResponse(request) {
    const answered = Array.isArray(request.input) && request.input.some((i) => i.type === 'function_call_result');
    const output = answered
      ? [{ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Done.' }] }]
      : [
          {
            type: 'function_call',
            callId: `call_${orderId}`,
            name: 'refund',
            status: 'completed',
            arguments: JSON.stringify({ orderId, amount: Number(amount) }),
          },
        ];
    return { usage: new Usage(), output };
  },
  // biome-ignore lint/correctness/useYield: this example never streams
  async *getStreamedResponse() {
    throw new Error('not streamed in this example');
  },
};

const refunded = [];
const refund = tool({
  name: 'refund',
  description: 'Refund an order',
  parameters: {
    type: 'object',
    properties: { orderId: { type: 'string' }, amount: { type: 'number' } },
    required: ['orderId', 'amount'],
    additionalProperties: false,
  },
  needsApproval: loopgateNeedsApproval(),
  execute: async (args) => {
    refunded.push(args); // your payment call goes here
    return `refunded ${args.amount} on ${args.orderId}`;
  },
});
const agent = new Agent({
  name: 'Refund agent',
  instructions: 'Refund what is asked.',
  model: scriptedModel,
  tools: [refund],
});

try {
  const result = await runWithApprovals(agent, `Refund ${amount} on order ${orderId}`, loopgate, {
    runId: `example-${orderId}`, // stable: a rerun waits on the same task
    timeoutMs: Number(process.env.APPROVAL_TIMEOUT_MS ?? 3_600_000),
    // persist: (state) => store.save(runId, state) — then resumeRunWithApprovals after a restart
  });
  console.log(JSON.stringify({ refunded, finalOutput: result.finalOutput }));
} catch (error) {
  if (!(error instanceof LoopgateTimeoutError)) throw error;
  console.log(JSON.stringify({ stillWaiting: error.task.id }));
  process.exitCode = 2;
}
