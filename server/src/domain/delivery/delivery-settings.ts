import { type FieldError, generateWebhookSecret } from '@loopgate/shared';
import { auditActorOf, recordAudit } from '../audit/record-audit.js';
import { authorize, type Principal } from '../kernel/access.js';
import { AppError } from '../kernel/errors.js';
import { iso } from '../kernel/iso-time.js';
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

/** The ledger names the settings by their workspace: one row each. */
const settingsTarget = (workspaceId: string) => ({ type: 'delivery_settings' as const, id: workspaceId });

/** A new callback secret; the old one keeps signing for {@link SECRET_OVERLAP_MS}. The entry holds neither. */
export async function rotateCallbackSecret(
  deps: Pick<DeliveryServiceDeps, 'store' | 'clock'>,
  principal: Principal,
  requestId: string | null = null,
) {
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
  await deps.store.transaction(async (tx) => {
    await tx.deliverySettings.update(next);
    await recordAudit(tx, {
      workspaceId: principal.workspaceId,
      at: now,
      actor: auditActorOf(principal),
      action: 'delivery_settings.callback_secret_rotated',
      target: settingsTarget(principal.workspaceId),
      data: { previousSecretExpiresAt: iso(now + SECRET_OVERLAP_MS) },
      requestId,
    });
  });
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

/**
 * Changes which private targets the workspace's callbacks and hooks may reach, with an audit entry of
 * what changed (from → to) in the same transaction. A save that changes nothing writes nothing.
 */
export async function updateDeliverySettings(
  deps: Pick<DeliveryServiceDeps, 'store' | 'clock'>,
  principal: Principal,
  input: DeliverySettingsInput,
  requestId: string | null = null,
) {
  authorize(principal, 'workspace:admin');
  const callbackAllowlist =
    input.callbackAllowlist === undefined ? undefined : checkedAllowlist(input.callbackAllowlist);
  const current = await ensureSettings(deps, principal.workspaceId);
  const now = deps.clock();
  const next: DeliverySettingsRecord = {
    ...current,
    allowPrivateCallbacks: input.allowPrivateCallbacks ?? current.allowPrivateCallbacks,
    callbackAllowlist: callbackAllowlist ?? current.callbackAllowlist,
    updatedAt: now,
  };
  const changes: { [field: string]: { from: boolean | string[]; to: boolean | string[] } } = {};
  if (next.allowPrivateCallbacks !== current.allowPrivateCallbacks) {
    changes.allowPrivateCallbacks = { from: current.allowPrivateCallbacks, to: next.allowPrivateCallbacks };
  }
  if (JSON.stringify(next.callbackAllowlist) !== JSON.stringify(current.callbackAllowlist)) {
    changes.callbackAllowlist = { from: current.callbackAllowlist, to: next.callbackAllowlist };
  }
  if (Object.keys(changes).length === 0) return current;
  await deps.store.transaction(async (tx) => {
    await tx.deliverySettings.update(next);
    await recordAudit(tx, {
      workspaceId: principal.workspaceId,
      at: now,
      actor: auditActorOf(principal),
      action: 'delivery_settings.updated',
      target: settingsTarget(principal.workspaceId),
      data: changes,
      requestId,
    });
  });
  return next;
}
