import { type CreateWebhookInput, generateWebhookSecret, type WebhookSubscription } from '@loopgate/shared';
import { auditActorOf, recordAudit } from '../audit/record-audit.js';
import { authorize, type Principal } from '../kernel/access.js';
import { notFound } from '../kernel/errors.js';
import { newId } from '../kernel/ids.js';
import { iso } from '../kernel/iso-time.js';
import type { Store } from '../store.js';
import type { WebhookSubscriptionRecord } from './delivery-ports.js';
import { type UrlViewer, urlOrigin, viewTargetUrl } from './target-url.js';

/** How long a rotated-out secret keeps signing next to the new one, so receivers can switch over. */
export const SECRET_OVERLAP_MS = 24 * 3600_000;

// ——— Subscriptions (REST hooks) ———

export interface DeliveryServiceDeps {
  store: Store;
  clock: () => number;
  /** Refuses a URL the workspace may not call; see checkCallbackUrl in TaskServiceDeps. */
  checkUrl: (workspaceId: string, url: string) => Promise<void>;
  /** Wakes the outbox worker (after a redeliver), so it does not wait for its next poll. */
  kick?: () => void;
}

export function toSubscriptionView(s: WebhookSubscriptionRecord, viewer: UrlViewer): WebhookSubscription {
  return {
    id: s.id,
    url: viewTargetUrl(viewer, s.url, s.createdBy),
    events: s.events,
    description: s.description,
    status: s.status,
    disabledReason: s.disabledReason,
    createdAt: iso(s.createdAt),
  };
}

/**
 * What the ledger says about a subscription: where deliveries go and what they carry. A REST hook's
 * URL is a credential (a Zap's hook URL feeds the Zap), so only its origin goes in; the secret never.
 */
function auditData(subscription: WebhookSubscriptionRecord) {
  return { url: urlOrigin(subscription.url), events: subscription.events, description: subscription.description };
}

export async function createSubscription(
  deps: DeliveryServiceDeps,
  principal: Principal,
  input: CreateWebhookInput,
  requestId: string | null = null,
): Promise<WebhookSubscriptionRecord> {
  authorize(principal, 'webhook:subscribe');
  await deps.checkUrl(principal.workspaceId, input.url);
  const now = deps.clock();
  const subscription: WebhookSubscriptionRecord = {
    id: newId('webhook', now),
    workspaceId: principal.workspaceId,
    url: input.url,
    events: [...new Set(input.events)],
    description: input.description ?? null,
    secret: generateWebhookSecret(),
    previousSecret: null,
    previousSecretExpiresAt: null,
    status: 'active',
    disabledReason: null,
    createdBy: { type: principal.actor.type, id: principal.actor.id },
    createdAt: now,
    updatedAt: now,
  };
  await deps.store.transaction(async (tx) => {
    await tx.webhooks.insert(subscription);
    await recordAudit(tx, {
      workspaceId: principal.workspaceId,
      at: now,
      actor: auditActorOf(principal),
      action: 'webhook.created',
      target: { type: 'webhook', id: subscription.id },
      data: auditData(subscription),
      requestId,
    });
  });
  return subscription;
}

export async function listSubscriptions(deps: Pick<DeliveryServiceDeps, 'store'>, principal: Principal) {
  authorize(principal, 'webhook:subscribe');
  return deps.store.read.webhooks.list(principal.workspaceId);
}

export async function getSubscription(deps: Pick<DeliveryServiceDeps, 'store'>, principal: Principal, id: string) {
  authorize(principal, 'webhook:subscribe');
  const subscription = await deps.store.read.webhooks.findById(principal.workspaceId, id);
  if (!subscription) throw notFound(`Webhook ${id}`);
  return subscription;
}

/** Unsubscribes; deliveries still pending for it are cancelled, so nothing more is sent to the URL. */
export async function deleteSubscription(
  deps: DeliveryServiceDeps,
  principal: Principal,
  id: string,
  requestId: string | null = null,
): Promise<void> {
  authorize(principal, 'webhook:subscribe');
  const now = deps.clock();
  const deleted = await deps.store.transaction(async (tx) => {
    const existing = await tx.webhooks.findById(principal.workspaceId, id);
    if (!existing || !(await tx.webhooks.delete(principal.workspaceId, id))) return false;
    await tx.deliveries.cancelPendingForSubscription(principal.workspaceId, id, now);
    await recordAudit(tx, {
      workspaceId: principal.workspaceId,
      at: now,
      actor: auditActorOf(principal),
      action: 'webhook.deleted',
      target: { type: 'webhook', id },
      data: auditData(existing),
      requestId,
    });
    return true;
  });
  if (!deleted) throw notFound(`Webhook ${id}`);
}

/** New secret; the old one keeps signing alongside it for {@link SECRET_OVERLAP_MS}. */
export async function rotateSubscriptionSecret(
  deps: DeliveryServiceDeps,
  principal: Principal,
  id: string,
  requestId: string | null = null,
) {
  authorize(principal, 'webhook:subscribe');
  const now = deps.clock();
  const secret = generateWebhookSecret();
  const rotated = await deps.store.transaction(async (tx) => {
    const existing = await tx.webhooks.findById(principal.workspaceId, id);
    if (!existing) return null;
    await tx.webhooks.rotateSecret(principal.workspaceId, id, secret, now + SECRET_OVERLAP_MS, now);
    await recordAudit(tx, {
      workspaceId: principal.workspaceId,
      at: now,
      actor: auditActorOf(principal),
      action: 'webhook.secret_rotated',
      target: { type: 'webhook', id },
      // When the old secret stops signing: receivers must have switched by then.
      data: { ...auditData(existing), previousSecretExpiresAt: iso(now + SECRET_OVERLAP_MS) },
      requestId,
    });
    return { ...existing, secret, previousSecret: existing.secret, previousSecretExpiresAt: now + SECRET_OVERLAP_MS };
  });
  if (!rotated) throw notFound(`Webhook ${id}`);
  return rotated;
}
