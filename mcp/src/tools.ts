import {
  type AgentIdentity,
  type CreateTaskInput,
  type DecisionInput,
  FINAL_TASK_STATUSES,
  type Form,
  type FormValues,
  formFields,
  isFinalStatus,
  MAX_WAIT_SECONDS,
  payloadFromForm,
  RISK_LEVELS,
  type Task,
  validateResponse,
} from '@loopgate/shared';
import { canonicalJson } from '@loopgate/shared/json';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type {
  CallToolResult,
  ElicitRequestFormParams,
  ServerNotification,
  ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { LoopgatePort } from './port.js';

export const SERVER_INFO = { name: 'loopgate', version: '0.1.0' };

/** How long request_approval waits for a decision when the caller does not say. */
export const DEFAULT_WAIT_SECONDS = 30;

const waitSeconds = z
  .number()
  .int()
  .min(0)
  .max(MAX_WAIT_SECONDS)
  .optional()
  .describe(
    `Seconds to wait for the decision within this call (0 to ${MAX_WAIT_SECONDS}). When it does not come in time the result is status "pending" with the task id and review URL: call get_decision later.`,
  );

/** Any JSON value, required when the field is (a bare unknown would make the property optional in the JSON Schema). */
const jsonValue = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.null(),
  z.array(z.unknown()),
  z.record(z.string(), z.unknown()),
]);

const requestApprovalInput = {
  title: z.string().trim().min(1).max(500).describe('What a reviewer is asked to approve, in one line'),
  description: z.string().max(20_000).optional().describe('Longer explanation, Markdown'),
  payload: jsonValue.describe('The action you propose, as JSON: what a reviewer approves or edits'),
  context: jsonValue.optional().describe('Anything that helps the reviewer decide (JSON)'),
  confidence: z.number().min(0).max(1).optional().describe('Your confidence in the action, 0 to 1'),
  risk: z.enum(RISK_LEVELS).optional().describe('How much harm the action could do'),
  queue: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe('The review queue (its slug); the workspace default when left out'),
  tags: z.array(z.string().trim().min(1).max(64)).max(50).optional(),
  form: z
    .record(z.string(), z.unknown())
    .optional()
    .describe(
      'Payload fields a reviewer may edit through labelled inputs: a flat JSON Schema object of string, number, integer and boolean properties (the MCP elicitation subset); "x-loopgate-path" points a property into the payload',
    ),
  model: z.string().trim().min(1).max(128).optional().describe('The model that proposed the action, e.g. gpt-4.1'),
  idempotencyKey: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe('Give the same key when retrying the same request, so only one task is created'),
  waitSeconds,
};

const decisionView = z.object({
  action: z.enum(['approve', 'reject', 'approve_with_modifications']),
  comment: z.string().nullable(),
  reasonCode: z.string().nullable(),
  response: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).nullable(),
  decidedBy: z.object({ type: z.string(), id: z.string().nullable(), name: z.string().nullable() }),
  decidedAt: z.string(),
});

const OUTCOMES = ['pending', ...FINAL_TASK_STATUSES] as const;

const outcomeShape = {
  taskId: z.string(),
  status: z
    .enum(OUTCOMES)
    .describe('pending: nobody has decided yet (see reviewUrl; call get_decision). Otherwise the final status.'),
  taskStatus: z.string().describe("The task's own status (pending_review, in_review, approved, …)"),
  title: z.string(),
  reviewUrl: z.string().describe('Where a person reviews the task in the browser'),
  decision: decisionView.nullable(),
  approvedPayload: z
    .unknown()
    .describe(
      "When approved: the payload to act on (the reviewer's edited one after approve_with_modifications); otherwise null",
    ),
};
const outcomeSchema = z.object(outcomeShape);
export type Outcome = z.infer<typeof outcomeSchema>;

const pendingItem = z.object({
  taskId: z.string(),
  title: z.string(),
  queue: z.string(),
  status: z.string(),
  riskLevel: z.string().nullable(),
  confidence: z.number().nullable(),
  dueAt: z.string().nullable(),
  createdAt: z.string(),
  payload: z.unknown(),
  reviewUrl: z.string(),
});

export function outcomeOf(task: Task, reviewUrl: string): Outcome {
  const final = isFinalStatus(task.status);
  const decision = task.decision;
  return {
    taskId: task.id,
    status: final ? (task.status as Outcome['status']) : 'pending',
    taskStatus: task.status,
    title: task.title,
    reviewUrl,
    decision: decision
      ? {
          action: decision.action,
          comment: decision.comment,
          reasonCode: decision.reasonCode,
          response: decision.response,
          decidedBy: decision.decidedBy,
          decidedAt: decision.decidedAt,
        }
      : null,
    approvedPayload:
      task.status === 'approved_with_modifications'
        ? (decision?.modifiedPayload ?? null)
        : task.status === 'approved'
          ? task.payload
          : null,
  };
}

function result<T extends Record<string, unknown>>(summary: string, structured: T): CallToolResult {
  return {
    content: [{ type: 'text', text: `${summary}\n${JSON.stringify(structured, null, 2)}` }],
    structuredContent: structured,
  };
}

function summaryOf(outcome: Outcome): string {
  if (outcome.status === 'pending') {
    return `Task ${outcome.taskId} is still waiting for a reviewer (${outcome.reviewUrl}). Call get_decision with this taskId later.`;
  }
  const by = outcome.decision?.decidedBy.name ?? outcome.decision?.decidedBy.type ?? 'Loopgate';
  const why = outcome.decision?.comment ? `: ${outcome.decision.comment}` : '';
  return `Task ${outcome.taskId} was ${outcome.status.replace(/_/g, ' ')} by ${by}${why}.`;
}

/** `mcp:<client name>`, the agent id tasks made through an MCP client carry (no spaces allowed in ids). */
export function agentOfClient(client: { name: string; version?: string } | undefined, model?: string): AgentIdentity {
  const name = client?.name?.trim() || 'unknown-client';
  return {
    id: `mcp:${name.replace(/\s+/g, '-')}`.slice(0, 128),
    name: name.slice(0, 200),
    ...(client?.version?.trim() ? { version: client.version.trim().slice(0, 64) } : {}),
    ...(model ? { model } : {}),
  };
}

type ElicitProperty = ElicitRequestFormParams['requestedSchema']['properties'][string];

/** A Loopgate form property as an elicitation property (same subset, minus the Loopgate extensions). */
function elicitProperty(form: Form, name: string, value: unknown): ElicitProperty {
  const property = form.properties[name];
  if (!property) throw new Error(`no property ${name}`);
  const base = {
    title: property.title ?? name,
    ...(property.description ? { description: property.description } : {}),
  };
  switch (property.type) {
    case 'boolean':
      return { type: 'boolean', ...base, ...(typeof value === 'boolean' ? { default: value } : {}) };
    case 'number':
    case 'integer':
      return {
        type: property.type,
        ...base,
        ...(property.minimum !== undefined ? { minimum: property.minimum } : {}),
        ...(property.maximum !== undefined ? { maximum: property.maximum } : {}),
        ...(typeof value === 'number' ? { default: value } : {}),
      };
    case 'string':
      if (property.enum) {
        return {
          type: 'string',
          ...base,
          enum: property.enum,
          ...(property.enumNames ? { enumNames: property.enumNames } : {}),
          ...(typeof value === 'string' ? { default: value } : {}),
        } as ElicitProperty;
      }
      return {
        type: 'string',
        ...base,
        ...(property.minLength !== undefined ? { minLength: property.minLength } : {}),
        ...(property.maxLength !== undefined ? { maxLength: property.maxLength } : {}),
        ...(property.format ? { format: property.format } : {}),
        ...(typeof value === 'string' ? { default: value } : {}),
      };
  }
}

/** Answers to the task's responseForm travel in the same elicitation under this prefix (":" is no form name). */
const RESPONSE_PREFIX = 'response:';

export function reviewElicitation(task: Task, reviewUrl: string): ElicitRequestFormParams {
  const properties: Record<string, ElicitProperty> = {};
  const required: string[] = [];
  if (task.form) {
    for (const field of formFields(task.form, task.payload)) {
      if (field.readOnly) continue;
      properties[field.name] = elicitProperty(task.form, field.name, field.value);
      if (field.required) required.push(field.name);
    }
  }
  if (task.responseForm) {
    const asked = new Set(task.responseForm.required ?? []);
    for (const name of Object.keys(task.responseForm.properties)) {
      properties[`${RESPONSE_PREFIX}${name}`] = elicitProperty(task.responseForm, name, undefined);
      if (asked.has(name)) required.push(`${RESPONSE_PREFIX}${name}`);
    }
  }
  const facts = [
    task.riskLevel ? `Risk: ${task.riskLevel}` : null,
    task.confidence !== null ? `Confidence: ${task.confidence}` : null,
    task.dueAt ? `Due: ${task.dueAt}` : null,
    task.agent ? `Asked by: ${task.agent.name ?? task.agent.id}` : null,
  ].filter(Boolean);
  const payloadText = JSON.stringify(task.payload, null, 2);
  const message = [
    `Review "${task.title}" (${task.queue}, ${task.id})`,
    task.description ?? null,
    facts.length > 0 ? facts.join(' · ') : null,
    `Payload:\n${payloadText.length > 4000 ? `${payloadText.slice(0, 4000)}…` : payloadText}`,
    `Accept to approve${Object.keys(properties).length > 0 ? ' (with any fields you edit)' : ''}, decline to reject, cancel to leave it open. In the browser: ${reviewUrl}`,
  ]
    .filter(Boolean)
    .join('\n\n');
  return {
    mode: 'form',
    message,
    requestedSchema: { type: 'object', properties, ...(required.length > 0 ? { required } : {}) },
  };
}

/** The decision an accepted review form stands for: approve, or approve_with_modifications when fields changed. */
export function approvalFromAnswers(task: Task, content: Record<string, unknown>): DecisionInput {
  const answers: FormValues = {};
  const edits: FormValues = {};
  for (const [name, value] of Object.entries(content)) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue;
    if (name.startsWith(RESPONSE_PREFIX)) answers[name.slice(RESPONSE_PREFIX.length)] = value;
    else edits[name] = value;
  }
  let response: DecisionInput['response'];
  if (task.responseForm) {
    const checked = validateResponse(task.responseForm, answers);
    if (!checked.ok)
      throw new Error(
        `The answers do not fit the response form: ${checked.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      );
    response = checked.value;
  }
  const withResponse = response !== undefined ? { response } : {};
  if (!task.form) return { action: 'approve', ...withResponse };
  const edited = payloadFromForm(task.form, task.payload, edits);
  if (!edited.ok)
    throw new Error(
      `The edited fields do not fit the form: ${edited.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    );
  if (canonicalJson(edited.value) === canonicalJson(task.payload)) return { action: 'approve', ...withResponse };
  return {
    action: 'approve_with_modifications',
    modifiedPayload: edited.value as DecisionInput['modifiedPayload'],
    ...withResponse,
  };
}

const REJECT_REASON: ElicitRequestFormParams['requestedSchema'] = {
  type: 'object',
  properties: {
    reason: { type: 'string', title: 'Reason', description: 'What the requester reads', minLength: 1, maxLength: 5000 },
  },
  required: ['reason'],
};

type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** A person answers a form at a person's pace: far longer than the SDK's 60-second request default. */
const FORM_TIMEOUT_MS = 15 * 60_000;

/** Sent on the tool call's own stream (not the session's GET stream, which a client need not open). */
function formOptions(extra: ToolExtra) {
  return { signal: extra.signal, relatedRequestId: extra.requestId, timeout: FORM_TIMEOUT_MS };
}

/** While waiting for a decision, how often a caller that asked for progress hears that the wait goes on. */
export const PROGRESS_INTERVAL_MS = 10_000;

/**
 * Runs `work` (a wait of `seconds`), telling a caller that sent a progressToken every
 * {@link PROGRESS_INTERVAL_MS} how long it has waited, so a client that resets its timeout on progress
 * keeps waiting for the person instead of giving up.
 */
async function withProgress<T>(extra: ToolExtra, seconds: number, work: () => Promise<T>): Promise<T> {
  const token = extra._meta?.progressToken;
  if (token === undefined) return work();
  const started = Date.now();
  const timer = setInterval(() => {
    const waited = Math.min(seconds, Math.round((Date.now() - started) / 1000));
    extra
      .sendNotification({
        method: 'notifications/progress',
        params: {
          progressToken: token,
          progress: waited,
          total: seconds,
          message: `Waiting for a reviewer (${waited}s)`,
        },
      })
      .catch(() => undefined);
  }, PROGRESS_INTERVAL_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/**
 * The Loopgate MCP server: the same tools whichever transport carries them and whichever port reaches
 * Loopgate. Tasks it creates name the MCP client (from its initialize request) as their agent.
 */
export function createLoopgateMcpServer(port: LoopgatePort): McpServer {
  const server = new McpServer(SERVER_INFO, {
    capabilities: { tools: {} },
    instructions:
      'Loopgate asks a person before an action happens. Call request_approval with the action as payload; act only on status "approved" or "approved_with_modifications" (then use approvedPayload). On "pending", call get_decision with the taskId later. Reviewers: list_pending, decide_task, and review_next (a form, where the client supports elicitation).',
  });

  server.registerTool(
    'request_approval',
    {
      title: 'Request approval',
      description:
        'Ask a person to approve an action before you take it. Waits up to waitSeconds for the decision; returns it, or status "pending" with the task id and review URL.',
      inputSchema: requestApprovalInput,
      outputSchema: outcomeShape,
    },
    async (args, extra) => {
      const input: CreateTaskInput = {
        title: args.title,
        payload: args.payload as CreateTaskInput['payload'],
        source: 'mcp',
        agent: agentOfClient(server.server.getClientVersion(), args.model),
        ...(args.description !== undefined ? { description: args.description } : {}),
        ...(args.context !== undefined ? { context: args.context as CreateTaskInput['context'] } : {}),
        ...(args.confidence !== undefined ? { confidence: args.confidence } : {}),
        ...(args.risk !== undefined ? { riskLevel: args.risk } : {}),
        ...(args.queue !== undefined ? { queue: args.queue } : {}),
        ...(args.tags !== undefined ? { tags: args.tags } : {}),
        ...(args.form !== undefined ? { form: args.form as CreateTaskInput['form'] } : {}),
      };
      const created = await port.createTask(input, args.idempotencyKey);
      const wait = args.waitSeconds ?? DEFAULT_WAIT_SECONDS;
      const task =
        isFinalStatus(created.status) || wait === 0
          ? created
          : await withProgress(extra, wait, () => port.waitForDecision(created.id, wait, extra.signal));
      const outcome = outcomeOf(task, port.reviewUrl(task.id));
      return result(summaryOf(outcome), outcome);
    },
  );

  server.registerTool(
    'get_decision',
    {
      title: 'Get a decision',
      description:
        'The decision on a task made with request_approval, by its task id; with waitSeconds, waits that long for it to come.',
      inputSchema: { taskId: z.string().min(1).max(64), waitSeconds },
      outputSchema: outcomeShape,
    },
    async (args, extra) => {
      const wait = args.waitSeconds ?? 0;
      const task =
        wait === 0
          ? await port.getTask(args.taskId)
          : await withProgress(extra, wait, () => port.waitForDecision(args.taskId, wait, extra.signal));
      const outcome = outcomeOf(task, port.reviewUrl(task.id));
      return result(summaryOf(outcome), outcome);
    },
  );

  server.registerTool(
    'list_pending',
    {
      title: 'List open tasks',
      description: "Open tasks in the key's workspace, most urgent first (the board's order).",
      inputSchema: {
        status: z.enum(['pending_review', 'in_review']).optional().describe('pending_review (default) or in_review'),
        queue: z.string().min(1).max(64).optional(),
        limit: z.number().int().min(1).max(200).optional().describe('At most this many (default 20)'),
        cursor: z.string().max(200).optional().describe('nextCursor from the previous call'),
      },
      outputSchema: { tasks: z.array(pendingItem), nextCursor: z.string().nullable() },
    },
    async (args) => {
      const page = await port.listPending({
        status: args.status ?? 'pending_review',
        limit: args.limit ?? 20,
        ...(args.queue !== undefined ? { queue: args.queue } : {}),
        ...(args.cursor !== undefined ? { cursor: args.cursor } : {}),
      });
      const tasks = page.data.map((task) => ({
        taskId: task.id,
        title: task.title,
        queue: task.queue,
        status: task.status,
        riskLevel: task.riskLevel,
        confidence: task.confidence,
        dueAt: task.dueAt,
        createdAt: task.createdAt,
        payload: task.payload,
        reviewUrl: port.reviewUrl(task.id),
      }));
      const summary =
        tasks.length === 0
          ? 'No open tasks.'
          : tasks.map((task) => `- ${task.taskId}: ${task.title} (${task.queue})`).join('\n');
      return result(summary, { tasks, nextCursor: page.nextCursor });
    },
  );

  server.registerTool(
    'decide_task',
    {
      title: 'Decide a task',
      description:
        "Approve, reject (with a comment: the reason) or approve with modifications (with modifiedPayload) a task, as the key's user. Needs a reviewer or admin key.",
      inputSchema: {
        taskId: z.string().min(1).max(64),
        action: z.enum(['approve', 'reject', 'approve_with_modifications']),
        comment: z.string().max(5000).optional().describe('Required with reject: the reason the requester reads'),
        modifiedPayload: jsonValue.optional().describe('approve_with_modifications: the payload as you approve it'),
        response: z
          .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
          .optional()
          .describe("Answers to the task's responseForm, when it has one"),
        reasonCode: z.string().trim().min(1).max(64).optional().describe("reject: one of the queue's reject reasons"),
      },
      outputSchema: outcomeShape,
    },
    async (args) => {
      const decision = {
        action: args.action,
        ...(args.comment !== undefined ? { comment: args.comment } : {}),
        ...(args.modifiedPayload !== undefined ? { modifiedPayload: args.modifiedPayload } : {}),
        ...(args.response !== undefined ? { response: args.response } : {}),
        ...(args.reasonCode !== undefined ? { reasonCode: args.reasonCode } : {}),
      } as DecisionInput;
      const task = await port.decide(args.taskId, decision);
      const outcome = outcomeOf(task, port.reviewUrl(task.id));
      return result(summaryOf(outcome), outcome);
    },
  );

  server.registerTool(
    'review_next',
    {
      title: 'Review the next task',
      description:
        'Shows the most urgent task you may decide as a form (needs a client with elicitation): accept approves (with the fields you edited), decline rejects with a reason you give, cancel leaves it open.',
      inputSchema: {},
      outputSchema: {
        reviewed: z.boolean().describe('Whether a decision was recorded'),
        message: z.string(),
        outcome: outcomeSchema.nullable(),
      },
    },
    async (_args, extra) => {
      const elicitation = server.server.getClientCapabilities()?.elicitation;
      // A client declaring only URL-mode elicitation cannot show a form; an empty object means form (older clients).
      if (!elicitation || (elicitation.url !== undefined && elicitation.form === undefined)) {
        throw new Error(
          'review_next needs an MCP client that supports elicitation (forms); use list_pending and decide_task instead.',
        );
      }
      const task = await port.nextTask();
      if (!task)
        return result('Nothing to review: no open task you may decide.', {
          reviewed: false,
          message: 'Nothing to review',
          outcome: null,
        });
      const reviewUrl = port.reviewUrl(task.id);
      const answer = await server.server.elicitInput(reviewElicitation(task, reviewUrl), formOptions(extra));
      let decision: DecisionInput;
      if (answer.action === 'accept') {
        decision = approvalFromAnswers(task, answer.content ?? {});
      } else if (answer.action === 'decline') {
        const why = await server.server.elicitInput(
          { mode: 'form', message: `Why reject "${task.title}"?`, requestedSchema: REJECT_REASON },
          formOptions(extra),
        );
        const reason =
          why.action === 'accept' && typeof why.content?.reason === 'string' ? why.content.reason.trim() : '';
        if (!reason) {
          const open = outcomeOf(task, reviewUrl);
          return result(`Left ${task.id} open: a rejection needs a reason.`, {
            reviewed: false,
            message: 'Left open: no reason given',
            outcome: open,
          });
        }
        decision = { action: 'reject', comment: reason };
      } else {
        return result(`Left ${task.id} open.`, {
          reviewed: false,
          message: 'Left open',
          outcome: outcomeOf(task, reviewUrl),
        });
      }
      const decided = await port.decide(task.id, decision);
      const outcome = outcomeOf(decided, port.reviewUrl(decided.id));
      return result(summaryOf(outcome), { reviewed: true, message: summaryOf(outcome), outcome });
    },
  );

  return server;
}
