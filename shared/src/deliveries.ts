import { z } from 'zod';
import { AGENT_WEBHOOK_EVENT_TYPES, TASK_WEBHOOK_EVENT_TYPES, WEBHOOK_EVENT_TYPES } from './lifecycle.js';
import { actorSchema, formResponseSchema, httpUrlSchema, jsonValueSchema, taskSchema } from './task.js';

/**
 * Decision delivery on the wire: subscription and delivery shapes, and the envelope every delivery
 * (task callback or subscription) carries. The event names are in ./lifecycle.ts; receivers verify
 * deliveries with `verifyWebhook` from ./webhooks.ts.
 */
export const webhookEventTypeSchema = z.enum(WEBHOOK_EVENT_TYPES);

export const createWebhookInputSchema = z
  .strictObject({
    url: httpUrlSchema,
    events: z.array(webhookEventTypeSchema).min(1).max(WEBHOOK_EVENT_TYPES.length),
    description: z.string().max(500).optional(),
  })
  .meta({ id: 'CreateWebhookInput' });
export type CreateWebhookInput = z.infer<typeof createWebhookInputSchema>;

export const webhookSubscriptionSchema = z
  .object({
    id: z.string().describe('whk_…'),
    url: z.string().describe('Whole for admins and whoever subscribed; only its origin for others'),
    events: z.array(webhookEventTypeSchema),
    description: z.string().nullable(),
    status: z.enum(['active', 'disabled']),
    disabledReason: z.string().nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'WebhookSubscription' });
export type WebhookSubscription = z.infer<typeof webhookSubscriptionSchema>;

/** Returned once, at creation or rotation: the secret that signs every delivery to the subscription. */
export const webhookSubscriptionWithSecretSchema = webhookSubscriptionSchema
  .extend({ secret: z.string().describe('whsec_…; shown once') })
  .meta({ id: 'WebhookSubscriptionWithSecret' });

export const webhookSubscriptionListSchema = z
  .object({ data: z.array(webhookSubscriptionSchema) })
  .meta({ id: 'WebhookSubscriptionList' });

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const deliveryAttemptSchema = z
  .object({
    attempt: z.number().int(),
    startedAt: z.iso.datetime(),
    statusCode: z.number().int().nullable(),
    latencyMs: z.number().int(),
    error: z.string().nullable(),
  })
  .meta({ id: 'DeliveryAttempt' });

export const deliverySchema = z
  .object({
    id: z.string().describe('msg_…; sent as webhook-id, the same on every retry'),
    kind: z.enum(['callback', 'subscription', 'slack']),
    taskId: z.string().nullable(),
    subscriptionId: z.string().nullable(),
    eventType: z.string(),
    url: z
      .string()
      .describe(
        "Whole for admins and whoever registered it (the task's creator, the subscriber); its origin for others",
      ),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number().int(),
    nextAttemptAt: z.iso.datetime().nullable(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    createdAt: z.iso.datetime(),
    deliveredAt: z.iso.datetime().nullable(),
    attemptLog: z.array(deliveryAttemptSchema).optional(),
  })
  .meta({ id: 'Delivery' });
export type Delivery = z.infer<typeof deliverySchema>;

export const deliveryListSchema = z
  .object({ data: z.array(deliverySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'DeliveryList' });

export const listDeliveriesQuerySchema = z.strictObject({
  taskId: z.string().max(64).optional(),
  subscriptionId: z.string().max(64).optional(),
  status: z.enum(DELIVERY_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});
export type ListDeliveriesQuery = z.infer<typeof listDeliveriesQuerySchema>;

/** What a task callback and a subscription receive: Standard Webhooks' recommended {type, timestamp, data}. */
export const webhookPayloadSchema = z
  .object({
    type: z.enum(TASK_WEBHOOK_EVENT_TYPES),
    timestamp: z.iso.datetime(),
    data: z.object({
      taskId: z.string(),
      status: z.string(),
      action: z.string().nullable(),
      comment: z.string().nullable(),
      reviewers: z.array(actorSchema),
      originalPayload: jsonValueSchema,
      modifiedPayload: jsonValueSchema.nullable(),
      diff: z
        .string()
        .nullable()
        .describe('approve_with_modifications: unified diff from original to modified payload'),
      reasonCode: z.string().nullable().describe("reject: the chosen reason's code (the queue's rejectReasons)"),
      response: formResponseSchema.nullable().describe("approval: the reviewer's answers to the task's responseForm"),
      payloadDigest: z
        .string()
        .nullable()
        .describe('approval: SHA-256 (hex) of the RFC 8785 canonical JSON of the payload that may run'),
      externalRef: z.string().nullable(),
      event: z.object({
        id: z.string(),
        type: z.string(),
        reason: z.string().nullable(),
        data: jsonValueSchema.nullable(),
      }),
      createdAt: z.iso.datetime(),
      decidedAt: z.iso.datetime().nullable(),
      task: taskSchema,
    }),
  })
  .meta({ id: 'WebhookPayload' });
export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;

const proportionSideSchema = z.object({
  successes: z.number().int(),
  trials: z.number().int(),
  rate: z.number().nullable(),
});
const driftWindowSchema = z.object({
  from: z.string().describe('First UTC day, YYYY-MM-DD'),
  to: z.string().describe('Last UTC day, inclusive'),
});

/**
 * What a subscription to `agent.drift_detected` / `agent.drift_cleared` receives (issue 16 item 8): the
 * analytics job's two-proportion test of the agent's rates over the last 7 days against the 28 before,
 * sent once per change of the agent's drift state.
 */
export const agentDriftWebhookPayloadSchema = z
  .object({
    type: z.enum(AGENT_WEBHOOK_EVENT_TYPES),
    timestamp: z.iso.datetime(),
    data: z.object({
      agentId: z.string(),
      drifted: z.boolean(),
      recent: driftWindowSchema,
      baseline: driftWindowSchema,
      alpha: z.number().describe('A metric drifted when its two-sided p-value is below this'),
      metrics: z.array(
        z.object({
          metric: z.enum(['intervention', 'modification', 'rejection']),
          recent: proportionSideSchema,
          baseline: proportionSideSchema,
          z: z.number().nullable(),
          pValue: z.number().nullable(),
          drifted: z.boolean(),
          skipped: z.enum(['too_few_tasks', 'no_variance']).nullable(),
        }),
      ),
      driftedMetrics: z.array(z.string()).describe('The metrics that changed; empty in agent.drift_cleared'),
    }),
  })
  .meta({ id: 'AgentDriftWebhookPayload' });
export type AgentDriftWebhookPayload = z.infer<typeof agentDriftWebhookPayloadSchema>;

export const callbackSecretSchema = z
  .object({
    secret: z.string().describe('whsec_…: signs every task callback of the workspace'),
    previousSecretExpiresAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'CallbackSecret' });

const allowPrivateCallbacksField = z
  .boolean()
  .describe(
    'Allow callback/webhook URLs on every private, loopback or link-local address (self-hosting next to n8n); cloud metadata addresses stay refused',
  );
const callbackAllowlistField = z
  .array(z.string().max(260))
  .max(100)
  .describe(
    'Host names (n8n, *.svc.cluster.local), IP addresses and CIDR ranges (10.0.0.0/8, fd00::/8) callbacks and webhooks may reach although private; a cloud metadata address can only be allowed by the server (LOOPGATE_CALLBACK_ALLOWLIST)',
  );

export const deliverySettingsSchema = z
  .strictObject({
    allowPrivateCallbacks: allowPrivateCallbacksField,
    callbackAllowlist: callbackAllowlistField,
  })
  .meta({ id: 'DeliverySettings' });

/** A change to the delivery settings: the fields sent are replaced, the others kept. */
export const updateDeliverySettingsInputSchema = z
  .strictObject({
    allowPrivateCallbacks: allowPrivateCallbacksField.optional(),
    callbackAllowlist: callbackAllowlistField.optional(),
  })
  .refine((input) => input.allowPrivateCallbacks !== undefined || input.callbackAllowlist !== undefined, {
    message: 'send allowPrivateCallbacks, callbackAllowlist or both',
  })
  .meta({ id: 'UpdateDeliverySettings' });
export type UpdateDeliverySettingsInput = z.infer<typeof updateDeliverySettingsInputSchema>;
