import type { Task } from '@loopgate/shared';
import { eventually, pause, type RealServer, startRealServer } from '../../test-support/real-server.js';

/**
 * One scenario list for every agent adapter (LangGraph, LangChain, OpenAI Agents, AI SDK, …), so
 * "approve runs the tool once", "reject tells the model why" and "a restart still resumes" mean the
 * same thing for each of them. Each adapter supplies a harness; the suite drives a real Loopgate
 * server and decides as a person would.
 */

/** One tool call the scripted model makes. The tool is always `refund` with args like { orderId: 'A-1', amount: 40 }. */
export interface ScriptedToolCall {
  id: string;
  name: 'refund';
  args: { orderId: string; amount: number };
}

/** What an adapter's harness gives the suite. Each harness builds a real agent of its framework with that framework's own
 *  scripted/fake model (first turn: the given tool calls, all in one turn; afterwards a final text answer), a `refund` tool
 *  that records each execution, and the adapter wiring it through Loopgate (`server.agent` creates the tasks). */
export interface AgentHarness {
  /** Starts a run (does not wait for it to finish). */
  start(calls: ScriptedToolCall[]): AgentRun;
}
export interface AgentRun {
  /** Tool executions that really happened, in order. */
  readonly executions: { callId: string; args: unknown }[];
  /** Text of everything the model was shown on its later turns (the suite looks for a rejection reason in it). */
  modelSaw(): string;
  /** Simulates the agent process dying while it waits: abandon this in-process wait, then continue from what the
   *  framework persisted (checkpointer / serialised RunState / message history) in a freshly built agent. */
  restart(): Promise<void>;
  /** Resolves when the run has ended (after all approvals are settled and the model's final answer). */
  finished(): Promise<void>;
}
export type HarnessFactory = (server: RealServer) => AgentHarness;

/** Where a framework's own semantics differ from the common case, and the suite checks that framework's instead. */
export interface ConformanceOptions {
  /**
   * LangChain v1's humanInTheLoopMiddleware treats one model turn as a batch: when any call in it is
   * rejected, it runs none of them and hands the turn back to the model (documented, and tested
   * upstream). With this set, case 5 checks that instead — nothing ran, the model saw the comment
   * and was told which approved call was held back — and an extra case checks that two calls
   * decided in reverse order (one edited) each run with their own args.
   */
  rejectionHoldsBackApprovedCallsInTurn?: boolean;
}

/** How long a run may take to end once its last approval is decided (a decision is pushed, not polled). */
const FINISH_MS = 15_000;

/** Registers the jest cases for one adapter: describe(`${name} conformance`, …) with its own real server. */
export function describeAdapterConformance(
  name: string,
  factory: HarnessFactory,
  options: ConformanceOptions = {},
): void {
  describe(`${name} conformance`, () => {
    let server: RealServer;
    let harness: AgentHarness;
    beforeAll(async () => {
      server = await startRealServer();
      harness = factory(server);
    });
    afterAll(() => server?.stop());

    // Order ids unique to each case, so a case finds its own tasks on the shared server.
    let cases = 0;
    const scripted = (amounts: number[]): ScriptedToolCall[] => {
      const n = ++cases;
      return amounts.map((amount, i) => ({
        id: `call_${name}_${n}_${i + 1}`,
        name: 'refund',
        args: { orderId: `A-${n}-${i + 1}`, amount },
      }));
    };

    /** Every task whose payload names one of `calls`' orders, in the order of `calls`. */
    const tasksFor = async (calls: ScriptedToolCall[]): Promise<Task[]> => {
      const page = await server.person.listTasks({ limit: 100 });
      const orderOf = (task: Task) => (task.payload as { orderId?: unknown } | null)?.orderId;
      return calls.flatMap((call) => page.data.filter((task) => orderOf(task) === call.args.orderId));
    };

    /** The run's open tasks, once the adapter has made one for each call (and no more). */
    const waitingTasks = async (calls: ScriptedToolCall[]): Promise<Task[]> => {
      const tasks = await eventually(async () => {
        const found = await tasksFor(calls);
        return found.length >= calls.length ? found : undefined;
      });
      expect(tasks).toHaveLength(calls.length);
      for (const task of tasks) expect(task.status).toMatch(/^(pending_review|in_review)$/);
      return tasks;
    };

    /** The run ends, and it still made exactly one task per call (no duplicate on resume or restart). */
    const finishes = async (run: AgentRun, calls: ScriptedToolCall[]) => {
      await withinMs(run.finished(), FINISH_MS, `${name}: the run did not finish after its decisions`);
      expect(await tasksFor(calls)).toHaveLength(calls.length);
    };

    test('approve: one task with the tool args and the agent named; the tool runs once with them', async () => {
      const calls = scripted([40]);
      const run = harness.start(calls);
      const [task] = (await waitingTasks(calls)) as [Task];
      expect(task.payload).toEqual(calls[0]!.args);
      expect(task.agent?.id).toEqual(expect.any(String));
      expect(task.agent?.id).not.toBe('');
      await pause(100); // nothing runs while the person has not decided
      expect(run.executions).toEqual([]);

      await server.person.decide(task.id, { action: 'approve' });
      await finishes(run, calls);
      expect(run.executions).toEqual([{ callId: calls[0]!.id, args: calls[0]!.args }]);
    });

    test('approve with modifications: the tool runs once, with the edited args', async () => {
      const calls = scripted([90]);
      const run = harness.start(calls);
      const [task] = (await waitingTasks(calls)) as [Task];
      const edited = { orderId: calls[0]!.args.orderId, amount: 60 };
      await server.person.decide(task.id, { action: 'approve_with_modifications', modifiedPayload: edited });
      await finishes(run, calls);
      expect(run.executions).toEqual([{ callId: calls[0]!.id, args: edited }]);
    });

    test('reject with a comment: the tool does not run and the model is shown the comment', async () => {
      const calls = scripted([5000]);
      const run = harness.start(calls);
      const [task] = (await waitingTasks(calls)) as [Task];
      const comment = `over the refund limit (${name} case ${cases})`;
      await server.person.decide(task.id, { action: 'reject', comment });
      await finishes(run, calls);
      expect(run.executions).toEqual([]);
      expect(run.modelSaw()).toContain(comment);
    });

    test('restart before the decision: the decision still resumes the run; the tool runs once', async () => {
      const calls = scripted([30]);
      const run = harness.start(calls);
      const [task] = (await waitingTasks(calls)) as [Task];
      await run.restart();
      expect(run.executions).toEqual([]);
      await pause(100); // let the restarted agent settle into waiting before the person decides
      await server.person.decide(task.id, { action: 'approve' });
      await finishes(run, calls);
      expect(run.executions).toEqual([{ callId: calls[0]!.id, args: calls[0]!.args }]);
    });

    test('two tool calls in one turn: two tasks, decided in reverse order, each resumes its own call', async () => {
      const calls = scripted([10, 20]);
      const run = harness.start(calls);
      const [first, second] = (await waitingTasks(calls)) as [Task, Task];
      expect(first.payload).toEqual(calls[0]!.args);
      expect(second.payload).toEqual(calls[1]!.args);
      expect(first.id).not.toBe(second.id);

      await server.person.decide(second.id, { action: 'approve' });
      const comment = `duplicate of another refund (${name} case ${cases})`;
      await server.person.decide(first.id, { action: 'reject', comment });
      await finishes(run, calls);
      if (options.rejectionHoldsBackApprovedCallsInTurn) {
        expect(run.executions).toEqual([]);
        expect(run.modelSaw()).toContain(comment);
        expect(run.modelSaw()).toContain(JSON.stringify(calls[1]!.args)); // told what was approved but held back
      } else {
        expect(run.executions).toEqual([{ callId: calls[1]!.id, args: calls[1]!.args }]);
        expect(run.modelSaw()).toContain(comment);
      }
    });

    if (options.rejectionHoldsBackApprovedCallsInTurn) {
      test('two tool calls in one turn, both approved in reverse order (one edited): each runs with its own args', async () => {
        const calls = scripted([10, 20]);
        const run = harness.start(calls);
        const [first, second] = (await waitingTasks(calls)) as [Task, Task];
        const edited = { orderId: calls[1]!.args.orderId, amount: 15 };
        await server.person.decide(second.id, { action: 'approve_with_modifications', modifiedPayload: edited });
        await pause(100); // the first decision alone resumes nothing: the turn waits for both
        expect(run.executions).toEqual([]);
        await server.person.decide(first.id, { action: 'approve' });
        await finishes(run, calls);
        const byCall = [...run.executions].sort((a, b) => a.callId.localeCompare(b.callId));
        expect(byCall).toEqual([
          { callId: calls[0]!.id, args: calls[0]!.args },
          { callId: calls[1]!.id, args: edited },
        ]);
      });
    }
  });
}

async function withinMs<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
