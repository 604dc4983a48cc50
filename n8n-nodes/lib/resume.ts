import { isFinalStatus } from '@loopgate/shared/lifecycle';
import type { IDataObject, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';
import { loopgateRequest } from './api.js';
import { decisionFromTask, type ResumeOutcome, type ServerTask, type ServerTaskEvent } from './decision.js';

/**
 * The Request Approval node's resume webhook. Whoever holds the execution's resume URL can POST to it,
 * so the body is never believed: it only says "look now". The node reads the task back with its own
 * credential and resumes with the server's state, and only for the task this waiting execution created:
 *
 * - the task id comes from the execution itself (execute() put it on the waiting item, which n8n keeps
 *   as the node's input while it waits); a body naming another task is refused;
 * - the task's callbackUrl, which Loopgate shows whole only to the key that created the task (and to
 *   admins), must be this execution's resume URL (`…/webhook-waiting/<executionId>/<nodeId>`), so a
 *   task someone else created with this URL as its callback does not resume it either;
 * - an open task keeps the execution waiting, whatever the body claims.
 *
 * Never throws: n8n would end the waiting execution with the error. When Loopgate cannot be asked, it
 * answers 503 and keeps waiting (Loopgate's own delivery is retried).
 */
export async function resumeWithServerState(ctx: IWebhookFunctions, now: () => Date): Promise<IWebhookResponseData> {
  const body = ctx.getBodyData() as { data?: { taskId?: unknown } } | undefined;
  const claimed = typeof body?.data?.taskId === 'string' ? body.data.taskId : null;
  const own = waitingTaskId(ctx);
  if (own !== null && claimed !== null && claimed !== own) {
    return refuse(ctx, 409, `this execution waits for task ${own}, not ${claimed}`);
  }
  const taskId = own ?? claimed;
  if (taskId === null) return refuse(ctx, 400, 'no task id: not a Loopgate callback');

  const execution = `${ctx.getExecutionId()}/${ctx.getNode().id}`;
  if (!resumes.claim(execution, now().getTime())) {
    return refuse(ctx, 409, 'this execution is being resumed or was resumed already');
  }
  let response: IWebhookResponseData | undefined;
  try {
    response = await readAndDecide(ctx, taskId, now);
    return response;
  } finally {
    if (response?.workflowData) resumes.hold(execution, now().getTime());
    else resumes.release(execution);
  }
}

async function readAndDecide(ctx: IWebhookFunctions, taskId: string, now: () => Date): Promise<IWebhookResponseData> {
  let outcome: ResumeOutcome;
  try {
    let events: ServerTaskEvent[] = [];
    const path = `/api/v1/tasks/${encodeURIComponent(taskId)}`;
    const task = await loopgateRequest<ServerTask>(ctx, { method: 'GET', path });
    if (!namesThisExecution(task.callbackUrl, ctx.getExecutionId(), ctx.getNode().id)) {
      return refuse(
        ctx,
        409,
        `task ${taskId} was not created by this execution with this credential (its callback URL is not this execution's resume URL)`,
      );
    }
    // A task that ended without a decision (expired, cancelled) says why only in its history.
    if (isFinalStatus(task.status) && task.decision === null) {
      events = (await loopgateRequest<{ data: ServerTaskEvent[] }>(ctx, { method: 'GET', path: `${path}/events` }))
        .data;
    }
    outcome = decisionFromTask(task, events, now());
  } catch (error) {
    // Loopgate down, the key refused, or an answer that is not a task: ask again on the next delivery.
    return refuse(ctx, 503, `could not read task ${taskId} from Loopgate: ${(error as Error).message}`);
  }
  if (!outcome.resume) {
    // No workflowData: n8n answers and the execution keeps waiting for a final decision.
    return { webhookResponse: { received: true, resumed: false, reason: outcome.reason } };
  }
  return { workflowData: [[{ json: outcome.item as unknown as IDataObject, pairedItem: { item: 0 } }]] };
}

/**
 * The id of the task this execution waits for: execute() wrote it on the item it paused with, and a
 * waiting webhook's `$json` is that item. null when it cannot be read (then the callback URL check
 * alone binds the task to this execution).
 */
function waitingTaskId(ctx: IWebhookFunctions): string | null {
  try {
    const value = ctx.evaluateExpression('{{ $json.taskId }}', 0);
    return typeof value === 'string' && value !== '' ? value : null;
  } catch {
    return null;
  }
}

/**
 * Whether `callbackUrl` is the resume URL of this execution's node. Compared by path, not host: n8n
 * may be reached under another name than the one Loopgate calls. An origin-only or null callbackUrl
 * (the credential is not the task's creator) cannot be confirmed.
 */
export function namesThisExecution(callbackUrl: string | null, executionId: string, nodeId: string): boolean {
  if (callbackUrl === null) return false;
  try {
    const path = new URL(callbackUrl).pathname.replace(/\/+$/, '');
    return path.endsWith(`/webhook-waiting/${executionId}/${nodeId}`);
  } catch {
    return false;
  }
}

/**
 * Resumes in progress or done, per execution and node, in this n8n process. n8n marks a waiting
 * execution running only after webhook() returns, so two requests at once (Loopgate's callback and a
 * forged or repeated one) would both pass its "still waiting?" check while the first reads the task,
 * and the rest of the workflow would run twice. The first request holds the claim while it reads;
 * after it resumed, the claim stays a minute (long enough for n8n to mark the execution running or
 * finished; later requests get n8n's own 409). Per process only: with several n8n webhook processes,
 * n8n's own check is all there is.
 */
class ResumeClaims {
  private readonly until = new Map<string, number>();

  constructor(private readonly holdMs: number) {}

  claim(key: string, now: number): boolean {
    for (const [other, until] of this.until) if (until <= now) this.until.delete(other);
    if (this.until.has(key)) return false;
    this.until.set(key, Number.POSITIVE_INFINITY);
    return true;
  }

  hold(key: string, now: number): void {
    this.until.set(key, now + this.holdMs);
  }

  release(key: string): void {
    this.until.delete(key);
  }
}

const resumes = new ResumeClaims(60_000);

/** Answers without resuming: the execution keeps waiting. */
function refuse(ctx: IWebhookFunctions, status: number, reason: string): IWebhookResponseData {
  ctx.getResponseObject().status(status).json({ received: true, resumed: false, reason });
  return { noWebhookResponse: true };
}
