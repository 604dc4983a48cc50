import { spawn } from 'node:child_process';
import path from 'node:path';
import type { DecisionInput, Task } from '@loopgate/shared';
import { eventually, type RealServer, startRealServer } from '../test-support/real-server.js';

const EXAMPLES = path.resolve(__dirname, '../../examples');

/**
 * The adapters' examples (sdk/examples/*.mjs, shipped in the package) run as a user would run them:
 * a node process importing the built @loopgate/sdk subpaths, against a real server, with a person
 * deciding. Needs sdk/dist (`npm run build -w sdk`; `npm test` builds first).
 */
describe.each([
  ['langgraph-refund.mjs', 'answer'],
  ['openai-agents-refund.mjs', 'finalOutput'],
  ['ai-sdk-refund.mjs', 'text'],
])('examples/%s', (file, answerField) => {
  let server: RealServer;
  beforeAll(async () => {
    server = await startRealServer();
  });
  afterAll(() => server.stop());

  let n = 0;
  const decideExample = async (amount: number, decision: (task: Task) => DecisionInput) => {
    const orderId = `EX-${++n}`;
    const run = runExample(file, [orderId, String(amount)], server);
    const task = await eventually(async () => {
      const page = await server.person.listTasks({ status: 'pending_review' });
      return page.data.find((t) => (t.payload as { orderId?: string }).orderId === orderId);
    });
    expect(task.payload).toEqual({ orderId, amount });
    expect(task.agent?.id).toEqual(expect.any(String));
    await server.person.decide(task.id, decision(task));
    const { code, stdout, stderr } = await run;
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    return { orderId, printed: JSON.parse(stdout.trim()) };
  };

  test('approve: the refund runs once with the proposed arguments and the agent answers', async () => {
    const { orderId, printed } = await decideExample(40, () => ({ action: 'approve' }));
    expect(printed).toEqual({ refunded: [{ orderId, amount: 40 }], [answerField]: 'Done.' });
  });

  test('edit: the refund runs once with the reviewer’s amount', async () => {
    const { orderId, printed } = await decideExample(90, (task) => ({
      action: 'approve_with_modifications',
      modifiedPayload: { ...(task.payload as object), amount: 60 },
    }));
    expect(printed).toEqual({ refunded: [{ orderId, amount: 60 }], [answerField]: 'Done.' });
  });

  test('reject: nothing is refunded and the agent still answers', async () => {
    const { printed } = await decideExample(5000, () => ({ action: 'reject', comment: 'too much' }));
    expect(printed).toEqual({ refunded: [], [answerField]: 'Done.' });
  });

  test('nobody decides in time: it says which task still waits and exits 2', async () => {
    const { code, stdout } = await runExample(file, ['EX-late', '10'], server, { APPROVAL_TIMEOUT_MS: '500' });
    expect(code).toBe(2);
    expect(JSON.parse(stdout.trim())).toEqual({ stillWaiting: expect.stringMatching(/^tsk_/) });
  });
});

function runExample(file: string, args: string[], server: RealServer, extra: Record<string, string> = {}) {
  const child = spawn(process.execPath, [path.join(EXAMPLES, file), ...args], {
    env: { PATH: process.env.PATH, LOOPGATE_URL: server.url, LOOPGATE_API_KEY: server.agentKey, ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, stdout, stderr })),
  );
}
