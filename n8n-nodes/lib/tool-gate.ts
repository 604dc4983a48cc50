/**
 * The Loopgate node as n8n 2.x's "human review" for an AI Agent's tools. n8n builds a `<node>HitlTool`
 * variant of every node whose `operation` offers sendAndWait (ours does), wired
 * `[tool] --ai_tool--> [Loopgate] --ai_tool--> [AI Agent]`. When the model calls a gated tool, the agent
 * asks the engine to run this node with the call (`$json.tool`, `$json.toolParameters`); the node opens a
 * task and waits; on resume the agent reads the item it returns (n8n-nodes-langchain's
 * processHitlResponses on 2.40):
 *
 * - `approved: true` → the engine runs the gated tool with the model's *original* arguments;
 * - anything else → the tool does not run and the model is shown `chatInput` as the reviewer's feedback.
 *
 * n8n has no way to run the tool with other arguments than the model's, so an approval with modified
 * arguments cannot run in place: the node answers "not run" and tells the model the exact arguments the
 * reviewer approved; when the model calls the tool again with exactly those, that one call runs without a
 * second review (see {@link editedApprovalFor}). The tool only ever runs with arguments a person approved.
 *
 * Kept free of n8n imports so it is unit-tested on its own.
 */
import { canonicalJson } from '@loopgate/shared/json';
import type { DecisionItem, ServerTask } from './decision.js';

/** n8n names the generated review variant `<node>HitlTool` and recognises it by that suffix. */
export function isToolGate(nodeType: string): boolean {
  return nodeType.endsWith('HitlTool');
}

/** The tool call the agent asks the node to review, as the engine hands it over on the input item. */
export interface GatedToolCall {
  tool: string;
  parameters: unknown;
  toolCallId: string | null;
}

export function gatedToolCall(json: Record<string, unknown>): GatedToolCall {
  return {
    tool: typeof json.tool === 'string' && json.tool !== '' ? json.tool : 'tool',
    parameters: json.toolParameters ?? {},
    toolCallId: typeof json.toolCallId === 'string' ? json.toolCallId : null,
  };
}

/** The task title when the node's own Title is left empty. */
export function defaultGateTitle(call: GatedToolCall): string {
  return `Let the agent run "${call.tool}"?`;
}

/** Printed before the approved arguments in the feedback to the model; the rest of the line is their JSON. */
export const APPROVED_ARGUMENTS_LABEL = 'Approved arguments: ';

/**
 * What the agent reads from the resumed item. Only a plain approval runs the tool (the arguments the
 * reviewer saw are the model's own); every other outcome sets `approved: false` and says why in
 * `chatInput`, which n8n shows the model as the reviewer's feedback.
 */
export function agentFeedback(item: DecisionItem, tool: string): { approved: boolean; chatInput?: string } {
  if (item.decision === 'approved') return { approved: true };
  if (item.decision === 'approved_with_modifications') {
    return {
      approved: false,
      chatInput:
        `A human reviewer approved "${tool}" only with changed arguments, so it did not run with yours. ` +
        `To run it, call "${tool}" again with exactly the approved arguments below; that one call runs without another review.\n` +
        `${APPROVED_ARGUMENTS_LABEL}${canonicalJson(item.payload)}`,
    };
  }
  if (item.decision === 'rejected') {
    const reason = item.comment?.trim() || 'no reason given';
    const code = item.reasonCode ? ` [${item.reasonCode}]` : '';
    return {
      approved: false,
      chatInput: `A human reviewer rejected the call to "${tool}"; it did not run. Reason${code}: ${reason}`,
    };
  }
  const why = item.comment?.trim() ? ` (${item.comment.trim()})` : '';
  return {
    approved: false,
    chatInput: `No human reviewer approved the call to "${tool}" (the review ${item.decision}${why}); it did not run.`,
  };
}

/** Feedback for n8n's own wait limit, which passes the waiting item on without running node code. */
export function waitLimitFeedback(tool: string): string {
  return `No human reviewer decided on the call to "${tool}" in time; it did not run.`;
}

/** A review this node opened earlier in the same execution, kept in the node's execution context. */
export interface GateReview {
  taskId: string;
  tool: string;
  /** Set once an edited approval has let one call run, so it cannot let a second one through. */
  used?: boolean;
}

/**
 * Whether `task` (one of this execution's earlier reviews of `call.tool`) is an approval with modified
 * arguments equal to the ones the model now calls with, compared as RFC 8785 canonical JSON. Such a
 * call runs without another review, once.
 */
export function editedApprovalFor(review: GateReview, task: ServerTask, call: GatedToolCall): boolean {
  if (review.used || review.tool !== call.tool) return false;
  if (task.status !== 'approved_with_modifications' || task.decision?.modifiedPayload == null) return false;
  try {
    return canonicalJson(task.decision.modifiedPayload) === canonicalJson(call.parameters);
  } catch {
    return false;
  }
}
