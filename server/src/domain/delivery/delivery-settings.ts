import { type FieldError, generateWebhookSecret } from '@loopgate/shared';
import { authorize, type Principal } from '../kernel/access.js';
import { AppError } from '../kernel/errors.js';
import { namesMetadataAddress, parseAllowEntry } from './callback-targets.js';
import type { DeliverySettingsRecord } from './delivery-ports.js';
import { type DeliveryServiceDeps, SECRET_OVERLAP_MS } from './subscriptions.js';

// ——— Workspace delivery settings: callback secret, private targets ———

export async function ensureSettings(deps: Pick<DeliveryServiceDeps, 'store' | 'clock'>, workspaceId: string) {
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
export function checkedAllowlist(values: string[]): string[] {
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
