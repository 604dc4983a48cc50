import { Command, interrupt, type LangGraphRunnableConfig } from '@langchain/langgraph';
import type { AgentIdentity, CreateTaskInput, Task } from '@loopgate/shared';
import { type ApprovalResult, approvalResult, idempotencyKeyFor, type Loopgate, type WaitOptions } from '../client.js';

/** What a Loopgate interrupt carries in `state.tasks[].interrupts[].value`, so a resumer can find it again. */
export interface LoopgateInterruptValue {
  kind: 'loopgate.approval';
  taskId: string;
  title: string;
  payload: unknown;
}

/** The slice of a compiled LangGraph graph the resumer uses (any StateGraph's `compile()` result). */
export interface ResumableGraph {
  getState(
    config: LangGraphRunnableConfig,
  ): Promise<{ tasks: readonly { interrupts: readonly { id?: string; value?: unknown }[]; result?: unknown }[] }>;
  invoke(input: unknown, config: LangGraphRunnableConfig): Promise<unknown>;
  /** The compiled graph's name (`compile({ name })`): the agent its tasks name. */
  name?: string;
}

/**
 * Inside a graph node: ask a person through Loopgate and pause the graph until they decide.
 *
 * The task is created idempotently from the thread id and `key` (use the tool call's id), so when
 * LangGraph re-runs the node on resume it finds the same task instead of making another. The first
 * run ends in `interrupt()`; the resumed run returns the {@link ApprovalResult} that
 * {@link resumeCommand} passed in. A task the queue's policy decides at once (auto-approval)
 * returns without interrupting.
 */
export async function approvalInterrupt(
  loopgate: Loopgate,
  input: CreateTaskInput,
  options: { key: string; config?: LangGraphRunnableConfig },
): Promise<ApprovalResult> {
  const threadId = options.config?.configurable?.thread_id;
  const key = threadId === undefined ? `langgraph:${options.key}` : `langgraph:${String(threadId)}:${options.key}`;
  const task = await loopgate.createTask(
    { ...input, agent: input.agent ?? agentOf(options.config) },
    { idempotencyKey: await idempotencyKeyFor(key) },
  );
  if (task.status !== 'pending_review' && task.status !== 'in_review') return approvalResult(task);
  const value: LoopgateInterruptValue = {
    kind: 'loopgate.approval',
    taskId: task.id,
    title: task.title,
    payload: task.payload,
  };
  const resumed = interrupt<LoopgateInterruptValue, ApprovalResult>(value);
  if (resumed?.task?.id !== task.id) {
    throw new Error(`Resumed with a decision for ${String(resumed?.task?.id)}, but this interrupt waits on ${task.id}`);
  }
  return resumed;
}

/** Where runWithApprovals puts the graph's identity in the run's config, for approvalInterrupt to find. */
const AGENT_KEY = 'loopgate_agent';

/**
 * The agent a task names when the node gives none: the graph (`compile({ name })`) when it runs under
 * runWithApprovals, else the node. A node's config carries no graph name, so the runner passes it.
 */
function agentOf(config: LangGraphRunnableConfig | undefined): AgentIdentity {
  const fromRunner = config?.configurable?.[AGENT_KEY] as AgentIdentity | undefined;
  if (fromRunner) return fromRunner;
  const node = config?.metadata?.langgraph_node;
  return { id: typeof node === 'string' && node.trim() ? `langgraph:node:${idPart(node)}` : 'langgraph' };
}

/** A name as part of an agent id: no spaces (the id's one rule), at most 100 characters. */
const idPart = (name: string) => name.trim().replace(/\s+/g, '-').slice(0, 100);

/** The graph as the agent of its tasks: `langgraph:<name>` (the compiled graph's name; "LangGraph" by default). */
export function graphAgent(graph: { name?: string }): AgentIdentity {
  const name = graph.name?.trim() || 'LangGraph';
  return { id: `langgraph:${idPart(name)}`, name: name.slice(0, 200) };
}

/** The Loopgate tasks a thread is paused on, each with the interrupt id that resumes it. */
export async function pendingApprovals(
  graph: ResumableGraph,
  config: LangGraphRunnableConfig,
): Promise<{ interruptId: string; taskId: string }[]> {
  const state = await graph.getState(config);
  const pending: { interruptId: string; taskId: string }[] = [];
  for (const task of state.tasks) {
    // A task resumed while its siblings still wait has its result and keeps its old interrupt.
    if (task.result !== undefined) continue;
    for (const paused of task.interrupts) {
      const value = paused.value as Partial<LoopgateInterruptValue> | undefined;
      if (value?.kind === 'loopgate.approval' && typeof value.taskId === 'string' && paused.id) {
        pending.push({ interruptId: paused.id, taskId: value.taskId });
      }
    }
  }
  return pending;
}

/**
 * `Command({ resume })` for the interrupt on `config`'s thread that waits on `decided` (from a
 * webhook or `waitForDecision`). Keyed by interrupt id, so with several approvals pending on one
 * thread only this one resumes.
 */
export async function resumeCommand(
  graph: ResumableGraph,
  config: LangGraphRunnableConfig,
  decided: Task,
): Promise<Command> {
  const match = (await pendingApprovals(graph, config)).find((pending) => pending.taskId === decided.id);
  if (!match) throw new Error(`Thread ${String(config.configurable?.thread_id)} is not waiting on task ${decided.id}`);
  return new Command({ resume: { [match.interruptId]: await approvalResult(decided) } });
}

/**
 * Runs the graph (or, with `input` null, carries on a thread already paused — e.g. after this
 * process restarted) until it is no longer waiting on Loopgate: each decision resumes its own
 * interrupt the moment it is made. Resolves with the graph's last result.
 */
export async function runWithApprovals(
  graph: ResumableGraph,
  loopgate: Loopgate,
  input: unknown,
  config: LangGraphRunnableConfig,
  options: WaitOptions = {},
): Promise<unknown> {
  // The tasks the graph's nodes create name the graph, unless the caller set an agent already.
  const configured = config.configurable?.[AGENT_KEY]
    ? config
    : { ...config, configurable: { ...config.configurable, [AGENT_KEY]: graphAgent(graph) } };
  return runConfigured(graph, loopgate, input, configured, options);
}

async function runConfigured(
  graph: ResumableGraph,
  loopgate: Loopgate,
  input: unknown,
  config: LangGraphRunnableConfig,
  options: WaitOptions,
): Promise<unknown> {
  let result = input === null ? undefined : await graph.invoke(input, config);
  for (;;) {
    const pending = await pendingApprovals(graph, config);
    if (pending.length === 0) return result ?? (await graph.getState(config));
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    try {
      const decided = await Promise.race(
        pending.map((waiting) => loopgate.waitForDecision(waiting.taskId, { ...options, signal })),
      );
      result = await graph.invoke(await resumeCommand(graph, config, decided), config);
    } finally {
      stop.abort();
    }
  }
}
