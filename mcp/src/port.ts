import type { CreateTaskInput, DecisionInput, Task, TaskPage } from '@loopgate/shared';

/**
 * What the MCP tools need of Loopgate, and nothing more. Two implementations: over REST with an API key
 * (the stdio server, `loopgate-mcp`), and in-process use cases for the key that opened an `/mcp` session
 * on the server. Either way the key's role and workspace decide what is allowed.
 */
export interface LoopgatePort {
  createTask(input: CreateTaskInput, idempotencyKey: string | undefined): Promise<Task>;
  getTask(id: string): Promise<Task>;
  /** The task once final, or as it stands when `timeoutSeconds` pass (or `signal` aborts). */
  waitForDecision(id: string, timeoutSeconds: number, signal?: AbortSignal): Promise<Task>;
  listPending(query: {
    status: 'pending_review' | 'in_review';
    queue?: string;
    limit: number;
    cursor?: string;
  }): Promise<TaskPage>;
  decide(id: string, decision: DecisionInput): Promise<Task>;
  /** The most urgent open task this key's user may decide now, or null. */
  nextTask(): Promise<Task | null>;
  /** Where a person reviews the task in the browser. */
  reviewUrl(id: string): string;
}

/** Loopgate refused a call: the HTTP status and the problem code, both named in the message a client sees. */
export class LoopgateCallError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly problems: { path: string; message: string }[] = [],
  ) {
    const first = problems[0];
    super(
      `Loopgate answered ${status} ${code}: ${detail}${first && !detail.includes(first.path) ? ` (${first.path}: ${first.message})` : ''}`,
    );
    this.name = 'LoopgateCallError';
  }
}
