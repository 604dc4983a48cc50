// A LangChain v1 agent whose refund tool only runs once a person approves it in Loopgate.
//   LOOPGATE_URL=http://localhost:3000 LOOPGATE_API_KEY=lg_… node langchain-refund-agent.mjs 2042 120
// Needs: npm install @loopgate/sdk langchain @langchain/core @langchain/langgraph zod
// It prints one JSON line saying what happened. (Executed by test/e2e/sdk/sdk-package.test.ts from the
// npm-packed tarball.) The model here is LangChain's scripted fakeModel so the example runs offline;
// put your own (e.g. 'openai:gpt-4.1') in its place.
import { MemorySaver } from '@langchain/langgraph';
import { Loopgate, LoopgateTimeoutError } from '@loopgate/sdk';
import { runWithApprovals } from '@loopgate/sdk/langchain';
import { AIMessage, createAgent, fakeModel, humanInTheLoopMiddleware, ToolMessage, tool } from 'langchain';
import { z } from 'zod';

const [orderId = '2042', amount = '120'] = process.argv.slice(2);
const loopgate = new Loopgate({ baseUrl: process.env.LOOPGATE_URL, apiKey: process.env.LOOPGATE_API_KEY });

const refunded = [];
const refund = tool(
  async (args) => {
    refunded.push(args); // your real refund call goes here
    return `Refunded ${args.amount} EUR on order ${args.orderId}`;
  },
  {
    name: 'refund',
    description: 'Refund an order',
    schema: z.object({ orderId: z.string(), amount: z.number().min(0).describe('Amount in EUR') }),
  },
);

const model = fakeModel()
  .respondWithTools([{ name: 'refund', args: { orderId, amount: Number(amount) }, id: `call-refund-${orderId}` }])
  .respond(new AIMessage('Done.'));

const agent = createAgent({
  name: 'langchain-refund-example', // the task's agent.id
  model,
  tools: [refund],
  middleware: [humanInTheLoopMiddleware({ interruptOn: { refund: true } })],
  checkpointer: new MemorySaver(), // a durable checkpointer lets a restarted process carry on
});

try {
  const state = await runWithApprovals(
    agent,
    loopgate,
    { messages: [{ role: 'user', content: `Refund ${amount} EUR on order ${orderId}` }] },
    { configurable: { thread_id: `refund-${orderId}` } },
    { timeoutMs: Number(process.env.APPROVAL_TIMEOUT_MS ?? 3_600_000) },
  );
  if (refunded.length > 0) {
    console.log(JSON.stringify({ refunded: refunded[0] }));
  } else {
    // A rejection reaches the model as the tool's answer, with the reviewer's comment.
    const answer = state.messages.findLast((message) => ToolMessage.isInstance(message));
    console.log(JSON.stringify({ notRefunded: true, reason: answer?.content ?? null }));
  }
} catch (error) {
  if (!(error instanceof LoopgateTimeoutError)) throw error;
  // Nobody decided in time: the task stays open and the thread stays paused; run again with input null later.
  console.log(JSON.stringify({ stillWaiting: error.task.id }));
  process.exitCode = 2;
}
