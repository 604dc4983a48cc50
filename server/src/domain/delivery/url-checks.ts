import type { Store } from '../store.js';
import { combinePolicies, namesMetadataAddress, parseAllowList, type TargetPolicy } from './callback-targets.js';
import type { DeliveryRecord, DeliverySettingsRecord } from './delivery-ports.js';
import { ensureSettings } from './delivery-settings.js';
import type { DeliveryServiceDeps } from './subscriptions.js';

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
