import {
  type CreateWebhookInput,
  type Delivery,
  FINAL_WEBHOOK_EVENTS,
  type FieldError,
  generateWebhookSecret,
  type ListDeliveriesQuery,
  type WebhookEventType,
  type WebhookPayload,
  type WebhookSubscription,
} from '@loopgate/shared';
import { authorize, type Principal } from '../kernel/access.js';
import { AppError, notFound } from '../kernel/errors.js';
import { newId } from '../kernel/ids.js';
import type { Repositories, Store } from '../store.js';
import { decodeCursor, encodeCursor } from '../tasks/task-cursor.js';

import type { TaskEventRecord, TaskRecord } from '../tasks/task-record.js';
import { toTaskView } from '../tasks/task-view.js';
import {
  combinePolicies,
  namesMetadataAddress,
  parseAllowEntry,
  parseAllowList,
  type TargetPolicy,
} from './callback-targets.js';
import type {
  DeliveryAttemptRecord,
  DeliveryRecord,
  DeliverySettingsRecord,
  WebhookSubscriptionRecord,
} from './delivery-ports.js';
import { type UrlOwner, type UrlViewer, viewTargetUrl } from './target-url.js';

/** Task event types (task_events.type) and the webhook event each one is delivered as. */
export const WEBHOOK_EVENT_FOR: Readonly<Record<string, WebhookEventType>> = {
  created: 'task.created',
  decided: 'task.decided',
  expired: 'task.expired',
  escalated: 'task.escalated',
  cancelled: 'task.cancelled',
};

/** How long a rotated-out secret keeps signing next to the new one, so receivers can switch over. */
export const SECRET_OVERLAP_MS = 24 * 3600_000;

const iso = (ms: number) => new Date(ms).toISOString();

/** The body every receiver gets: Standard Webhooks' {type, timestamp, data}, with the decision up front. */
export function buildWebhookPayload(type: WebhookEventType, task: TaskRecord, event: TaskEventRecord): WebhookPayload {
  const view = toTaskView(task, 'webhook');
  return {
    type,
    timestamp: iso(event.createdAt),
    data: {
      taskId: task.id,
      status: task.status,
      action: task.decision?.action ?? null,
      comment: task.decision?.comment ?? (event.type === 'decided' ? null : event.reason),
      reviewers: task.decision ? [task.decision.decidedBy] : [],
      originalPayload: task.payload,
      modifiedPayload: task.decision?.modifiedPayload ?? null,
      diff: task.decision?.diff ?? null,
      externalRef: task.externalRef,
      event: { id: event.id, type: event.type, reason: event.reason, data: event.data },
      createdAt: iso(task.createdAt),
      decidedAt: task.decision ? iso(task.decision.decidedAt) : null,
      task: view,
    },
  };
}

/**
 * Lets the process that queues a delivery send it straight after commit, without a second claim
 * transaction: the row is written already leased to it. If the process dies first, the lease runs
 * out and any worker picks the row up, with the same id.
 */
export interface LocalDispatch {
  lease(taskId: string, deliveryId: string): { token: string; leaseUntil: number } | null;
}

export interface DeliveryHookDeps {
  clock: () => number;
  dispatch?: LocalDispatch;
  /** Extra deliveries for a change (Slack notifications), queued in the same transaction. */
  extra?: (tx: Repositories, change: { task: TaskRecord; event: TaskEventRecord }) => Promise<DeliveryDraft[]>;
}

export interface DeliveryDraft {
  kind: DeliveryRecord['kind'];
  url: string;
  urlOwner: UrlOwner;
  eventType: string;
  body: string;
  subscriptionId: string | null;
}

/**
 * The `onTaskChange` hook: queues the outbox rows for one task change inside its transaction, so a
 * committed decision always has its deliveries and a rolled-back one never does.
 */
export function createDeliveryHook(deps: DeliveryHookDeps) {
  return async (tx: Repositories, change: { task: TaskRecord; event: TaskEventRecord }): Promise<void> => {
    const { task, event } = change;
    const type = WEBHOOK_EVENT_FOR[event.type];
    const drafts: DeliveryDraft[] = [];
    if (type) {
      let body: string | undefined;
      const payload = () => {
        body ??= JSON.stringify(buildWebhookPayload(type, task, event));
        return body;
      };
      if (task.callbackUrl && (await wantsCallback(tx, task, type))) {
        drafts.push({
          kind: 'callback',
          url: task.callbackUrl,
          urlOwner: task.createdBy,
          eventType: type,
          body: payload(),
          subscriptionId: null,
        });
      }
      for (const subscription of await tx.webhooks.listActive(task.workspaceId)) {
        if (!subscription.events.includes(type)) continue;
        drafts.push({
          kind: 'subscription',
          url: subscription.url,
          urlOwner: subscription.createdBy,
          eventType: type,
          body: payload(),
          subscriptionId: subscription.id,
        });
      }
    }
    if (deps.extra) drafts.push(...(await deps.extra(tx, change)));
    const now = deps.clock();
    for (const draft of drafts) {
      const id = newId('delivery', now);
      const lease = deps.dispatch?.lease(task.id, id) ?? null;
      await tx.deliveries.insert({
        id,
        workspaceId: task.workspaceId,
        kind: draft.kind,
        taskId: task.id,
        subscriptionId: draft.subscriptionId,
        eventType: draft.eventType,
        url: draft.url,
        urlOwner: draft.urlOwner,
        body: draft.body,
        status: 'pending',
        attempts: 0,
        nextAttemptAt: lease ? lease.leaseUntil : now,
        leaseToken: lease ? lease.token : null,
        lastStatusCode: null,
        lastError: null,
        createdAt: now,
        updatedAt: now,
        deliveredAt: null,
      });
    }
  };
}

async function wantsCallback(tx: Repositories, task: TaskRecord, type: WebhookEventType): Promise<boolean> {
  if (FINAL_WEBHOOK_EVENTS.includes(type)) return true;
  if (type !== 'task.escalated') return false;
  return (await tx.deliverySettings.findTaskOptions(task.workspaceId, task.id))?.notifyEscalations === true;
}

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

export async function createSubscription(
  deps: DeliveryServiceDeps,
  principal: Principal,
  input: CreateWebhookInput,
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
  await deps.store.transaction((tx) => tx.webhooks.insert(subscription));
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
export async function deleteSubscription(deps: DeliveryServiceDeps, principal: Principal, id: string): Promise<void> {
  authorize(principal, 'webhook:subscribe');
  const now = deps.clock();
  const deleted = await deps.store.transaction(async (tx) => {
    const ok = await tx.webhooks.delete(principal.workspaceId, id);
    if (ok) await tx.deliveries.cancelPendingForSubscription(principal.workspaceId, id, now);
    return ok;
  });
  if (!deleted) throw notFound(`Webhook ${id}`);
}

/** New secret; the old one keeps signing alongside it for {@link SECRET_OVERLAP_MS}. */
export async function rotateSubscriptionSecret(deps: DeliveryServiceDeps, principal: Principal, id: string) {
  authorize(principal, 'webhook:subscribe');
  const now = deps.clock();
  const secret = generateWebhookSecret();
  const rotated = await deps.store.transaction(async (tx) => {
    const existing = await tx.webhooks.findById(principal.workspaceId, id);
    if (!existing) return null;
    await tx.webhooks.rotateSecret(principal.workspaceId, id, secret, now + SECRET_OVERLAP_MS, now);
    return { ...existing, secret, previousSecret: existing.secret, previousSecretExpiresAt: now + SECRET_OVERLAP_MS };
  });
  if (!rotated) throw notFound(`Webhook ${id}`);
  return rotated;
}

// ——— Workspace delivery settings: callback secret, private targets ———

async function ensureSettings(deps: Pick<DeliveryServiceDeps, 'store' | 'clock'>, workspaceId: string) {
  const existing = await deps.store.read.deliverySettings.find(workspaceId);
  if (existing) return existing;
  const fresh: DeliverySettingsRecord = {
    workspaceId,
    callbackSecret: generateWebhookSecret(),
    previousCallbackSecret: null,
    previousSecretExpiresAt: null,
    allowPrivateCallbacks: false,
    callbackAllowlist: [],
    updatedAt: deps.clock(),
  };
  return deps.store.transaction((tx) => tx.deliverySettings.insertIfMissing(fresh));
}

export async function getCallbackSecret(deps: Pick<DeliveryServiceDeps, 'store' | 'clock'>, principal: Principal) {
  authorize(principal, 'workspace:admin');
  return ensureSettings(deps, principal.workspaceId);
}

export async function rotateCallbackSecret(deps: Pick<DeliveryServiceDeps, 'store' | 'clock'>, principal: Principal) {
  authorize(principal, 'workspace:admin');
  const current = await ensureSettings(deps, principal.workspaceId);
  const now = deps.clock();
  const next: DeliverySettingsRecord = {
    ...current,
    callbackSecret: generateWebhookSecret(),
    previousCallbackSecret: current.callbackSecret,
    previousSecretExpiresAt: now + SECRET_OVERLAP_MS,
    updatedAt: now,
  };
  await deps.store.transaction((tx) => tx.deliverySettings.update(next));
  return next;
}

export interface DeliverySettingsInput {
  allowPrivateCallbacks?: boolean;
  callbackAllowlist?: string[];
}

/**
 * A workspace's allow list, checked entry by entry so every bad one is named. A workspace may allow
 * private hosts and ranges, but not a cloud metadata address: that reaches the server's own cloud
 * credentials, which is the operator's call (LOOPGATE_CALLBACK_ALLOWLIST), not a tenant's.
 */
function checkedAllowlist(values: string[]): string[] {
  const fieldErrors: FieldError[] = [];
  values.forEach((value, index) => {
    const parsed = parseAllowEntry(value);
    const problem =
      'error' in parsed
        ? parsed.error
        : namesMetadataAddress(parsed.entry)
          ? `${value.trim()} is a cloud metadata address; only the server's LOOPGATE_CALLBACK_ALLOWLIST may allow it`
          : null;
    if (problem) fieldErrors.push({ path: `callbackAllowlist.${index}`, message: problem });
  });
  if (fieldErrors.length > 0) {
    throw new AppError(
      'validation_failed',
      'Each callbackAllowlist entry must be a host name, an IP address or a CIDR range',
      fieldErrors,
    );
  }
  return [...new Set(values.map((value) => value.trim()))];
}

export async function updateDeliverySettings(
  deps: Pick<DeliveryServiceDeps, 'store' | 'clock'>,
  principal: Principal,
  input: DeliverySettingsInput,
) {
  authorize(principal, 'workspace:admin');
  const callbackAllowlist =
    input.callbackAllowlist === undefined ? undefined : checkedAllowlist(input.callbackAllowlist);
  const current = await ensureSettings(deps, principal.workspaceId);
  const next: DeliverySettingsRecord = {
    ...current,
    allowPrivateCallbacks: input.allowPrivateCallbacks ?? current.allowPrivateCallbacks,
    callbackAllowlist: callbackAllowlist ?? current.callbackAllowlist,
    updatedAt: deps.clock(),
  };
  await deps.store.transaction((tx) => tx.deliverySettings.update(next));
  return next;
}

/** The targets a workspace's own settings allow (the server's allowances are added by the caller). */
export function workspaceTargetPolicy(settings: DeliverySettingsRecord): TargetPolicy {
  return {
    allowPrivate: settings.allowPrivateCallbacks,
    // Stored entries were checked when saved; re-checking keeps a metadata entry out even if one got in.
    allowlist: parseAllowList(settings.callbackAllowlist).entries.filter((entry) => !namesMetadataAddress(entry)),
  };
}

/**
 * What the worker needs to send a delivery now: the secrets that sign it (current first, plus the
 * previous one while a rotation's overlap lasts) and the targets the workspace allows. null: the
 * subscription is gone or disabled, so nothing may be sent.
 */
export async function deliveryContext(
  deps: Pick<DeliveryServiceDeps, 'store' | 'clock'>,
  delivery: Pick<DeliveryRecord, 'workspaceId' | 'kind' | 'subscriptionId'>,
): Promise<{ secrets: string[]; policy: TargetPolicy } | null> {
  const now = deps.clock();
  const settings = await ensureSettings(deps, delivery.workspaceId);
  const policy = workspaceTargetPolicy(settings);
  if (delivery.kind === 'subscription') {
    const s = delivery.subscriptionId
      ? await deps.store.read.webhooks.findById(delivery.workspaceId, delivery.subscriptionId)
      : null;
    if (s?.status !== 'active') return null;
    const secrets =
      s.previousSecret && (s.previousSecretExpiresAt ?? 0) > now ? [s.secret, s.previousSecret] : [s.secret];
    return { secrets, policy };
  }
  const secrets =
    settings.previousCallbackSecret && (settings.previousSecretExpiresAt ?? 0) > now
      ? [settings.callbackSecret, settings.previousCallbackSecret]
      : [settings.callbackSecret];
  return { secrets, policy };
}

/**
 * The `checkCallbackUrl` seam: a URL is accepted if every address it reaches is allowed by the
 * server's policy and the workspace's settings together (public addresses always are). Runs before
 * any transaction, since it may resolve DNS.
 */
export function createUrlChecker(deps: {
  store: Store;
  serverPolicy: TargetPolicy;
  assertAllowed: (url: string, policy: TargetPolicy) => Promise<void>;
}) {
  return async (workspaceId: string, url: string): Promise<void> => {
    const settings = await deps.store.read.deliverySettings.find(workspaceId);
    await deps.assertAllowed(url, combinePolicies(deps.serverPolicy, settings && workspaceTargetPolicy(settings)));
  };
}

// ——— Deliveries: list, inspect, redeliver ———

export function toDeliveryView(d: DeliveryRecord, viewer: UrlViewer, attempts?: DeliveryAttemptRecord[]): Delivery {
  return {
    id: d.id,
    kind: d.kind,
    taskId: d.taskId,
    subscriptionId: d.subscriptionId,
    eventType: d.eventType,
    url: viewTargetUrl(viewer, d.url, d.urlOwner),
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.status === 'pending' && d.nextAttemptAt !== null ? iso(d.nextAttemptAt) : null,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    createdAt: iso(d.createdAt),
    deliveredAt: d.deliveredAt === null ? null : iso(d.deliveredAt),
    ...(attempts
      ? {
          attemptLog: attempts.map((a) => ({
            attempt: a.attempt,
            startedAt: iso(a.startedAt),
            statusCode: a.statusCode,
            latencyMs: a.latencyMs,
            error: a.error,
          })),
        }
      : {}),
  };
}

export async function listDeliveries(
  deps: Pick<DeliveryServiceDeps, 'store'>,
  principal: Principal,
  query: ListDeliveriesQuery,
): Promise<{ deliveries: Delivery[]; nextCursor: string | null }> {
  authorize(principal, 'task:read');
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const rows = await deps.store.read.deliveries.list(
    principal.workspaceId,
    { taskId: query.taskId, subscriptionId: query.subscriptionId, status: query.status },
    query.limit + 1,
    after,
  );
  const page = rows.slice(0, query.limit);
  const attempts = await deps.store.read.deliveries.listAttempts(
    principal.workspaceId,
    page.map((d) => d.id),
  );
  const last = page[page.length - 1];
  return {
    deliveries: page.map((d) =>
      toDeliveryView(
        d,
        principal,
        attempts.filter((a) => a.deliveryId === d.id),
      ),
    ),
    nextCursor: rows.length > query.limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
  };
}

export async function getDelivery(deps: Pick<DeliveryServiceDeps, 'store'>, principal: Principal, id: string) {
  authorize(principal, 'task:read');
  const delivery = await deps.store.read.deliveries.findById(principal.workspaceId, id);
  if (!delivery) throw notFound(`Delivery ${id}`);
  const attempts = await deps.store.read.deliveries.listAttempts(principal.workspaceId, [id]);
  return toDeliveryView(delivery, principal, attempts);
}

/**
 * An admin's "send it again": the same delivery (same webhook-id, same body), due now. With
 * `scope.taskId` (the task page's button) a delivery of another task is not found.
 */
export async function redeliver(
  deps: Pick<DeliveryServiceDeps, 'store' | 'clock' | 'kick'>,
  principal: Principal,
  id: string,
  scope: { taskId?: string } = {},
) {
  authorize(principal, 'workspace:admin');
  if (scope.taskId !== undefined) {
    const delivery = await deps.store.read.deliveries.findById(principal.workspaceId, id);
    if (delivery?.taskId !== scope.taskId) throw notFound(`Delivery ${id} of task ${scope.taskId}`);
  }
  const ok = await deps.store.transaction((tx) => tx.deliveries.requeue(principal.workspaceId, id, deps.clock()));
  if (!ok) throw notFound(`Delivery ${id}`);
  deps.kick?.();
  return getDelivery(deps, principal, id);
}
