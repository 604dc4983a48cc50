// A LangGraph.js graph whose refund step waits for a person in Loopgate. Run against a server:
//   LOOPGATE_URL=http://localhost:3000 LOOPGATE_API_KEY=lg_… node langgraph-refund.mjs A-1 40
// It prints one JSON line: what the refund step really ran and the graph's answer. The graph has no model
// (the proposal comes from the command line) so it runs offline; in an agent the proposal is the model's
// tool call and `key` its id. (Executed by sdk/src/adapters/adapter-examples.test.ts.)
import { Annotation, END, MemorySaver, START, StateGraph } from '@langchain/langgraph';
import { Loopgate, LoopgateTimeoutError } from '@loopgate/sdk';
import { approvalInterrupt, runWithApprovals } from '@loopgate/sdk/langgraph';

const [orderId = 'A-1', amount = '40'] = process.argv.slice(2);
const loopgate = new Loopgate({ baseUrl: process.env.LOOPGATE_URL, apiKey: process.env.LOOPGATE_API_KEY });

const refunded = [];
const State = Annotation.Root({
  proposal: Annotation(),
  answer: Annotation(),
});

const graph = new StateGraph(State)
  .addNode('refund', async (state, config) => {
    // Re-run on resume: the same key finds the same task, and the decision comes back as the result.
    const result = await approvalInterrupt(
      loopgate,
      {
        title: `Refund ${state.proposal.amount} on ${state.proposal.orderId}`,
        payload: state.proposal,
        agent: { id: 'langgraph-refunds' },
      },
      { key: `refund-${state.proposal.orderId}`, config },
    );
    if (!result.approved) return { answer: 'Done.' };
    refunded.push(result.approvedPayload); // your payment call goes here, with what the person approved
    return { answer: 'Done.' };
  })
  .addEdge(START, 'refund')
  .addEdge('refund', END)
  .compile({ checkpointer: new MemorySaver() }); // a durable checkpointer in production, so a restart resumes

try {
  const final = await runWithApprovals(
    graph,
    loopgate,
    { proposal: { orderId, amount: Number(amount) } },
    { configurable: { thread_id: `example-${orderId}` } },
    { timeoutMs: Number(process.env.APPROVAL_TIMEOUT_MS ?? 3_600_000) },
  );
  console.log(JSON.stringify({ refunded, answer: final.answer }));
} catch (error) {
  if (!(error instanceof LoopgateTimeoutError)) throw error;
  console.log(JSON.stringify({ stillWaiting: error.task.id }));
  process.exitCode = 2;
}
