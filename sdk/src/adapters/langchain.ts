import { toJsonSchema } from '@langchain/core/utils/json_schema';
import { Command, type LangGraphRunnableConfig } from '@langchain/langgraph';
import type { AgentIdentity, Task } from '@loopgate/shared';
import type { ActionRequest, Decision, HITLRequest, ReviewConfig } from 'langchain';
import { idempotencyKeyFor, type Loopgate, type WaitOptions } from '../client.js';
import { formFromJsonSchema } from './tool-form.js';

/**
 * LangChain v1 agents (`createAgent` with `humanInTheLoopMiddleware`) with Loopgate as the human
 * side. The middleware pauses the agent with one interrupt per model turn whose value is a
 * {@link HITLRequest}: one action request per tool call that needs review. This adapter turns each
 * action request into a Loopgate task and each decision back into the middleware's `approve`,
 * `edit` or `reject`, resuming with `Command({ resume: { decisions } })` in the requests' order.
 */

/** A tool as the adapter reads it (any LangChain tool: `tool()`, StructuredTool, DynamicStructuredTool). */
export interface ReviewedTool {
  name: string;
  description?: string;
  /** A zod schema or a JSON Schema; its flat primitive arguments become the task's form. */
  schema?: unknown;
}

/** The slice of a LangChain v1 agent (`createAgent(...)`) the runner uses. */
export interface ApprovalAgent {
  invoke(input: unknown, config: LangGraphRunnableConfig): Promise<unknown>;
  getState(config: LangGraphRunnableConfig): Promise<AgentSnapshot>;
  /** The agent's own options (`createAgent`'s params): its name and tools, for the task's agent and form. */
  readonly options?: { name?: string; tools?: readonly unknown[] };
}

/** What the runner reads of a checkpoint (`agent.getState(config)`). */
export interface AgentSnapshot {
  values?: { messages?: readonly unknown[] } | unknown;
  tasks: readonly { interrupts: readonly { id?: string; value?: unknown }[]; result?: unknown }[];
}

/** A pending human-in-the-loop interrupt, with the tool call id behind each action request. */
export interface PendingReview {
  interruptId: string;
  request: HITLRequest;
  /** One per action request: the id of the tool call it reviews (from the paused AI message). */
  toolCallIds: string[];
}

export interface ReviewTaskOptions {
  /** The thread the agent runs on (`configurable.thread_id`); with the tool call id, the task's idempotency key. */
  threadId: string;
  /** Set on every task: which agent asked. */
  agent: AgentIdentity;
  /** The agent's tools, for each task's form (a review config's `argsSchema` wins when the middleware has one). */
  tools?: readonly ReviewedTool[];
  queue?: string;
}

export interface RunWithApprovalsOptions extends WaitOptions, Partial<Omit<ReviewTaskOptions, 'threadId'>> {}

/** The human-in-the-loop interrupt the agent is paused on, if any. */
export function pendingReview(snapshot: AgentSnapshot): PendingReview | undefined {
  for (const task of snapshot.tasks) {
    if (task.result !== undefined) continue;
    for (const paused of task.interrupts) {
      if (paused.id && isHitlRequest(paused.value)) {
        return {
          interruptId: paused.id,
          request: paused.value,
          toolCallIds: toolCallIdsFor(paused.value.actionRequests, snapshot, paused.id),
        };
      }
    }
  }
  return undefined;
}

/**
 * One Loopgate task per action request, in the same order: the tool args as payload, a form from
 * the tool's schema, `agent` set. Created idempotently from the thread id and the tool call id, so a
 * restarted process (or a second look at the same interrupt) finds the tasks it made before.
 */
export async function reviewTasksFor(
  loopgate: Loopgate,
  review: PendingReview,
  options: ReviewTaskOptions & WaitOptions,
): Promise<Task[]> {
  return Promise.all(
    review.request.actionRequests.map(async (action, index) => {
      const config = reviewConfigFor(review.request, action, index);
      const schema = config?.argsSchema ?? schemaOf(options.tools?.find((tool) => tool.name === action.name));
      const form = schema === undefined ? undefined : formFromJsonSchema(schema, action.args);
      const key = `langchain:${options.threadId}:${review.toolCallIds[index]}`;
      return loopgate.createTask(
        {
          title: `Run ${action.name}`,
          payload: action.args,
          ...(action.description ? { context: { description: action.description } } : {}),
          ...(form ? { form } : {}),
          ...(options.queue ? { queue: options.queue } : {}),
          agent: options.agent,
          externalRef: review.toolCallIds[index],
        },
        { idempotencyKey: await idempotencyKeyFor(key), signal: options.signal },
      );
    }),
  );
}

/**
 * The middleware's decision for a final Loopgate task: approved → `approve`; approved with
 * modifications → `edit` with the reviewer's args; rejected → `reject` with the reviewer's comment
 * (the model sees it as the tool's answer). Expired or cancelled tasks are rejections too: nothing
 * runs without a person's yes. An edit on a tool whose review config forbids edits (or an edited
 * payload that is not an object of arguments) becomes a rejection that says so, rather than running
 * arguments nobody approved.
 */
export function decisionFor(task: Task, action: ActionRequest, config?: ReviewConfig): Decision {
  const allowed = config?.allowedDecisions ?? ['approve', 'edit', 'reject'];
  const comment = task.decision?.comment?.trim();
  let decision: Decision;
  switch (task.status) {
    case 'approved':
      decision = { type: 'approve' };
      break;
    case 'approved_with_modifications': {
      const edited = task.decision?.modifiedPayload;
      const isArgs = typeof edited === 'object' && edited !== null && !Array.isArray(edited);
      decision =
        allowed.includes('edit') && isArgs
          ? { type: 'edit', editedAction: { name: action.name, args: edited as Record<string, unknown> } }
          : {
              type: 'reject',
              message: isArgs
                ? `The reviewer changed the arguments of ${action.name}, but this tool does not accept edits, so it was not run.${comment ? ` Reviewer: ${comment}` : ''}`
                : `The reviewer's changed arguments for ${action.name} are not an object of arguments, so it was not run.`,
            };
      break;
    }
    case 'rejected':
      decision = { type: 'reject', message: comment || `A reviewer rejected ${action.name} in Loopgate.` };
      break;
    case 'expired':
    case 'cancelled':
      decision = { type: 'reject', message: `No one approved ${action.name} in time (Loopgate task ${task.status}).` };
      break;
    default:
      throw new TypeError(`Task ${task.id} is still ${task.status}`);
  }
  if (!allowed.includes(decision.type)) {
    throw new Error(
      `Loopgate task ${task.id} ended ${task.status}, but ${action.name} allows only ${allowed.join(', ')} decisions`,
    );
  }
  return decision;
}

/**
 * The resume for a whole interrupt: one decision per action request, in the requests' order.
 * LangChain's middleware runs none of a turn's tool calls when any of them is rejected (it hands
 * the turn back to the model), so each rejection message also names the approved calls that were
 * held back, and the model can propose them again.
 */
export function resumeCommand(review: PendingReview, decided: readonly Task[]): Command {
  const actions = review.request.actionRequests;
  const decisions = actions.map((action, index) => {
    const task = decided[index];
    if (!task) throw new Error(`No Loopgate task for action request ${index} (${action.name})`);
    return decisionFor(task, action, reviewConfigFor(review.request, action, index));
  });
  if (decisions.some((decision) => decision.type === 'reject')) {
    const heldBack = decisions.flatMap((decision, index) =>
      decision.type === 'reject' ? [] : [`${actions[index]!.name} ${JSON.stringify(actions[index]!.args)}`],
    );
    if (heldBack.length > 0) {
      const note = ` (Approved but not run, because another call in the same turn was rejected: ${heldBack.join('; ')}.)`;
      for (const decision of decisions) if (decision.type === 'reject') decision.message = `${decision.message}${note}`;
    }
  }
  return new Command({ resume: { decisions } });
}

/**
 * Runs the agent (or, with `input` null, carries on a thread already paused — e.g. after this
 * process restarted) until it is no longer waiting on a person: each human-in-the-loop interrupt
 * becomes Loopgate tasks, and the moment the last of them is decided the agent resumes. Resolves
 * with the agent's last result. A `timeoutMs` that runs out throws LoopgateTimeoutError and leaves
 * the thread paused, to be carried on later with `input` null.
 */
export async function runWithApprovals(
  agent: ApprovalAgent,
  loopgate: Loopgate,
  input: unknown,
  config: LangGraphRunnableConfig,
  options: RunWithApprovalsOptions = {},
): Promise<unknown> {
  const threadId = config.configurable?.thread_id;
  if (threadId === undefined) {
    throw new TypeError('runWithApprovals: config.configurable.thread_id is required (the agent needs a checkpointer)');
  }
  const agentName = agent.options?.name;
  const identity = options.agent ?? { id: agentName ?? 'langchain-agent', ...(agentName ? { name: agentName } : {}) };
  const tools = options.tools ?? (agent.options?.tools ?? []).filter(isReviewedTool);
  let result = input === null ? undefined : await agent.invoke(input, config);
  for (;;) {
    const review = pendingReview(await agent.getState(config));
    if (!review) return result ?? (await agent.getState(config)).values;
    const tasks = await reviewTasksFor(loopgate, review, {
      ...options,
      threadId: String(threadId),
      agent: identity,
      tools,
    });
    const decided = await Promise.all(tasks.map((task) => loopgate.waitForDecision(task.id, options)));
    result = await agent.invoke(resumeCommand(review, decided), config);
  }
}

function reviewConfigFor(request: HITLRequest, action: ActionRequest, index: number): ReviewConfig | undefined {
  // The middleware writes one config per action request, in order; match by name to be safe.
  const same = request.reviewConfigs[index];
  return same?.actionName === action.name
    ? same
    : request.reviewConfigs.find((config) => config.actionName === action.name);
}

/**
 * The tool call behind each action request. Action requests carry no id, but the middleware makes
 * them from the paused AI message's tool calls, in order, skipping the ones it auto-approves; so
 * each request is the next tool call with its name and args. A request with no match (an unusual
 * middleware) falls back to the interrupt id and position, which are stable for that checkpoint.
 */
function toolCallIdsFor(actions: readonly ActionRequest[], snapshot: AgentSnapshot, interruptId: string): string[] {
  const values = snapshot.values as { messages?: readonly unknown[] } | undefined;
  const lastAi = [...(values?.messages ?? [])].reverse().find(isAiMessageWithToolCalls);
  const calls = lastAi?.tool_calls ?? [];
  let next = 0;
  return actions.map((action, index) => {
    const at = calls.findIndex(
      (call, position) =>
        position >= next && call.name === action.name && JSON.stringify(call.args) === JSON.stringify(action.args),
    );
    if (at === -1 || !calls[at]?.id) return `${interruptId}:${index}`;
    next = at + 1;
    return calls[at].id as string;
  });
}

function isAiMessageWithToolCalls(
  message: unknown,
): message is { tool_calls: { id?: string; name: string; args: unknown }[] } {
  const candidate = message as { tool_calls?: unknown; getType?: () => string; type?: unknown } | null;
  if (!candidate || !Array.isArray(candidate.tool_calls) || candidate.tool_calls.length === 0) return false;
  const type = typeof candidate.getType === 'function' ? candidate.getType() : candidate.type;
  return type === 'ai';
}

function isHitlRequest(value: unknown): value is HITLRequest {
  const candidate = value as Partial<HITLRequest> | null;
  return (
    !!candidate &&
    Array.isArray(candidate.actionRequests) &&
    Array.isArray(candidate.reviewConfigs) &&
    candidate.actionRequests.every((action) => typeof action?.name === 'string')
  );
}

function isReviewedTool(value: unknown): value is ReviewedTool {
  return typeof (value as { name?: unknown } | null)?.name === 'string';
}

function schemaOf(tool: ReviewedTool | undefined): unknown {
  if (tool?.schema === undefined) return undefined;
  try {
    return toJsonSchema(tool.schema as Parameters<typeof toJsonSchema>[0]);
  } catch {
    return undefined; // a schema LangChain cannot convert: the task goes without a form
  }
}
