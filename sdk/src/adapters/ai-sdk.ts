import type { AgentIdentity, CreateTaskInput } from '@loopgate/shared';
import type {
  ModelMessage,
  Tool,
  ToolApprovalRequest,
  ToolApprovalResponse,
  ToolCallPart,
  ToolExecutionOptions,
  ToolSet,
} from 'ai';
import type { ApprovalResult, Loopgate, WaitOptions } from '../client.js';

/** One tool call waiting for approval, as the Loopgate task describes it. */
export interface ToolCallForApproval {
  toolName: string;
  toolCallId: string;
  /** The input the model proposed. */
  input: unknown;
}

export interface LoopgateApprovalsOptions {
  /**
   * A stable id for this conversation or job. With each call's id it keys the Loopgate tasks, so a
   * retried or restarted run waits on the tasks it made before instead of making new ones.
   */
  runId: string;
  /** Who the tasks say asked (the AI SDK has no agent name of its own to take it from). */
  agent: AgentIdentity;
  /** Title, queue, risk, form… for a call's task. The payload is always the call's input. */
  describeTask?: (call: ToolCallForApproval) => Omit<CreateTaskInput, 'payload'>;
}

export interface GenerateWithApprovalsOptions extends WaitOptions {
  /**
   * Called with the whole message history each time the run pauses on approvals (it then ends in
   * the assistant's tool-approval requests). Store it: after a restart, pass it back to
   * {@link LoopgateApprovals.generate} and the run carries on waiting on the same tasks.
   */
  persist?: (messages: ModelMessage[]) => void | Promise<void>;
}

/** What one `generateText` call gives back that the loop needs (any `generateText` result fits). */
export interface StepResult {
  response: { messages: ModelMessage[] };
}

/**
 * Loopgate as the approval backend of AI SDK tools.
 *
 *   const approvals = new LoopgateApprovals(loopgate, { runId, agent: { id: 'refund-bot' } });
 *   const tools = approvals.gate({ refund });
 *   const { result } = await approvals.generate((messages) => generateText({ model, tools, messages }), messages);
 *
 * `gate` sets `needsApproval` on the tools, so `generateText` stops at their calls with
 * `tool-approval-request` parts; `generate` makes each a Loopgate task, and when people have
 * decided, appends the SDK's `tool-approval-response` parts (approved, with the reviewer's reason)
 * and calls `generateText` again. A rejected call reaches the model as `execution-denied` with the
 * reason. All pending approvals of one step are answered together (the SDK reads the responses from
 * the last message only), each with its own decision.
 *
 * Approved with modifications: the SDK cannot change a call's input, so the gated tool runs with the
 * payload Loopgate approved instead of the model's input (the history keeps the model's call, and the
 * response's reason names the change). A gated tool never runs on an input Loopgate did not approve.
 */
export class LoopgateApprovals {
  readonly #loopgate: Loopgate;
  readonly #options: LoopgateApprovalsOptions;
  /** Approved payloads by tool call id, from the decisions this process has seen. */
  readonly #approved = new Map<string, unknown>();

  constructor(loopgate: Loopgate, options: LoopgateApprovalsOptions) {
    if (!options?.runId) throw new TypeError('LoopgateApprovals: options.runId (a stable id for this run) is required');
    if (!options.agent?.id) throw new TypeError('LoopgateApprovals: options.agent.id is required');
    this.#loopgate = loopgate;
    this.#options = options;
  }

  /**
   * The same tools, each needing approval through Loopgate (all calls, or those `when` picks) and
   * each running with the approved payload.
   */
  gate<TOOLS extends ToolSet>(
    tools: TOOLS,
    options: { when?: (toolName: string, input: unknown) => boolean | PromiseLike<boolean> } = {},
  ): TOOLS {
    const gated: Record<string, Tool> = {};
    for (const [toolName, original] of Object.entries(tools) as [string, Tool][]) {
      const execute = original.execute;
      if (!execute) {
        gated[toolName] = original;
        continue;
      }
      const needsApproval = async (input: unknown) => (options.when ? await options.when(toolName, input) : true);
      gated[toolName] = {
        ...original,
        needsApproval,
        execute: async (input: unknown, execution: ToolExecutionOptions) => {
          // A call `when` passes over ran without asking, as the SDK does: its input is the model's.
          if (!(await needsApproval(input))) return execute(input, execution);
          const approved = await this.#approvedInput({ toolName, toolCallId: execution.toolCallId, input }, execution);
          return execute(approved, execution);
        },
      };
    }
    return gated as TOOLS;
  }

  /**
   * Runs `step` (your `generateText` call over the messages) until it no longer stops on approvals,
   * answering each stop from Loopgate. Pass a stored history that ends in approval requests to carry
   * on after a restart. Resolves with the last step's result and the full history.
   */
  async generate<R extends StepResult>(
    step: (messages: ModelMessage[]) => PromiseLike<R>,
    messages: ModelMessage[],
    options: GenerateWithApprovalsOptions = {},
  ): Promise<{ result: R | undefined; messages: ModelMessage[] }> {
    let history = [...messages];
    let result: R | undefined;
    for (;;) {
      const pending = pendingApprovals(history);
      if (pending.length > 0) {
        await options.persist?.(history);
        const responses = await Promise.all(pending.map((call) => this.#respond(call, options)));
        history = [...history, { role: 'tool', content: responses }];
      } else if (result !== undefined) {
        return { result, messages: history };
      }
      result = await step(history);
      history = [...history, ...result.response.messages];
    }
  }

  /** The Loopgate task for one call; the same call always gives the same body (idempotent create). */
  taskInputFor(call: ToolCallForApproval): CreateTaskInput {
    const described = this.#options.describeTask?.(call);
    return {
      title: `Run ${call.toolName}`,
      source: 'ai-sdk',
      context: { framework: 'ai-sdk', toolName: call.toolName, toolCallId: call.toolCallId },
      ...described,
      payload: call.input as CreateTaskInput['payload'],
      agent: described?.agent ?? this.#options.agent,
    };
  }

  async #decision(call: ToolCallForApproval, options: WaitOptions): Promise<ApprovalResult> {
    const result = await this.#loopgate.requestApproval(this.taskInputFor(call), {
      key: `ai-sdk:${this.#options.runId}:${call.toolCallId}`,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
    });
    if (result.approved) this.#approved.set(call.toolCallId, result.approvedPayload);
    return result;
  }

  async #respond(
    call: ToolCallForApproval & { approvalId: string },
    options: WaitOptions,
  ): Promise<ToolApprovalResponse> {
    const result = await this.#decision(call, options);
    return {
      type: 'tool-approval-response',
      approvalId: call.approvalId,
      approved: result.approved,
      reason: reasonOf(result),
    };
  }

  /**
   * The input a gated tool runs with: the approved payload. Normally known from the decision that
   * answered the approval; otherwise (an approval answered by other code) asked of Loopgate, which
   * must have approved this very call.
   */
  async #approvedInput(call: ToolCallForApproval, execution: ToolExecutionOptions): Promise<unknown> {
    if (this.#approved.has(call.toolCallId)) return this.#approved.get(call.toolCallId);
    const result = await this.#decision(call, { signal: execution.abortSignal });
    if (!result.approved) {
      throw new Error(`Loopgate did not approve ${call.toolName} call ${call.toolCallId} (${result.status})`);
    }
    return result.approvedPayload;
  }
}

/** Approval requests in the history that no tool-approval-response answers yet, with their calls. */
export function pendingApprovals(messages: ModelMessage[]): (ToolCallForApproval & { approvalId: string })[] {
  const calls = new Map<string, ToolCallPart>();
  const requests: ToolApprovalRequest[] = [];
  const answered = new Set<string>();
  for (const message of messages) {
    if (typeof message.content === 'string') continue;
    for (const part of message.content) {
      if (part.type === 'tool-call') calls.set(part.toolCallId, part);
      else if (part.type === 'tool-approval-request') requests.push(part);
      else if (part.type === 'tool-approval-response') answered.add(part.approvalId);
    }
  }
  return requests
    .filter((request) => !answered.has(request.approvalId))
    .map((request) => {
      const call = calls.get(request.toolCallId);
      if (!call)
        throw new Error(`Loopgate: approval ${request.approvalId} names an unknown tool call ${request.toolCallId}`);
      return {
        approvalId: request.approvalId,
        toolCallId: call.toolCallId,
        toolName: call.toolName,
        input: call.input,
      };
    });
}

function reasonOf(result: ApprovalResult): string {
  const comment = result.decision?.comment;
  switch (result.status) {
    case 'approved':
      return comment ?? 'Approved in Loopgate';
    case 'approved_with_modifications':
      return `Approved with changes: runs with ${JSON.stringify(result.approvedPayload)}${comment ? ` (${comment})` : ''}`;
    case 'rejected':
      return comment ? `Rejected by a reviewer: ${comment}` : 'Rejected by a reviewer';
    default:
      return `Not approved: the Loopgate task was ${result.status}${comment ? ` (${comment})` : ''}`;
  }
}
