import type { AgentIdentity, CreateTaskInput } from '@loopgate/shared';
import {
  type Agent,
  type AgentInputItem,
  type AgentOutputType,
  type FunctionTool,
  type NonStreamRunOptions,
  type protocol,
  type RunContext,
  type RunResult,
  RunState,
  type RunToolApprovalItem,
  run,
} from '@openai/agents';
import type { ApprovalResult, Loopgate, WaitOptions } from '../client.js';

/** One tool call the run paused on, as the Loopgate task describes it. */
export interface ToolCallForApproval {
  toolName: string;
  callId: string;
  /** The arguments the model proposed (parsed from the call's JSON). */
  args: unknown;
  /** The name of the Agent that made the call. */
  agentName: string;
}

/**
 * A tool's `needsApproval` that sends its calls to Loopgate (all of them, or those `when` picks —
 * e.g. refunds over a limit). The SDK then pauses the run on each such call and
 * {@link runWithApprovals} makes it a Loopgate task; whether a person sees it is up to the queue's
 * routing policy (an auto-approved task lets the call run at once, with no one asked).
 */
export function loopgateNeedsApproval<TInput = unknown>(
  options: { when?: (input: TInput, runContext: RunContext) => boolean | Promise<boolean> } = {},
): (runContext: RunContext, input: TInput, callId?: string) => Promise<boolean> {
  return async (runContext, input) => (options.when ? await options.when(input, runContext) : true);
}

export interface RunWithApprovalsOptions<TContext> extends WaitOptions {
  /**
   * A stable id for this run in your world (a conversation or job id). With each call's id it keys
   * the Loopgate tasks, so a resumed or restarted run waits on the tasks it made before.
   */
  runId: string;
  /**
   * Called with the serialised `RunState` (`state.toString()`) each time the run pauses on
   * approvals. Store it: after a restart, {@link resumeRunWithApprovals} carries on from it.
   */
  persist?: (serializedState: string) => void | Promise<void>;
  /** Title, queue, risk, form… for a call's task. The payload is always the call's arguments. */
  describeTask?: (call: ToolCallForApproval) => Omit<CreateTaskInput, 'payload'>;
  /** Who the tasks say asked; default: an id and name from the Agent's `name`. */
  agent?: AgentIdentity;
  /** Passed to every `run()` (context, maxTurns, …); not `stream`. */
  runOptions?: Omit<NonStreamRunOptions<TContext>, 'stream' | 'signal'>;
}

/**
 * Any agent, bounded as the SDK's own `run()` bounds it: Agent is invariant in its output type, so
 * no narrower bound admits every agent.
 */
// biome-ignore lint/suspicious/noExplicitAny: the SDK's run() takes `Agent<any, any>`; see above
export type AnyAgent = Agent<any, any>;

/**
 * Runs the agent and settles every approval it pauses on through Loopgate: for each of
 * `result.interruptions` a task (the tool's arguments as payload), then, the moment a person
 * decides one, `state.approve(item)` or `state.reject(item, { message })` and the run resumes.
 * Several pending calls are resumed one decision at a time, each its own.
 *
 * Approved with modifications: the SDK has no way to change a call's arguments, so the original
 * call is rejected towards the model with a message that names the edit and carries the result,
 * and the tool is run here, once, with the approved payload (its `execute` sees the same call id).
 *
 * A decision that does not come within `timeoutMs` throws {@link LoopgateTimeoutError} and leaves
 * the run paused (and persisted): resume it later with {@link resumeRunWithApprovals}.
 */
export async function runWithApprovals<TContext, TAgent extends AnyAgent>(
  agent: TAgent,
  input: string | AgentInputItem[] | RunState<TContext, TAgent>,
  loopgate: Loopgate,
  options: RunWithApprovalsOptions<TContext>,
): Promise<RunResult<TContext, TAgent>> {
  let result = (await run(agent, input, { ...options.runOptions, signal: options.signal })) as RunResult<
    TContext,
    TAgent
  >;
  for (;;) {
    const pending = result.interruptions;
    if (pending.length === 0) return result;
    const state = result.state;
    await options.persist?.(state.toString());
    const decided = await firstDecision(pending, loopgate, options);
    await settle(state as unknown as AnyRunState, decided.item, decided.result, options);
    result = (await run(agent, state, { ...options.runOptions, signal: options.signal })) as RunResult<
      TContext,
      TAgent
    >;
  }
}

/**
 * After a restart: rebuilds the `RunState` that {@link RunWithApprovalsOptions.persist} stored
 * (`RunState.fromString`, with a freshly built agent of the same name and tools) and carries on
 * waiting on the same Loopgate tasks.
 */
export async function resumeRunWithApprovals<TContext, TAgent extends AnyAgent>(
  agent: TAgent,
  serializedState: string,
  loopgate: Loopgate,
  options: RunWithApprovalsOptions<TContext>,
): Promise<RunResult<TContext, TAgent>> {
  const state = await RunState.fromString<TContext, TAgent>(agent, serializedState);
  return runWithApprovals(agent, state, loopgate, options);
}

/** The Loopgate task a paused call becomes; the same call always gives the same body (idempotent create). */
export function taskInputForCall(
  call: ToolCallForApproval,
  options: {
    describeTask?: (call: ToolCallForApproval) => Omit<CreateTaskInput, 'payload'>;
    agent?: AgentIdentity;
  } = {},
): CreateTaskInput {
  const described = options.describeTask?.(call);
  return {
    title: `Run ${call.toolName}`,
    source: 'openai-agents',
    context: { framework: 'openai-agents', toolName: call.toolName, callId: call.callId },
    ...described,
    payload: call.args as CreateTaskInput['payload'],
    agent: described?.agent ?? options.agent ?? agentIdentityFor(call.agentName),
  };
}

/** The Idempotency-Key source for one call of one run. */
export function approvalKeyFor(runId: string, callId: string): string {
  return `openai-agents:${runId}:${callId}`;
}

/** Agent ids have no spaces: "Refund agent" → "refund-agent", keeping the name as it is. */
export function agentIdentityFor(agentName: string): AgentIdentity {
  const id = agentName.trim().toLowerCase().replace(/\s+/g, '-').slice(0, 128) || 'openai-agent';
  return { id, name: agentName.slice(0, 200) };
}

function callOf(item: RunToolApprovalItem): ToolCallForApproval {
  const raw = item.rawItem as { callId?: string; id?: string };
  const callId = raw.callId ?? raw.id;
  if (!callId) throw new Error(`Loopgate: the approval for ${String(item.name)} has no call id`);
  return { toolName: item.name ?? 'tool', callId, args: parseArguments(item.arguments), agentName: item.agent.name };
}

function parseArguments(text: string | undefined): unknown {
  if (text === undefined || text === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON (a malformed call): the reviewer sees it as the model wrote it.
    return { arguments: text };
  }
}

/**
 * Makes (or finds) each pending call's task and resolves with the first one decided. The waits on
 * the others are dropped; the next round re-finds their tasks by key, so nothing is made twice.
 */
async function firstDecision<TContext>(
  pending: RunToolApprovalItem[],
  loopgate: Loopgate,
  options: RunWithApprovalsOptions<TContext>,
): Promise<{ item: RunToolApprovalItem; result: ApprovalResult }> {
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  try {
    return await Promise.race(
      pending.map(async (item) => {
        const call = callOf(item);
        const result = await loopgate.requestApproval(taskInputForCall(call, options), {
          key: approvalKeyFor(options.runId, call.callId),
          timeoutMs: options.timeoutMs,
          signal,
        });
        return { item, result };
      }),
    );
  } finally {
    stop.abort();
  }
}

/** Any run's state, whatever its context and output (the approval calls need neither). */
type AnyRunState = RunState<unknown, Agent<unknown, AgentOutputType>>;

async function settle(
  state: AnyRunState,
  item: RunToolApprovalItem,
  result: ApprovalResult,
  options: { signal?: AbortSignal },
): Promise<void> {
  if (!result.approved) {
    state.reject(item, { message: rejectionMessage(result) });
    return;
  }
  if (result.status === 'approved') {
    state.approve(item);
    return;
  }
  // Approved with modifications: run the tool here with the approved payload, then tell the model.
  const output = await invokeWithPayload(state, item, result.approvedPayload, options);
  state.reject(item, {
    message:
      `A reviewer changed the arguments of this call to ${JSON.stringify(result.approvedPayload)}; ` +
      `it ran with those and returned: ${typeof output === 'string' ? output : JSON.stringify(output)}`,
  });
}

function rejectionMessage(result: ApprovalResult): string {
  const comment = result.decision?.comment;
  if (result.status === 'rejected') {
    return comment ? `A reviewer rejected this call: ${comment}` : 'A reviewer rejected this call.';
  }
  // expired or cancelled: nobody approved it, so it did not run.
  return `This call was not approved (the Loopgate task was ${result.status}${comment ? `: ${comment}` : ''}); it did not run.`;
}

async function invokeWithPayload(
  state: AnyRunState,
  item: RunToolApprovalItem,
  payload: unknown,
  options: { signal?: AbortSignal },
): Promise<unknown> {
  const tools = await item.agent.getAllTools(state._context);
  const tool = tools.find(
    (candidate: { type: string; name: string }) => candidate.type === 'function' && candidate.name === item.name,
  ) as FunctionTool | undefined;
  if (!tool) throw new Error(`Loopgate: agent ${item.agent.name} has no function tool named ${String(item.name)}`);
  const raw = item.rawItem as protocol.FunctionCallItem;
  return tool.invoke(state._context, JSON.stringify(payload), {
    toolCall: { ...raw, arguments: JSON.stringify(payload) },
    signal: options.signal,
  });
}
