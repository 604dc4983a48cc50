import type { DeliveryStatus, WebhookEventType } from '@loopgate/shared';
import type { UrlOwner } from './target-url.js';

/** Storage for decision delivery: subscriptions, the outbox, its attempt log, workspace settings, Slack. */

export type DeliveryKind = 'callback' | 'subscription' | 'slack';

export interface WebhookSubscriptionRecord {
  id: string;
  workspaceId: string;
  url: string;
  events: WebhookEventType[];
  description: string | null;
  secret: string;
  /** The secret before the last rotation; deliveries are signed with both until it expires. */
  previousSecret: string | null;
  previousSecretExpiresAt: number | null;
  status: 'active' | 'disabled';
  disabledReason: string | null;
  /** Who subscribed: they (and admins) see the URL whole. null for subscriptions from before it was kept. */
  createdBy: UrlOwner;
  createdAt: number;
  updatedAt: number;
}

export interface WebhookSubscriptionRepository {
  insert(subscription: WebhookSubscriptionRecord): Promise<void>;
  findById(workspaceId: string, id: string): Promise<WebhookSubscriptionRecord | null>;
  list(workspaceId: string): Promise<WebhookSubscriptionRecord[]>;
  listActive(workspaceId: string): Promise<WebhookSubscriptionRecord[]>;
  delete(workspaceId: string, id: string): Promise<boolean>;
  rotateSecret(workspaceId: string, id: string, secret: string, previousExpiresAt: number, now: number): Promise<void>;
  disable(workspaceId: string, id: string, reason: string, now: number): Promise<void>;
}

export interface DeliveryRecord {
  /** Sent as `webhook-id`: stable across retries and restarts, so receivers can de-duplicate on it. */
  id: string;
  workspaceId: string;
  kind: DeliveryKind;
  taskId: string | null;
  subscriptionId: string | null;
  eventType: string;
  url: string;
  /** Who registered `url` (the task's creator, the subscriber); see mayReadTargetUrl. */
  urlOwner: UrlOwner;
  /** The exact bytes sent on every attempt. */
  body: string;
  status: DeliveryStatus;
  attempts: number;
  /** When the row is next due. While a worker holds it, this is the end of its lease. */
  nextAttemptAt: number | null;
  leaseToken: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  deliveredAt: number | null;
}

export interface DeliveryAttemptRecord {
  deliveryId: string;
  workspaceId: string;
  attempt: number;
  startedAt: number;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

export interface DeliveryListFilter {
  taskId?: string;
  subscriptionId?: string;
  status?: DeliveryStatus;
}

/** The outcome of one attempt, applied only if the caller still holds the lease it claimed with. */
export type DeliveryOutcome =
  | { status: 'delivered'; at: number }
  | { status: 'pending'; nextAttemptAt: number }
  | { status: 'failed' };

export interface DeliveryRepository {
  insert(delivery: DeliveryRecord): Promise<void>;
  findById(workspaceId: string, id: string): Promise<DeliveryRecord | null>;
  /** Any workspace: for the worker, which holds a lease token and not a principal. */
  findForWorker(id: string): Promise<DeliveryRecord | null>;
  list(
    workspaceId: string,
    filter: DeliveryListFilter,
    limit: number,
    after?: { createdAt: number; id: string },
  ): Promise<DeliveryRecord[]>;
  /** Pending rows due at `now`, oldest due first. */
  listDue(now: number, limit: number): Promise<DeliveryRecord[]>;
  /**
   * Compare-and-set claim: takes the row only if it is still pending and still due at `expectedNextAttemptAt`,
   * moving its due time to the lease end so no other worker picks it up until then.
   */
  claim(id: string, expectedNextAttemptAt: number, leaseToken: string, leaseUntil: number): Promise<boolean>;
  /** Records an attempt's outcome if `leaseToken` still holds the row; false if the lease was lost. */
  complete(
    id: string,
    leaseToken: string,
    outcome: DeliveryOutcome,
    result: { statusCode: number | null; error: string | null },
    now: number,
  ): Promise<boolean>;
  appendAttempt(attempt: DeliveryAttemptRecord): Promise<void>;
  listAttempts(workspaceId: string, deliveryIds: string[]): Promise<DeliveryAttemptRecord[]>;
  /** Makes a delivery due again now (an admin's redeliver), whatever its status. */
  requeue(workspaceId: string, id: string, now: number): Promise<boolean>;
  cancelPendingForSubscription(workspaceId: string, subscriptionId: string, now: number): Promise<void>;
  /**
   * Housekeeping, inside a transaction: deletes up to `limit` deliveries in one of `statuses` last changed
   * at or before `changedBefore`, with their attempt rows. `selected` is how many rows the batch took
   * (the caller goes on while it is `limit`); the others count what was deleted.
   */
  deleteFinished(
    statuses: readonly DeliveryStatus[],
    changedBefore: number,
    limit: number,
  ): Promise<{ selected: number; deliveries: number; attempts: number }>;
}

export interface DeliverySettingsRecord {
  workspaceId: string;
  callbackSecret: string;
  previousCallbackSecret: string | null;
  previousSecretExpiresAt: number | null;
  allowPrivateCallbacks: boolean;
  /** Host names, addresses and CIDR ranges callbacks may reach although private, as the admin wrote them. */
  callbackAllowlist: string[];
  updatedAt: number;
}

export interface DeliverySettingsRepository {
  find(workspaceId: string): Promise<DeliverySettingsRecord | null>;
  /** Inserts the row unless one exists (two processes may create it at once); returns the stored row. */
  insertIfMissing(settings: DeliverySettingsRecord): Promise<DeliverySettingsRecord>;
  update(settings: DeliverySettingsRecord): Promise<void>;
  /** Per-task delivery options given at creation (e.g. notifyEscalations). */
  setTaskOptions(workspaceId: string, taskId: string, options: { notifyEscalations: boolean }): Promise<void>;
  findTaskOptions(workspaceId: string, taskId: string): Promise<{ notifyEscalations: boolean } | null>;
}

export interface SlackIntegrationRecord {
  id: string;
  workspaceId: string;
  /** null: every queue of the workspace. */
  queue: string | null;
  webhookUrl: string;
  signingSecret: string;
  createdAt: number;
}

export interface SlackUserLinkRecord {
  integrationId: string;
  workspaceId: string;
  slackUserId: string;
  userId: string;
  createdAt: number;
}

export interface IntegrationAuditRecord {
  workspaceId: string | null;
  source: string;
  outcome: string;
  detail: string;
  createdAt: number;
}

/** Refused requests of one kind in one window (see the integration_refusals migration). */
export interface IntegrationRefusalCount {
  /** null: the request named no known integration, so no workspace. */
  workspaceId: string | null;
  source: string;
  reason: string;
  windowStart: number;
  refused: number;
  lastAt: number;
}

export interface SlackRepository {
  insertIntegration(integration: SlackIntegrationRecord): Promise<void>;
  findIntegration(id: string): Promise<SlackIntegrationRecord | null>;
  listIntegrations(workspaceId: string): Promise<SlackIntegrationRecord[]>;
  deleteIntegration(workspaceId: string, id: string): Promise<boolean>;
  upsertUserLink(link: SlackUserLinkRecord): Promise<void>;
  findUserLink(integrationId: string, slackUserId: string): Promise<SlackUserLinkRecord | null>;
  appendAudit(record: IntegrationAuditRecord): Promise<void>;
  listAudit(workspaceId: string, limit: number): Promise<IntegrationAuditRecord[]>;
  /** Counts one refused request in its window; returns the window's count, this one included. */
  countRefusal(refusal: {
    workspaceId: string | null;
    source: string;
    reason: string;
    windowStart: number;
    at: number;
  }): Promise<number>;
  /** A workspace's (or, with null, the unknown integrations') counts of windows starting at or after `since`, newest first. */
  listRefusals(workspaceId: string | null, since: number): Promise<IntegrationRefusalCount[]>;
}
