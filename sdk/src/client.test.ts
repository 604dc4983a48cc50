import {
  approvalResult,
  idempotencyKeyFor,
  Loopgate,
  LoopgateError,
  LoopgateTimeoutError,
  payloadDigest,
  type Task,
} from './index.js';
import { pause, type RealServer, startRealServer } from './test-support/real-server.js';

/**
 * The SDK against the real server (server/dist, SQLite in a temp directory) as a child process, so
 * a restart is a real one: same port, same data, the waiting promise never told.
 */
describe('@loopgate/sdk against a real server', () => {
  let server: RealServer;
  let agent: Loopgate;
  let person: Loopgate;

  beforeAll(async () => {
    server = await startRealServer();
    ({ agent, person } = server);
  });
  afterAll(() => server.stop());

  /** Decides `id` as the person once the agent's long-poll is parked (a short pause makes the race honest). */
  const decideSoon = (id: () => string | undefined, body: Parameters<Loopgate['decide']>[1]) =>
    (async () => {
      while (id() === undefined) await pause(10);
      await pause(150);
      return person.decide(id() as string, body);
    })();

  test('createTask, getTask, decide and cancel map the REST calls', async () => {
    const task = await agent.createTask({ title: 'Refund order 1234', payload: { orderId: 1234, amount: 42.5 } });
    expect(task).toMatchObject({ status: 'pending_review', payload: { orderId: 1234, amount: 42.5 } });
    expect((await agent.getTask(task.id)).id).toBe(task.id);
    const decided = await person.decide(task.id, { action: 'approve', comment: 'fine' });
    expect(decided).toMatchObject({ status: 'approved', decision: { action: 'approve', comment: 'fine' } });
    const other = await agent.createTask({ title: 'Never mind', payload: {} });
    expect((await agent.cancel(other.id, { reason: 'agent changed its mind' })).status).toBe('cancelled');
  });

  test('requestApproval resolves with the decision, and a modified payload is what may run', async () => {
    let id: string | undefined;
    const input = { title: 'Refund order 77', payload: { orderId: 77, amount: 90 }, agent: { id: 'refund-bot' } };
    const waiting = agent.requestApproval(input, { key: 'thread-1:call-1' });
    // The same key gives the same task: a retried step waits on the one it made before.
    await pause(200);
    const sameTask = await agent.createTask(input, { idempotencyKey: await idempotencyKeyFor('thread-1:call-1') });
    id = sameTask.id;
    const deciding = decideSoon(() => id, {
      action: 'approve_with_modifications',
      modifiedPayload: { orderId: 77, amount: 60 },
    });
    const result = await waiting;
    await deciding;
    expect(result).toMatchObject({
      status: 'approved_with_modifications',
      approved: true,
      approvedPayload: { orderId: 77, amount: 60 },
      task: { id: sameTask.id, agent: { id: 'refund-bot' } },
    });
    expect(result.payloadDigest).toBe(await payloadDigest({ amount: 60, orderId: 77 }));
    expect(result.payloadDigest).toBe(result.decision?.payloadDigest);
    const page = await agent.listTasks({ agent: 'refund-bot' });
    expect(page.data.map((task) => task.id)).toEqual([sameTask.id]);
  });

  test('a rejection says so and lets nothing run; its reason is the comment', async () => {
    let id: string | undefined;
    const waiting = agent.createTask({ title: 'Delete the customer', payload: { customer: 9 } }).then(async (task) => {
      id = task.id;
      return agent.waitForDecision(task.id);
    });
    await decideSoon(() => id, { action: 'reject', comment: 'we never delete customers' });
    const task = await waiting;
    const result = await approvalResult(task);
    expect(result).toMatchObject({
      status: 'rejected',
      approved: false,
      approvedPayload: undefined,
      payloadDigest: null,
    });
    expect(result.decision?.comment).toBe('we never delete customers');
  });

  test('no decision in time: a timeout error carrying the still-open task', async () => {
    const error = await agent
      .requestApproval({ title: 'Nobody looks', payload: { n: 1 } }, { key: 'timeout-case', timeoutMs: 1200 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LoopgateTimeoutError);
    expect((error as LoopgateTimeoutError).task.status).toBe('pending_review');
  });

  test('an abort signal ends the wait at once', async () => {
    const controller = new AbortController();
    const waiting = agent.requestApproval(
      { title: 'Aborted', payload: {} },
      { key: 'abort-case', signal: controller.signal },
    );
    await pause(200);
    controller.abort(new Error('the user closed the chat'));
    await expect(waiting).rejects.toThrow('the user closed the chat');
  });

  test('problems arrive typed with their code and field errors', async () => {
    const bad = await agent.createTask({ title: '', payload: {} }).catch((caught: unknown) => caught);
    expect(bad).toBeInstanceOf(LoopgateError);
    expect(bad).toMatchObject({ status: 400, code: 'validation_failed' });
    expect((bad as LoopgateError).errors.map((e) => e.path)).toContain('title');
    const stranger = new Loopgate({ baseUrl: server.url, apiKey: 'lg_not_a_key' });
    await expect(stranger.getTask('tsk_x')).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    const task = await agent.createTask({ title: 'Once', payload: {} });
    await person.decide(task.id, { action: 'approve' });
    await expect(person.decide(task.id, { action: 'approve' })).rejects.toMatchObject({ code: 'task_already_decided' });
    expect(() => new Loopgate({ baseUrl: 'localhost:3000', apiKey: 'k' })).toThrow(/baseUrl/);
  });

  test('a revoked approval: waitForDecision resolves with status revoked, approvalResult lets nothing run, the decision stays', async () => {
    const task = await agent.createTask({ title: 'Refund, then revoked', payload: { amount: 9 } });
    await person.decide(task.id, { action: 'approve', comment: 'fine' });
    const approved = await approvalResult(await agent.waitForDecision(task.id, { timeoutMs: 5_000 }));
    expect(approved).toMatchObject({ status: 'approved', approved: true });
    await expect(person.revoke(task.id, { reason: 'no' })).rejects.toMatchObject({ status: 403, code: 'forbidden' });
    const revoked = await server.admin.revoke(task.id, { reason: 'paid twice' });
    expect(revoked).toMatchObject({ status: 'revoked', decision: { action: 'approve', comment: 'fine' } });
    const waited = await agent.waitForDecision(task.id, { timeoutMs: 5_000 });
    expect(waited.status).toBe('revoked');
    expect(await approvalResult(waited)).toMatchObject({
      status: 'revoked',
      approved: false,
      approvedPayload: undefined,
      payloadDigest: null,
    });
    await expect(server.admin.revoke(task.id, { reason: 'again' })).rejects.toMatchObject({ code: 'conflict' });
  });

  test('a wait parked across a server restart still gets the decision made after it', async () => {
    const task = await agent.createTask({ title: 'Survives a restart', payload: { x: 1 } });
    const waiting = agent.waitForDecision(task.id, { timeoutMs: 60_000 });
    await pause(200);
    await server.restart();
    await person.decide(task.id, { action: 'approve' });
    const final: Task = await waiting;
    expect(final.status).toBe('approved');
  });
});
