import type { ApiKey, CreateApiKeyInput } from '@loopgate/shared';
import type { AuditActor } from '../audit/audit-ports.js';
import { auditActorOf, recordAudit } from '../audit/record-audit.js';
import { authorize, type Principal } from '../kernel/access.js';
import type { TaskEventBus } from '../kernel/bus.js';
import { notFound } from '../kernel/errors.js';
import { newApiKeySecret, newId } from '../kernel/ids.js';
import { hashApiKey } from '../kernel/secrets.js';
import type { Store } from '../store.js';
import type { ApiKeyRecord } from './admin-ports.js';

/** API key lifecycle: create (shown once), list (never the secret), revoke (on every process at once). */
export interface ApiKeyServiceDeps {
  store: Store;
  clock: () => number;
  /** Tells every process's authenticator to forget a revoked key; without one, their cache TTL does. */
  bus?: Pick<TaskEventBus, 'invalidate'>;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function toApiKeyView(record: ApiKeyRecord): ApiKey {
  return {
    id: record.id,
    name: record.name,
    role: record.role,
    prefix: record.prefix,
    createdAt: iso(record.createdAt),
    lastUsedAt: record.lastUsedAt === null ? null : iso(record.lastUsedAt),
    createdBy: record.createdBy === null ? null : { ...record.createdBy },
  };
}

/** What the audit entry says about a key: enough to recognise it, nothing to use it. */
function auditData(record: ApiKeyRecord) {
  return { name: record.name, role: record.role, prefix: record.prefix };
}

/** Creates a key in a workspace on behalf of `by`, with its audit entry in the same transaction. */
export async function insertApiKey(
  deps: Pick<ApiKeyServiceDeps, 'store' | 'clock'>,
  workspaceId: string,
  input: CreateApiKeyInput,
  by: AuditActor,
  requestId: string | null,
): Promise<{ record: ApiKeyRecord; key: string }> {
  const { key, prefix } = newApiKeySecret();
  const now = deps.clock();
  const record: ApiKeyRecord = {
    id: newId('apiKey', now),
    workspaceId,
    name: input.name,
    role: input.role,
    prefix,
    keyHash: hashApiKey(key),
    createdAt: now,
    revokedAt: null,
    lastUsedAt: null,
    createdBy: { type: by.type, id: by.id, name: by.name },
  };
  await deps.store.transaction(async (tx) => {
    await tx.apiKeys.insert(record);
    await recordAudit(tx, {
      workspaceId,
      at: now,
      actor: by,
      action: 'api_key.created',
      target: { type: 'api_key', id: record.id },
      data: auditData(record),
      requestId,
    });
  });
  return { record, key };
}

/**
 * Revokes a key on behalf of `by`: a compare-and-set with its audit entry in one transaction (of two
 * concurrent revocations one wins, and one entry is written), then every process is told to forget
 * it. Null when the workspace has no such key, or it is revoked already.
 */
export async function revokeApiKeyIn(
  deps: ApiKeyServiceDeps,
  workspaceId: string,
  id: string,
  by: AuditActor,
  requestId: string | null,
): Promise<ApiKeyRecord | null> {
  const now = deps.clock();
  const revoked = await deps.store.transaction(async (tx) => {
    const record = await tx.apiKeys.findById(workspaceId, id);
    if (!record || !(await tx.apiKeys.revoke(workspaceId, id, now))) return null;
    await recordAudit(tx, {
      workspaceId,
      at: now,
      actor: by,
      action: 'api_key.revoked',
      target: { type: 'api_key', id },
      data: auditData(record),
      requestId,
    });
    return { ...record, revokedAt: now };
  });
  if (revoked) await deps.bus?.invalidate({ topic: 'api_key', workspaceId, id });
  return revoked;
}

export async function listApiKeys(deps: { store: Pick<Store, 'read'> }, principal: Principal): Promise<ApiKeyRecord[]> {
  authorize(principal, 'workspace:admin');
  return deps.store.read.apiKeys.listActive(principal.workspaceId);
}

export async function issueApiKey(
  deps: ApiKeyServiceDeps,
  principal: Principal,
  input: CreateApiKeyInput,
  requestId: string | null,
): Promise<{ record: ApiKeyRecord; key: string }> {
  authorize(principal, 'workspace:admin');
  return insertApiKey(deps, principal.workspaceId, input, auditActorOf(principal), requestId);
}

export async function revokeApiKey(
  deps: ApiKeyServiceDeps,
  principal: Principal,
  id: string,
  requestId: string | null,
): Promise<void> {
  authorize(principal, 'workspace:admin');
  if (!(await revokeApiKeyIn(deps, principal.workspaceId, id, auditActorOf(principal), requestId))) {
    throw notFound(`API key ${id}`);
  }
}
