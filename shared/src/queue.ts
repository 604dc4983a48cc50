import { z } from 'zod';
import { classificationConfigSchema } from './classification.js';
import {
  checkConditionDepth,
  checkFieldValue,
  conditionListSchema,
  conditionSchema,
  fieldConditionShape,
} from './field-conditions.js';
import { MAX_FORM_POINTER_LENGTH, parsePointer } from './forms.js';
import {
  actorSchema,
  createTaskInputSchema,
  formResponseSchema,
  GRANT_SCOPES,
  jsonValueSchema,
  MAX_GRANT_HOURS,
  riskLevelSchema,
  slugSchema,
} from './task.js';

/**
 * Queues: where a task lands, which routing policy decides whether a human must look at it, how many
 * humans (approval levels, quorum), and what happens when nobody acts in time (SLA, escalation chain,
 * timeout action). Everything here is configuration an admin writes through /api/v1/queues.
 */

const MAX_SECONDS = 366 * 24 * 3600;
const levelCount = z.number().int().min(1).max(10);

/** What a rule on the payload does when it matches: send the task to review (default) or approve it. */
const conditionalOutcome = {
  levels: levelCount.optional().describe('Approval levels when it sends to review; default: every level of the queue'),
  outcome: z
    .enum(['review', 'auto_approve'])
    .optional()
    .describe('What a match does: review (default), or auto_approve for work known to be safe ("amount lt 10")'),
};

/** Routing rules, evaluated in order at task creation; the first that matches decides. */
export const policyRuleSchema = z
  .discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('confidence_below'),
      threshold: z.number().min(0).max(1),
      levels: levelCount.optional().describe('Approval levels this rule requires; default: every level of the queue'),
    }),
    z.strictObject({
      type: z.literal('risk'),
      levels: z
        .partialRecord(riskLevelSchema, z.number().int().min(0).max(10))
        .describe('Approval levels per risk level; 0 (or absent) lets the next rule decide'),
    }),
    z.strictObject({
      type: z.literal('flag'),
      name: z.string().min(1).max(64).describe('e.g. "regulatory": matches when context or payload has it set to true'),
      levels: levelCount.optional(),
    }),
    z.strictObject({
      type: z.literal('sample'),
      rate: z.number().min(0).max(1).describe('Share of the remaining tasks sent to review, by a hash of the task id'),
      levels: levelCount.optional(),
    }),
    z.strictObject({ type: z.literal('auto_approve') }),
    z
      .strictObject({ ...fieldConditionShape, ...conditionalOutcome })
      .superRefine((rule, ctx) => checkFieldValue(rule, ctx)),
    z
      .strictObject({ type: z.literal('all'), rules: conditionListSchema(), ...conditionalOutcome })
      .superRefine(checkConditionDepth),
    z
      .strictObject({ type: z.literal('any'), rules: conditionListSchema(), ...conditionalOutcome })
      .superRefine(checkConditionDepth),
    z
      .strictObject({ type: z.literal('not'), rule: conditionSchema, ...conditionalOutcome })
      .superRefine(checkConditionDepth),
  ])
  .meta({ id: 'PolicyRule' });
export type PolicyRule = z.infer<typeof policyRuleSchema>;

export const approvalLevelSchema = z
  .strictObject({
    name: z.string().min(1).max(64),
    group: slugSchema.nullable().default(null).describe('Reviewer group whose members may vote; null: any reviewer'),
    quorum: z.number().int().min(1).max(50).default(1),
    mode: z
      .enum(['unanimous', 'majority'])
      .default('unanimous')
      .describe(
        'unanimous: quorum approvals approve, any rejection rejects. majority: once quorum votes are in, more approvals than rejections approve, otherwise reject',
      ),
    // Optional rather than defaulted, so every stored config (and its version) reads as before: absent is false.
    allowGuests: z
      .boolean()
      .optional()
      .describe(
        "true: external reviewers (guests) a task names may decide at this level through their review link, alongside the level's group; absent or false: their decisions are refused here",
      ),
  })
  .meta({ id: 'ApprovalLevel' });
export type ApprovalLevel = z.infer<typeof approvalLevelSchema>;

export const ESCALATION_ACTIONS = ['reminder', 'reassign', 'raise_priority'] as const;
export const escalationStepSchema = z
  .strictObject({
    action: z.enum(ESCALATION_ACTIONS),
    afterSeconds: z
      .number()
      .int()
      .min(-MAX_SECONDS)
      .max(MAX_SECONDS)
      .describe('When, relative to the task deadline (dueAt); negative: before it'),
    group: slugSchema.optional().describe('reassign: the group that takes the task over'),
  })
  .meta({ id: 'EscalationStep' });
export type EscalationStep = z.infer<typeof escalationStepSchema>;

export const rejectReasonSchema = z
  .strictObject({
    code: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'Use lower-case letters, digits, ".", "-" and "_"'),
    label: z.string().trim().min(1).max(200).describe('What a reviewer reads in the choice'),
  })
  .meta({ id: 'RejectReason' });
export type RejectReason = z.infer<typeof rejectReasonSchema>;

/** How many payload fields a queue's board cards show. */
export const MAX_CARD_FIELDS = 3;

/**
 * A card field: an RFC 6901 JSON Pointer into the payload (through objects only, like a form's
 * `x-loopgate-path`). Its tokens may not contain `"` or `\`: the board extracts the values in SQL,
 * where a JSON path quotes each key.
 */
export const cardFieldSchema = z
  .string()
  .max(MAX_FORM_POINTER_LENGTH)
  .superRefine((pointer, ctx) => {
    const tokens = parsePointer(pointer);
    if (tokens === null || tokens.some((token) => token === '')) {
      ctx.addIssue({
        code: 'custom',
        message:
          'Must be a JSON Pointer into the payload such as "/amount" or "/customer/name": "/"-separated names, ~0 and ~1 escapes, at most 16 steps',
      });
    } else if (tokens.some((token) => /["\\]/.test(token))) {
      ctx.addIssue({ code: 'custom', message: 'A card field\'s names may not contain " or \\' });
    }
  });

/** A queue without a `grants` setting allows standing approvals of up to a day. */
export const DEFAULT_GRANT_HOURS = 24;

/** What a queue allows of standing approvals, its defaults filled in. */
export function grantSettingsOf(config: { grants?: { allowed: boolean; maxHours: number } | undefined }): {
  allowed: boolean;
  maxHours: number;
} {
  return config.grants ?? { allowed: true, maxHours: DEFAULT_GRANT_HOURS };
}

export const queueConfigSchema = z
  .strictObject({
    description: z.string().max(2000).nullable().default(null),
    reviewerGroups: z.array(slugSchema).max(20).default([]).describe('Groups the queue is offered to'),
    mailPayload: z
      .enum(['full', 'summary', 'none'])
      .default('full')
      .describe(
        'How much of the payload review mail shows: full, summary (top-level keys only) or none (keeps PHI out of mail)',
      ),
    policy: z
      .strictObject({
        rules: z.array(policyRuleSchema).max(50).default([]),
        otherwise: z
          .enum(['review', 'auto_approve'])
          .default('review')
          .describe('When no rule matches. review keeps the queue fail-closed'),
      })
      .default({ rules: [], otherwise: 'review' }),
    levels: z
      .array(approvalLevelSchema)
      .min(1)
      .max(10)
      .default([{ name: 'review', group: null, quorum: 1, mode: 'unanimous' }]),
    creatorMayApprove: z
      .boolean()
      .default(true)
      .describe('false: the actor that created a task may not approve it (separation of duties)'),
    sla: z
      .strictObject({
        seconds: z.number().int().min(1).max(MAX_SECONDS).nullable().default(null),
        byRisk: z.partialRecord(riskLevelSchema, z.number().int().min(1).max(MAX_SECONDS)).default({}),
      })
      .default({ seconds: null, byRisk: {} }),
    escalation: z.array(escalationStepSchema).max(10).default([]),
    timeoutAction: z
      .enum(['reject', 'approve'])
      .default('reject')
      .describe(
        'At the deadline (after the escalation chain): reject ends the task expired; approve only when set explicitly',
      ),
    timeoutAfterSeconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_SECONDS)
      .default(0)
      .describe('When the timeout action runs, relative to dueAt; at least the last escalation step'),
    rejectReasons: z
      .array(rejectReasonSchema)
      .max(50)
      .default([])
      .describe(
        'Reasons a reviewer picks from when rejecting; when any are listed, a reject must carry one as reasonCode',
      ),
    cardFields: z
      .array(cardFieldSchema)
      .max(MAX_CARD_FIELDS)
      .default([])
      .describe(
        'Up to 3 JSON Pointers into the payload ("/amount", "/customer/name") whose values the board\'s cards show',
      ),
    classification: classificationConfigSchema
      .default({ detectors: [] })
      .describe(
        'Sensitive-data detectors that scan payload and context before routing; one that fires raises the risk level to its raiseTo (never lowers it)',
      ),
    grants: z
      .strictObject({
        allowed: z.boolean().default(true).describe('false: reviewers may not give standing approvals in this queue'),
        maxHours: z
          .number()
          .int()
          .min(1)
          .max(MAX_GRANT_HOURS)
          .default(DEFAULT_GRANT_HOURS)
          .describe('The longest standing approval a reviewer may give'),
      })
      .optional()
      .describe(
        `Standing approvals ("approve the same for the next N hours"). Absent: allowed, for at most ${DEFAULT_GRANT_HOURS} hours`,
      ),
  })
  .superRefine((config, ctx) => {
    config.cardFields.forEach((pointer, index) => {
      if (config.cardFields.indexOf(pointer) !== index) {
        ctx.addIssue({ code: 'custom', path: ['cardFields', index], message: 'card fields must be distinct' });
      }
    });
    const codes = new Set<string>();
    config.rejectReasons.forEach((reason, index) => {
      if (codes.has(reason.code)) {
        ctx.addIssue({ code: 'custom', path: ['rejectReasons', index, 'code'], message: 'codes must be distinct' });
      }
      codes.add(reason.code);
    });
    let previous = Number.NEGATIVE_INFINITY;
    config.escalation.forEach((step, index) => {
      if (step.afterSeconds < previous) {
        ctx.addIssue({
          code: 'custom',
          path: ['escalation', index, 'afterSeconds'],
          message: 'steps must be in time order',
        });
      }
      previous = step.afterSeconds;
      if (step.action === 'reassign' && step.group === undefined) {
        ctx.addIssue({ code: 'custom', path: ['escalation', index, 'group'], message: 'reassign needs a group' });
      }
    });
    if (config.timeoutAfterSeconds < previous) {
      ctx.addIssue({
        code: 'custom',
        path: ['timeoutAfterSeconds'],
        message: 'the timeout action must come at or after the last escalation step',
      });
    }
  });
export type QueueConfig = z.output<typeof queueConfigSchema>;
export type QueueConfigInput = z.input<typeof queueConfigSchema>;

export const createQueueInputSchema = z
  .strictObject({ name: slugSchema, config: queueConfigSchema.default(queueConfigSchema.parse({})) })
  .meta({ id: 'CreateQueueInput' });
export type CreateQueueInput = z.infer<typeof createQueueInputSchema>;

export const updateQueueInputSchema = z.strictObject({ config: queueConfigSchema }).meta({ id: 'UpdateQueueInput' });

/** Valid but almost certainly a mistake: a rule no task reaches, fewer approval levels than a later rule asks for, … */
/**
 * What kind of mistake a warning is: the queue's warnings, the dry run, the preview and the backtest
 * use the same codes. The last three come only from a backtest (they need history to say).
 */
export const CONFIG_WARNING_CODES = [
  'rule_never_reached',
  'rule_never_matches',
  'risk_level_already_routed',
  'levels_capped',
  'fewer_levels_first',
  'level_unreachable',
  'escalation_at_timeout',
  'escalation_before_creation',
  'escalation_without_deadline',
  'rule_unmatched_in_range',
  'detector_never_fired',
] as const;
export type ConfigWarningCode = (typeof CONFIG_WARNING_CODES)[number];

export const configWarningSchema = z
  .object({
    code: z.enum(CONFIG_WARNING_CODES).describe('Stable: the same mistake has the same code wherever it is reported'),
    path: z.string().describe('Where in the config, as written: "policy.rules[2]", "escalation[1]"'),
    message: z.string(),
  })
  .meta({ id: 'ConfigWarning' });
export type ConfigWarningView = z.infer<typeof configWarningSchema>;

export const queueSchema = z
  .object({
    name: z.string(),
    config: queueConfigSchema,
    version: z
      .number()
      .int()
      .min(0)
      .describe('1 when created, +1 on every change of its config; 0 for the built-in default queue'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    builtIn: z.boolean().describe('true for the default queue until an admin configures it'),
    warnings: z
      .array(configWarningSchema)
      .describe('Rules that can never match or that shadow a later one, and similar mistakes the schema allows'),
  })
  .meta({ id: 'Queue' });
export type Queue = z.infer<typeof queueSchema>;
export const queueListSchema = z.object({ data: z.array(queueSchema) }).meta({ id: 'QueueList' });

/** A group member: a user (decides through the web pages) or an API key (acts as itself). */
export const groupMemberSchema = z
  .string()
  .min(1)
  .max(254)
  .describe('A user id (usr_…), a user e-mail address, or an API key id (key_…)');

export const reviewerGroupInputSchema = z
  .strictObject({ name: slugSchema, members: z.array(groupMemberSchema).max(500).default([]) })
  .meta({ id: 'ReviewerGroupInput' });
export const reviewerGroupRenameInputSchema = z
  .strictObject({ name: slugSchema.describe('The new name; queue configs and open tasks naming the group follow it') })
  .meta({ id: 'ReviewerGroupRenameInput' });
export const reviewerGroupMembersInputSchema = z
  .strictObject({ members: z.array(groupMemberSchema).max(500) })
  .meta({ id: 'ReviewerGroupMembersInput' });

export const reviewerGroupSchema = z
  .object({
    name: z.string(),
    members: z.array(z.object({ type: z.enum(['user', 'api_key']), id: z.string(), email: z.string().nullable() })),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'ReviewerGroup' });
export const reviewerGroupListSchema = z
  .object({ data: z.array(reviewerGroupSchema) })
  .meta({ id: 'ReviewerGroupList' });

export const policyDryRunInputSchema = createTaskInputSchema;
export const policyDryRunResultSchema = z
  .object({
    queue: z.string(),
    outcome: z.enum(['review', 'auto_approve']),
    rule: z.string().describe('The winning rule, e.g. "rules[0]:confidence_below" or "otherwise"'),
    reason: z.string(),
    levels: z.array(z.string()).describe('Approval levels the task would go through'),
    dueAt: z.iso.datetime().nullable(),
    sampled: z.boolean().nullable().describe('For queues with a sampling rule: whether this task id samples in'),
    warnings: z.array(configWarningSchema).describe("The queue config's shadowing warnings"),
  })
  .meta({ id: 'PolicyDryRunResult' });
export type PolicyDryRunResult = z.infer<typeof policyDryRunResultSchema>;

/** A proposed config for an existing queue, to preview before saving it. */
export const queuePreviewInputSchema = z.strictObject({ config: queueConfigSchema }).meta({ id: 'QueuePreviewInput' });

export const QUEUE_PREVIEW_TASKS = 200;
export const queuePreviewSchema = z
  .object({
    queue: z.string(),
    warnings: z.array(configWarningSchema).describe("The proposed config's shadowing warnings"),
    recent: z
      .object({
        tasks: z
          .number()
          .int()
          .describe(`How many of the queue's most recent tasks were routed (at most ${QUEUE_PREVIEW_TASKS})`),
        review: z.number().int().describe('Would go to human review under the proposed config'),
        autoApproved: z.number().int().describe('Would be approved automatically'),
        autoApprovedButRejected: z
          .number()
          .int()
          .describe('Of those auto-approved, how many a human actually rejected'),
        summary: z.string().describe('The same in one sentence'),
      })
      .describe("The proposed routing policy run over the queue's most recent tasks; nothing is saved"),
  })
  .meta({ id: 'QueuePreview' });
export type QueuePreview = z.infer<typeof queuePreviewSchema>;

/** The longest range a backtest replays, and the most tasks it reads: past either, ask for a shorter range. */
export const BACKTEST_MAX_DAYS = 366;
export const BACKTEST_MAX_TASKS = 1_000_000;
export const BACKTEST_DEFAULT_DAYS = 30;

export const policyBacktestInputSchema = z
  .strictObject({
    queue: slugSchema.describe('The queue whose past tasks are replayed'),
    config: queueConfigSchema
      .optional()
      .describe(
        "The proposed config, validated as PUT /api/v1/queues/{name} does; omitted: the queue's current config",
      ),
    from: z.iso
      .datetime()
      .optional()
      .describe(`Tasks created at or after; default: ${BACKTEST_DEFAULT_DAYS} days before to`),
    to: z.iso.datetime().optional().describe('Tasks created before; default: now'),
  })
  .meta({ id: 'PolicyBacktestInput' });
export type PolicyBacktestInput = z.infer<typeof policyBacktestInputSchema>;

const routedCounts = {
  toHumans: z.number().int().describe('Would go to human review'),
  autoApproved: z.number().int().describe('Would be approved automatically'),
};

export const policyBacktestResultSchema = z
  .object({
    queue: z.string(),
    range: z.object({ from: z.iso.datetime(), to: z.iso.datetime() }),
    tasks: z.number().int().describe('Tasks the queue created in the range (replayed + notReplayable)'),
    replayed: z.number().int(),
    notReplayable: z
      .number()
      .int()
      .describe(
        'Tasks whose payload retention erased: the policy cannot be run on what is gone, so they count nowhere else',
      ),
    truncated: z
      .boolean()
      .describe(
        `True when the range held more than ${BACKTEST_MAX_TASKS} tasks: only the oldest ${BACKTEST_MAX_TASKS} were read`,
      ),
    ...routedCounts,
    current: z.object(routedCounts).describe("What the queue's current config does with the same tasks"),
    byRule: z
      .array(
        z.object({
          rule: z.string().describe('"rules[2]:field" or "otherwise", as routing names it'),
          path: z.string().describe('"policy.rules[2]" or "policy.otherwise"'),
          outcome: z.enum(['review', 'auto_approve', 'mixed']),
          count: z.number().int().describe('Replayed tasks this rule decided'),
          ...routedCounts,
          humanRejected: z.number().int().describe('Of those, how many a person actually rejected'),
          humanModified: z.number().int().describe('Of those, how many a person actually approved with modifications'),
          reason: z.string().nullable().describe("One task's routing reason, as the task would show it"),
        }),
      )
      .describe('Every rule of the proposed config in order, then otherwise; a rule that decided nothing has count 0'),
    humanDecided: z
      .object({
        total: z
          .number()
          .int()
          .describe('Replayed tasks a person (user or API key) decided, not the policy or a timeout'),
        wouldAutoApprove: z
          .number()
          .int()
          .describe('Of those, how many the proposed config would approve with nobody looking'),
        ofWhichApproved: z.number().int(),
        ofWhichModified: z.number().int(),
        ofWhichRejected: z.number().int(),
      })
      .describe('The cost of the change: decisions people made that nobody would make any more'),
    detectors: z
      .array(z.object({ name: z.string(), fired: z.number().int() }))
      .describe(
        "Per sensitive-data detector the proposed config enables (its label, or a custom detector's name), how many replayed tasks it fired on",
      ),
    warnings: z
      .array(configWarningSchema)
      .describe("The proposed config's warnings, and rules that matched nothing in the range"),
    summary: z.string().describe('The same in plain words'),
  })
  .meta({ id: 'PolicyBacktestResult' });
export type PolicyBacktestResult = z.infer<typeof policyBacktestResultSchema>;

export const voteSchema = z
  .object({
    level: z.number().int(),
    levelName: z.string(),
    action: z.enum(['approve', 'reject', 'approve_with_modifications']),
    comment: z.string().nullable(),
    modifiedPayload: jsonValueSchema.nullable(),
    reasonCode: z.string().nullable(),
    response: formResponseSchema.nullable(),
    actor: actorSchema,
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Vote' });
export const voteListSchema = z.object({ data: z.array(voteSchema) }).meta({ id: 'VoteList' });

export const grantSchema = z
  .object({
    id: z.string().describe('grt_…'),
    queue: z.string(),
    agentId: z.string(),
    scope: z.enum(GRANT_SCOPES),
    payloadDigest: z.string().nullable().describe('scope payload: the RFC 8785 SHA-256 of the approved payload'),
    title: z.string().nullable().describe('scope title: the title matching tasks carry'),
    createdBy: actorSchema.describe('The reviewer who gave it'),
    fromTaskId: z.string().describe('The task whose approval gave it'),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    revokedAt: z.iso.datetime().nullable(),
    revokedBy: actorSchema.nullable(),
    revokeReason: z.string().nullable(),
    uses: z.number().int().describe('Tasks it has approved'),
    active: z.boolean().describe('Neither revoked nor expired'),
  })
  .meta({ id: 'Grant' });
export type Grant = z.infer<typeof grantSchema>;
export const grantListSchema = z.object({ data: z.array(grantSchema) }).meta({ id: 'GrantList' });

export const revokeGrantInputSchema = z
  .strictObject({ reason: z.string().trim().max(2000).optional().describe('Why the standing approval ends') })
  .meta({ id: 'RevokeGrantInput' });
export type RevokeGrantInput = z.infer<typeof revokeGrantInputSchema>;
