import type { ApiKey, CreateApiKeyInput, Role } from '@loopgate/shared';
import type { AuditActor } from '../audit/audit-ports.js';
import { auditActorOf, OPERATOR, recordAudit } from '../audit/record-audit.js';
import { authorize, type Principal } from '../kernel/access.js';
import type { TaskEventBus } from '../kernel/bus.js';
import { AppError, notFound } from '../kernel/errors.js';
import { newApiKeySecret, newId } from '../kernel/ids.js';
import { iso } from '../kernel/iso-time.js';
import { hashToken } from '../kernel/secrets.js';
import type { Store } from '../store.js';
import type { ApiKeyRecord, WorkspaceRecord } from './admin-ports.js';
import type { AdminDeps } from './workspaces.js';
import { resolveWorkspace } from './workspaces.js';

/** API key lifecycle: create (shown once), list (never the secret), revoke (on every process at once). */
export interface ApiKeyServiceDeps {
  store: Store;
  clock: () => number;
  /** Tells every process's authenticator to forget a revoked key; without one, their cache TTL does. */
  bus?: Pick<TaskEventBus, 'invalidate'>;
}

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
    keyHash: hashToken(key),
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

/** The operator's key creation (CLI, tests): recorded as created by {@link OPERATOR} unless told otherwise. */
export async function createApiKey(
  deps: AdminDeps,
  input: { workspaceSlug?: string; name: string; role: Role; createdBy?: AuditActor },
): Promise<{ id: string; key: string; prefix: string; workspace: WorkspaceRecord }> {
  const workspace = await resolveWorkspace(deps, input.workspaceSlug);
  const { record, key } = await insertApiKey(
    deps,
    workspace.id,
    { name: input.name, role: input.role },
    input.createdBy ?? OPERATOR,
    null,
  );
  return { id: record.id, key, prefix: record.prefix, workspace };
}

/** Active keys of one workspace, or of every workspace, each with its workspace (the operator's list). */
export async function listAllApiKeys(
  deps: Pick<AdminDeps, 'store'>,
  input: { workspaceSlug?: string },
): Promise<{ key: ApiKeyRecord; workspace: WorkspaceRecord }[]> {
  const read = deps.store.read;
  const only = input.workspaceSlug === undefined ? null : await read.workspaces.findBySlug(input.workspaceSlug);
  if (input.workspaceSlug !== undefined && !only) throw notFound(`Workspace "${input.workspaceSlug}"`);
  const workspaces = new Map((only ? [only] : await read.workspaces.list()).map((w) => [w.id, w]));
  const keys = await read.apiKeys.listActive(only?.id ?? null);
  return keys.flatMap((key) => {
    const workspace = workspaces.get(key.workspaceId);
    return workspace ? [{ key, workspace }] : [];
  });
}

/**
 * The operator's revocation, by key id (`key_…`) or prefix (`lg_…`, as lists show it) in any
 * workspace. A prefix two active keys share is refused rather than guessed.
 */
export async function revokeApiKeyByRef(
  deps: AdminDeps & Pick<ApiKeyServiceDeps, 'bus'>,
  ref: string,
): Promise<ApiKeyRecord> {
  const matches = await deps.store.read.apiKeys.findActiveByRef(ref.trim());
  const [match] = matches;
  if (!match) throw notFound(`Active API key "${ref}"`);
  if (matches.length > 1) {
    throw new AppError(
      'conflict',
      `"${ref}" is the prefix of ${matches.length} keys (${matches.map((m) => m.id).join(', ')}); revoke one by its id`,
    );
  }
  const revoked = await revokeApiKeyIn(deps, match.workspaceId, match.id, OPERATOR, null);
  // Revoked meanwhile by someone else: the key is revoked, as asked, but not by this call.
  if (!revoked) throw notFound(`Active API key "${ref}"`);
  return revoked;
}
