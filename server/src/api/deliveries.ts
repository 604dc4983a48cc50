import {
  callbackSecretSchema,
  createWebhookInputSchema,
  deliveryListSchema,
  deliverySchema,
  deliverySettingsSchema,
  listDeliveriesQuerySchema,
  updateDeliverySettingsInputSchema,
  webhookSubscriptionListSchema,
  webhookSubscriptionSchema,
  webhookSubscriptionWithSecretSchema,
} from '@loopgate/shared';
import { z } from 'zod';
import { getDelivery, listDeliveries, redeliver } from '../domain/delivery/deliveries.js';
import type { DeliverySettingsRecord } from '../domain/delivery/delivery-ports.js';
import {
  getCallbackSecret,
  rotateCallbackSecret,
  updateDeliverySettings,
} from '../domain/delivery/delivery-settings.js';
import {
  createSubscription,
  type DeliveryServiceDeps,
  deleteSubscription,
  getSubscription,
  listSubscriptions,
  rotateSubscriptionSecret,
  toSubscriptionView,
} from '../domain/delivery/subscriptions.js';
import { getTask } from '../domain/tasks/read-tasks.js';

import { problemResponses } from './problem-responses.js';
import { type AnyRouteSpec, defineRoute } from './route.js';

/** What the HTTP app needs from decision delivery beyond the task service's hook and URL check. */
export interface DeliveryAppDeps {
  /** Wakes the outbox worker (after a redeliver). */
  kick?: () => void;
  /** POSTs a message update to a Slack response_url. */
  respondToSlack: (workspaceId: string, url: string, message: object) => Promise<void>;
}

const idParams = z.strictObject({ id: z.string().min(1).max(64) });

function callbackSecretView(settings: DeliverySettingsRecord) {
  return {
    secret: settings.callbackSecret,
    previousSecretExpiresAt:
      settings.previousSecretExpiresAt === null ? null : new Date(settings.previousSecretExpiresAt).toISOString(),
  };
}

function deliverySettingsView(settings: DeliverySettingsRecord) {
  return { allowPrivateCallbacks: settings.allowPrivateCallbacks, callbackAllowlist: settings.callbackAllowlist };
}

/** Webhook subscriptions (REST hooks), the delivery log with redelivery, and workspace delivery settings. */
export function deliveryRoutes(deps: DeliveryServiceDeps): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'post',
      path: '/api/v1/webhooks',
      summary: 'Subscribe a URL to task events (REST hook); the answer holds the signing secret, shown once',
      tags: ['webhooks'],
      permission: 'webhook:subscribe',
      carriesSecret: true,
      body: createWebhookInputSchema,
      responses: {
        201: { description: 'Subscribed', schema: webhookSubscriptionWithSecretSchema },
        ...problemResponses(400, 401, 403, 415, 422),
      },
      async handler({ principal, body, requestId }) {
        const subscription = await createSubscription(deps, principal, body, requestId);
        return {
          status: 201,
          body: { ...toSubscriptionView(subscription, principal), secret: subscription.secret },
          headers: { Location: `/api/v1/webhooks/${subscription.id}` },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/webhooks',
      summary: "The workspace's webhook subscriptions",
      tags: ['webhooks'],
      permission: 'webhook:subscribe',
      responses: {
        200: { description: 'Subscriptions, oldest first', schema: webhookSubscriptionListSchema },
        ...problemResponses(401, 403),
      },
      async handler({ principal }) {
        return {
          status: 200,
          body: {
            data: (await listSubscriptions(deps, principal)).map((s) => toSubscriptionView(s, principal)),
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/webhooks/{id}',
      summary: 'Get a webhook subscription',
      tags: ['webhooks'],
      permission: 'webhook:subscribe',
      params: idParams,
      responses: {
        200: { description: 'The subscription', schema: webhookSubscriptionSchema },
        ...problemResponses(401, 403, 404),
      },
      async handler({ principal, params }) {
        return { status: 200, body: toSubscriptionView(await getSubscription(deps, principal, params.id), principal) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/api/v1/webhooks/{id}',
      summary: 'Unsubscribe; deliveries still pending for it are cancelled',
      tags: ['webhooks'],
      permission: 'webhook:subscribe',
      params: idParams,
      responses: { 204: { description: 'Unsubscribed' }, ...problemResponses(401, 403, 404) },
      async handler({ principal, params, requestId }) {
        await deleteSubscription(deps, principal, params.id, requestId);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/webhooks/{id}/rotate-secret',
      summary: 'New signing secret; the old one keeps signing alongside it for 24 hours',
      tags: ['webhooks'],
      permission: 'webhook:subscribe',
      carriesSecret: true,
      params: idParams,
      responses: {
        200: { description: 'The subscription with its new secret', schema: webhookSubscriptionWithSecretSchema },
        ...problemResponses(401, 403, 404),
      },
      async handler({ principal, params, requestId }) {
        const rotated = await rotateSubscriptionSecret(deps, principal, params.id, requestId);
        return { status: 200, body: { ...toSubscriptionView(rotated, principal), secret: rotated.secret } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/deliveries',
      summary: 'Delivery log: every callback and webhook delivery with its attempts, newest first',
      tags: ['webhooks'],
      permission: 'task:read',
      query: listDeliveriesQuerySchema,
      responses: { 200: { description: 'One page', schema: deliveryListSchema }, ...problemResponses(400, 401) },
      async handler({ principal, query }) {
        const { deliveries, nextCursor } = await listDeliveries(deps, principal, query);
        return { status: 200, body: { data: deliveries, nextCursor } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/tasks/{id}/deliveries',
      summary: "The task's deliveries (callback, subscriptions, Slack) with every attempt",
      tags: ['webhooks', 'tasks'],
      permission: 'task:read',
      params: idParams,
      responses: { 200: { description: 'Newest first', schema: deliveryListSchema }, ...problemResponses(401, 404) },
      async handler({ principal, params }) {
        const task = await getTask(deps, principal, params.id);
        const { deliveries, nextCursor } = await listDeliveries(deps, principal, { taskId: task.id, limit: 200 });
        return { status: 200, body: { data: deliveries, nextCursor } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/deliveries/{id}',
      summary: 'One delivery with its attempt log',
      tags: ['webhooks'],
      permission: 'task:read',
      params: idParams,
      responses: { 200: { description: 'The delivery', schema: deliverySchema }, ...problemResponses(401, 404) },
      async handler({ principal, params }) {
        return { status: 200, body: await getDelivery(deps, principal, params.id) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/deliveries/{id}/redeliver',
      summary: 'Send a delivery again now (same webhook-id and body)',
      tags: ['webhooks'],
      permission: 'workspace:admin',
      params: idParams,
      responses: {
        202: { description: 'Queued; the answer shows it pending', schema: deliverySchema },
        ...problemResponses(401, 403, 404),
      },
      async handler({ principal, params }) {
        return { status: 202, body: await redeliver(deps, principal, params.id) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/settings/callback-secret',
      summary: "The secret that signs the workspace's task callbacks",
      tags: ['settings'],
      permission: 'workspace:admin',
      carriesSecret: true,
      responses: {
        200: { description: 'The callback secret', schema: callbackSecretSchema },
        ...problemResponses(401, 403),
      },
      async handler({ principal }) {
        return { status: 200, body: callbackSecretView(await getCallbackSecret(deps, principal)) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/settings/callback-secret/rotate',
      summary: 'New callback secret; the old one keeps signing alongside it for 24 hours',
      tags: ['settings'],
      permission: 'workspace:admin',
      carriesSecret: true,
      responses: {
        200: { description: 'The new callback secret', schema: callbackSecretSchema },
        ...problemResponses(401, 403),
      },
      async handler({ principal, requestId }) {
        return { status: 200, body: callbackSecretView(await rotateCallbackSecret(deps, principal, requestId)) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/settings/delivery',
      summary: 'Delivery settings of the workspace',
      tags: ['settings'],
      permission: 'workspace:admin',
      responses: {
        200: { description: 'The settings', schema: deliverySettingsSchema },
        ...problemResponses(401, 403),
      },
      async handler({ principal }) {
        return { status: 200, body: deliverySettingsView(await getCallbackSecret(deps, principal)) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/settings/delivery',
      summary:
        'Change delivery settings (allowPrivateCallbacks: every private target but cloud metadata; callbackAllowlist: named private hosts and ranges)',
      tags: ['settings'],
      permission: 'workspace:admin',
      body: updateDeliverySettingsInputSchema,
      responses: {
        200: { description: 'The settings', schema: deliverySettingsSchema },
        ...problemResponses(400, 401, 403, 415),
      },
      async handler({ principal, body, requestId }) {
        const settings = await updateDeliverySettings(deps, principal, body, requestId);
        return { status: 200, body: deliverySettingsView(settings) };
      },
    }),
  ];
}
