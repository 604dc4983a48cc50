import { z } from 'zod';
import { taskClassificationSchema } from './detectors.js';
import { formPathProblems, formSchema } from './forms.js';
import { TASK_STATUSES } from './lifecycle.js';
import { riskLevelSchema } from './risk.js';

/** Any JSON value: what agents send for payloads and context, stored and returned untouched. */
export const jsonValueSchema = z.json().meta({ id: 'JsonValue' });

export { RISK_LEVELS, type RiskLevel, riskLevelSchema } from './risk.js';

export const taskStatusSchema = z.enum(TASK_STATUSES);

export const DECISION_ACTIONS = ['approve', 'reject', 'approve_with_modifications'] as const;
export const decisionActionSchema = z.enum(DECISION_ACTIONS);
export type DecisionAction = z.infer<typeof decisionActionSchema>;

export const ROLES = ['admin', 'reviewer', 'viewer'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

const slug = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'Use lower-case letters, digits, "-" and "_", starting with a letter or digit');

const httpUrl = z.url({ protocol: /^https?$/, error: 'Must be an absolute http(s) URL' }).max(2048);

const MAX_SLA_SECONDS = 366 * 24 * 3600;

/**
 * Which agent asked: set by each SDK adapter from the framework's agent or graph name, and by the n8n
 * node and the Zapier app from the workflow or Zap. `id` is the stable key (filter, analytics, halting
 * one agent); the rest is for people.
 */
export const agentIdentitySchema = z
  .strictObject({
    id: z
      .string()
      .trim()
      .min(1)
      .max(128)
      .regex(/^[^\s]+$/, 'Use no spaces (e.g. "refund-bot" or "n8n:workflow:42")')
      .describe('Stable id of the agent, graph, workflow or Zap'),
    name: z.string().trim().min(1).max(200).optional(),
    version: z.string().trim().min(1).max(64).optional(),
    model: z.string().trim().min(1).max(128).optional().describe('The model that proposed the action, e.g. gpt-4.1'),
  })
  .meta({ id: 'AgentIdentity' });
export type AgentIdentity = z.infer<typeof agentIdentitySchema>;

export const createTaskInputSchema = z
  .strictObject({
    title: z.string().trim().min(1).max(500),
    description: z.string().max(20_000).optional(),
    payload: jsonValueSchema,
    context: jsonValueSchema.optional(),
    confidence: z.number().min(0).max(1).optional(),
    riskLevel: riskLevelSchema.optional(),
    tags: z.array(z.string().trim().min(1).max(64)).max(50).optional(),
    source: z
      .string()
      .max(64)
      .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'Use lower-case letters, digits, ".", "-" and "_"')
      .optional()
      .describe('Where the task came from: api, n8n, zapier, …'),
    externalRef: z.string().min(1).max(255).optional(),
    agent: agentIdentitySchema.optional(),
    callbackUrl: httpUrl.optional(),
    notifyEscalations: z
      .boolean()
      .optional()
      .describe('Also POST escalation steps (task.escalated) to callbackUrl; final outcomes are always sent'),
    dueAt: z.iso.datetime({ offset: true }).optional(),
    slaSeconds: z.number().int().min(1).max(MAX_SLA_SECONDS).optional(),
    queue: slug.optional(),
    reviewers: z
      .array(z.email().max(320))
      .max(50)
      .optional()
      .describe(
        "Reviewers' e-mail addresses to ask by e-mail instead of the queue's reviewer group: workspace members, or external reviewers (guests) the workspace's externalReviewers allowlist names",
      ),
    /** Payload fields a reviewer edits through labelled inputs; each property's pointer must be writable in payload. */
    form: formSchema.optional(),
    /** What a reviewer must answer when approving; the answers come back as decision.response. */
    responseForm: formSchema.optional(),
  })
  .refine((input) => !(input.dueAt !== undefined && input.slaSeconds !== undefined), {
    message: 'Give either dueAt or slaSeconds, not both',
    path: ['dueAt'],
  })
  .superRefine((input, ctx) => {
    if (input.form === undefined) return;
    for (const problem of formPathProblems(input.form, input.payload)) {
      ctx.addIssue({
        code: 'custom',
        path: ['form', 'properties', problem.path, 'x-loopgate-path'],
        message: problem.message,
      });
    }
  })
  .meta({ id: 'CreateTaskInput' });
export type CreateTaskInput = z.infer<typeof createTaskInputSchema>;

/** A reviewer's answers to a task's responseForm: property name → a JSON primitive. */
export const formResponseSchema = z
  .record(
    z.string().max(64),
    z.union([z.string().max(20_000), z.number().refine(Number.isFinite, 'Must be a finite number'), z.boolean()]),
  )
  .refine((response) => Object.keys(response).length <= 50, 'At most 50 answers')
  .meta({ id: 'FormResponse' });
export type FormResponse = z.infer<typeof formResponseSchema>;

/** Standing approvals (docs/approvals.md): "and allow the same for the next N hours". */
export const GRANT_SCOPES = ['payload', 'title'] as const;
export type GrantScope = (typeof GRANT_SCOPES)[number];
/** The longest standing approval any queue may allow: one week. */
export const MAX_GRANT_HOURS = 168;

export const grantRequestSchema = z
  .strictObject({
    scope: z
      .enum(GRANT_SCOPES)
      .describe('payload: same agent and identical payload (RFC 8785 digest); title: same agent and same title'),
    hours: z
      .number()
      .int()
      .min(1)
      .max(MAX_GRANT_HOURS)
      .describe("How long the grant approves matching tasks; at most the queue's grants.maxHours"),
  })
  .meta({ id: 'GrantRequest' });
export type GrantRequest = z.infer<typeof grantRequestSchema>;

export const decisionInputSchema = z
  .strictObject({
    action: decisionActionSchema,
    comment: z
      .string()
      .max(5000)
      .optional()
      .describe('Required (not blank) with reject: the reason the requester reads'),
    modifiedPayload: jsonValueSchema.optional(),
    response: formResponseSchema
      .optional()
      .describe("Answers to the task's responseForm; required (its required fields) when the task has one"),
    reasonCode: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .optional()
      .describe("reject: why, as a code; must be one of the queue's rejectReasons when it lists any"),
    grant: grantRequestSchema
      .optional()
      .describe(
        'approve only: also approve matching tasks of the same agent in this queue for the next `hours` (a standing approval)',
      ),
  })
  .superRefine((input, ctx) => {
    // Not with approve_with_modifications: the payload that runs is the reviewer's edit, so "the same
    // again" would approve an agent's unedited payload nobody approved.
    if (input.grant !== undefined && input.action !== 'approve') {
      ctx.addIssue({
        code: 'custom',
        path: ['grant'],
        message: `grant is only allowed with approve, not ${input.action}`,
      });
    }
    if (input.action === 'reject' && input.response !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['response'], message: 'response is only allowed with an approval' });
    }
    if (input.action !== 'reject' && input.reasonCode !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['reasonCode'], message: `reasonCode is only allowed with reject` });
    }
    if (input.action === 'approve_with_modifications' && input.modifiedPayload === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['modifiedPayload'],
        message: 'approve_with_modifications needs modifiedPayload',
      });
    }
    if (input.action !== 'approve_with_modifications' && input.modifiedPayload !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['modifiedPayload'],
        message: `modifiedPayload is only allowed with approve_with_modifications, not ${input.action}`,
      });
    }
  })
  .meta({ id: 'DecisionInput' });
export type DecisionInput = z.infer<typeof decisionInputSchema>;

export const cancelInputSchema = z
  .strictObject({ reason: z.string().max(2000).optional() })
  .meta({ id: 'CancelInput' });
export type CancelInput = z.infer<typeof cancelInputSchema>;

/**
 * `guest`: an external reviewer the workspace's externalReviewers allowlist lets a task name; id and
 * name are their e-mail address (lower case). A guest only ever decides through a review link.
 */
export const ACTOR_TYPES = ['user', 'api_key', 'policy', 'system', 'guest'] as const;
export const actorSchema = z
  .object({
    type: z.enum(ACTOR_TYPES),
    id: z.string().nullable(),
    name: z.string().nullable(),
  })
  .meta({ id: 'Actor' });
export type Actor = z.infer<typeof actorSchema>;

export const decisionSchema = z
  .object({
    action: decisionActionSchema,
    comment: z.string().nullable(),
    originalPayload: jsonValueSchema,
    modifiedPayload: jsonValueSchema.nullable(),
    diff: z
      .string()
      .nullable()
      .describe(
        'approve_with_modifications: unified diff (3 lines of context) from the original payload to the modified one, as the reviewer confirmed it; JSON payloads are compared pretty-printed with 2-space indents',
      ),
    reasonCode: z.string().nullable().describe("reject: the reason's code (one of the queue's rejectReasons)"),
    response: formResponseSchema.nullable().describe("An approval: the reviewer's answers to the task's responseForm"),
    payloadDigest: z
      .string()
      .nullable()
      .describe(
        'An approval: SHA-256 (hex) of the RFC 8785 canonical JSON of the payload that may run (modifiedPayload when modified, else the original); null for a rejection and for decisions made before digests were stored',
      ),
    decidedBy: actorSchema,
    decidedAt: z.iso.datetime(),
  })
  .meta({ id: 'Decision' });
export type Decision = z.infer<typeof decisionSchema>;

/** Where the task stands in its queue's workflow: why it is (or is not) in review, level, escalation. */
export const taskWorkflowSchema = z
  .object({
    routingRule: z
      .string()
      .nullable()
      .describe('The routing rule that won at creation, e.g. "rules[0]:confidence_below"'),
    routingReason: z.string().nullable(),
    level: z.number().int().describe('Current approval level, 1-based'),
    levels: z.number().int().describe('Approval levels this task needs; 0 when the policy auto-approved it'),
    priority: z.number().int().describe('0 normal; raised by escalation'),
    escalated: z.boolean(),
    escalationStep: z.number().int().describe('Escalation steps applied so far'),
    assignedGroup: z.string().nullable(),
    assignee: actorSchema.nullable(),
    claimed: z.boolean(),
  })
  .meta({ id: 'TaskWorkflow' });
export type TaskWorkflow = z.infer<typeof taskWorkflowSchema>;

export const taskSchema = z
  .object({
    id: z.string().describe('tsk_…'),
    queue: z.string(),
    title: z.string(),
    description: z.string().nullable(),
    payload: jsonValueSchema,
    context: jsonValueSchema.nullable(),
    confidence: z.number().nullable(),
    riskLevel: riskLevelSchema.nullable(),
    tags: z.array(z.string()),
    source: z.string(),
    externalRef: z.string().nullable(),
    agent: z
      .object({
        id: z.string(),
        name: z.string().nullable(),
        version: z.string().nullable(),
        model: z.string().nullable(),
      })
      .nullable()
      .describe('The agent that asked (as given on create); null when none was named'),
    callbackUrl: z
      .string()
      .nullable()
      .describe(
        "Whole for admins and the task's creator (resume URLs carry tokens), only its origin for others; null without one",
      ),
    hasCallback: z.boolean().describe('Whether the task has a callback URL, whoever may see it'),
    status: taskStatusSchema,
    dueAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    closedAt: z.iso.datetime().nullable(),
    createdBy: actorSchema,
    form: formSchema
      .nullable()
      .describe('The payload fields a reviewer edits through labelled inputs, as the task was created with'),
    responseForm: formSchema.nullable().describe('What a reviewer answers when approving (decision.response)'),
    decision: decisionSchema.nullable(),
    workflow: taskWorkflowSchema,
    version: z.number().int(),
    payloadErasure: z
      .object({
        erasedAt: z.iso.datetime(),
        shownDigest: z
          .string()
          .describe("SHA-256 (hex) of the RFC 8785 JSON of {payload, form} as erased: the audit entries' shownDigest"),
      })
      .nullable()
      .describe(
        "Set when payload retention (LOOPGATE_PAYLOAD_RETENTION_DAYS) erased this closed task's payload and context: then payload, context, decision.originalPayload, decision.modifiedPayload and decision.diff are null and are not what the agent sent; null: they are as sent",
      ),
    classification: taskClassificationSchema
      .nullable()
      .describe(
        "What the queue's sensitive-data detectors found when the task was created; null: the queue had none enabled",
      ),
  })
  .meta({ id: 'Task' });
export type Task = z.infer<typeof taskSchema>;

export const taskEventSchema = z
  .object({
    id: z.string(),
    taskId: z.string(),
    type: z.string().describe('created, decided, cancelled, …'),
    fromStatus: taskStatusSchema.nullable(),
    toStatus: taskStatusSchema.nullable(),
    actor: actorSchema,
    reason: z.string().nullable(),
    data: jsonValueSchema.nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'TaskEvent' });
export type TaskEvent = z.infer<typeof taskEventSchema>;

export const MAX_PAGE_SIZE = 200;

/** The orders GET /api/v1/tasks offers: the two fixed ones, then one per sortable column. */
export const TASK_SORTS = [
  'newest',
  'urgency',
  'title',
  'queue',
  'risk',
  'priority',
  'due',
  'created',
  'status',
] as const;
export type TaskSort = (typeof TASK_SORTS)[number];
/** The column sorts, each with the direction it takes when none is given. */
export const TASK_COLUMN_SORT_DEFAULT_DIR = {
  title: 'asc',
  queue: 'asc',
  risk: 'desc',
  priority: 'desc',
  due: 'asc',
  created: 'desc',
  status: 'asc',
} as const satisfies Record<Exclude<TaskSort, 'newest' | 'urgency'>, 'asc' | 'desc'>;
export type TaskColumnSort = keyof typeof TASK_COLUMN_SORT_DEFAULT_DIR;

export const listTasksQuerySchema = z
  .strictObject({
    status: taskStatusSchema.optional(),
    queue: slug.optional(),
    riskLevel: riskLevelSchema.optional(),
    source: z.string().max(64).optional(),
    externalRef: z.string().max(255).optional(),
    agent: z.string().max(128).optional().describe('Tasks from this agent (its agent.id)'),
    tag: z.string().trim().min(1).max(64).optional().describe('Tasks carrying this tag'),
    assignee: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe('Tasks assigned to this user or API key id; "unassigned" for tasks nobody is assigned to'),
    breached: z
      .enum(['true', 'false'])
      .optional()
      .describe('true: only tasks whose deadline has passed (with status=… for the open ones)'),
    q: z.string().max(200).optional().describe('A substring of the title'),
    createdAfter: z.iso.datetime({ offset: true }).optional(),
    createdBefore: z.iso.datetime({ offset: true }).optional(),
    sort: z
      .enum(TASK_SORTS)
      .default('newest')
      .describe(
        "newest: newest first. urgency: the board's order — earliest deadline first (so the most overdue lead), tasks without a deadline after those with one, then risk (critical first), priority, age (oldest first). title, queue, risk, priority, due, created, status: by that column (ties by id), in the direction dir says",
      ),
    dir: z
      .enum(['asc', 'desc'])
      .optional()
      .describe(
        'For a column sort: asc or desc; by default title, queue, status and due ascending, risk (critical first), priority and created descending. A task without a deadline sorts after every deadline; one without a risk level below low. Ignored for newest and urgency',
      ),
    limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(50),
    cursor: z.string().max(200).optional().describe('nextCursor of the previous page, with the same sort'),
  })
  .describe('Filters and paging for GET /api/v1/tasks');
export type ListTasksQuery = z.infer<typeof listTasksQuerySchema>;

export const exportTasksQuerySchema = listTasksQuerySchema
  .omit({ limit: true, cursor: true })
  .extend({
    format: z
      .enum(['csv', 'jsonl'])
      .describe('csv: a header row, then one row per task; jsonl: one JSON object per line'),
  })
  .describe('Filters and order for GET /api/v1/tasks/export: every matching task, streamed');
export type ExportTasksQuery = z.infer<typeof exportTasksQuerySchema>;

export const taskPageSchema = z
  .object({ data: z.array(taskSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'TaskPage' });
export type TaskPage = z.infer<typeof taskPageSchema>;

export const taskEventListSchema = z.object({ data: z.array(taskEventSchema) }).meta({ id: 'TaskEventList' });

export const MAX_WAIT_SECONDS = 120;
export const waitQuerySchema = z.strictObject({
  timeout: z.coerce.number().min(0).max(MAX_WAIT_SECONDS).default(30),
});

export { httpUrl as httpUrlSchema, slug as slugSchema };
