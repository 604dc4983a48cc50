// A refund agent that asks a person first. Run against a Loopgate server:
//   LOOPGATE_URL=http://localhost:3000 LOOPGATE_API_KEY=lg_… node refund-agent.mjs 1042 480
// It prints one JSON line saying what it did. (Executed by test/e2e/sdk/sdk-package.test.ts from the
// npm-packed tarball, so this is what an installed @loopgate/sdk really does.)
import { Loopgate, LoopgateTimeoutError } from '@loopgate/sdk';

const [orderId = '1042', amount = '480'] = process.argv.slice(2);
const loopgate = new Loopgate({ baseUrl: process.env.LOOPGATE_URL, apiKey: process.env.LOOPGATE_API_KEY });
const refund = { orderId: Number(orderId), amount: Number(amount), currency: 'EUR' };

try {
  const result = await loopgate.requestApproval(
    {
      title: `Refund order ${refund.orderId}: ${refund.amount} ${refund.currency}`,
      payload: refund,
      riskLevel: refund.amount > 250 ? 'high' : 'low',
      agent: { id: 'refund-example', name: 'Refund example' },
    },
    // The same key after a crash and restart finds the same task: the refund is asked for once.
    { key: `refund:${refund.orderId}`, timeoutMs: Number(process.env.APPROVAL_TIMEOUT_MS ?? 3_600_000) },
  );
  if (result.approved) {
    // Run exactly what was approved; the digest proves it to anyone holding the decision.
    console.log(JSON.stringify({ refunded: result.approvedPayload, payloadDigest: result.payloadDigest }));
  } else {
    console.log(JSON.stringify({ notRefunded: result.status, reason: result.decision?.comment ?? null }));
  }
} catch (error) {
  if (!(error instanceof LoopgateTimeoutError)) throw error;
  // Nobody decided in time: the task stays open on the board; do nothing now.
  console.log(JSON.stringify({ stillWaiting: error.task.id }));
  process.exitCode = 2;
}
