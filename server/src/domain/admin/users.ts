import type { Role } from '@loopgate/shared';
import type { AuditActor } from '../audit/audit-ports.js';
import { OPERATOR } from '../audit/record-audit.js';
import { AppError, notFound } from '../kernel/errors.js';
import { newId } from '../kernel/ids.js';
import { hashPassword } from '../kernel/secrets.js';
import type { Repositories, Store } from '../store.js';
import type { ApiKeyRecord, UserRecord, WorkspaceRecord } from './admin-ports.js';
import { type ApiKeyServiceDeps, insertApiKey, revokeApiKeyIn } from './api-keys.js';

/**
 * Workspace, user and API key administration by the operator: the CLI, and the server at start-up.
 * The operator holds the database itself, so these take no principal; the admin API's key use cases,
 * which authorise a principal, are in api-key-service.ts.
 */
export interface AdminDeps {
  store: Store;
  clock: () => number;
}

export const DEFAULT_WORKSPACE_SLUG = 'default';

export async function createWorkspace(deps: AdminDeps, slug: string, name?: string): Promise<WorkspaceRecord> {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug)) {
    throw new AppError('validation_failed', 'Workspace slugs use lower-case letters, digits and "-" (at most 63)', [
      { path: 'slug', message: 'invalid slug' },
    ]);
  }
  const workspace: WorkspaceRecord = { id: newId('workspace'), slug, name: name ?? slug, createdAt: deps.clock() };
  await deps.store.transaction(async (tx) => {
    if (await tx.workspaces.findBySlug(slug)) throw new AppError('conflict', `Workspace "${slug}" already exists`);
    await tx.workspaces.insert(workspace);
    await tx.audit.startLog(workspace.id);
  });
  return workspace;
}

/** The workspace a slug names; without one, the default workspace, created on first use. */
export async function resolveWorkspace(deps: AdminDeps, slug?: string): Promise<WorkspaceRecord> {
  const wanted = slug ?? DEFAULT_WORKSPACE_SLUG;
  const existing = await deps.store.read.workspaces.findBySlug(wanted);
  if (existing) return existing;
  if (slug !== undefined && slug !== DEFAULT_WORKSPACE_SLUG) throw notFound(`Workspace "${slug}"`);
  try {
    return await createWorkspace(deps, DEFAULT_WORKSPACE_SLUG, 'Default workspace');
  } catch (error) {
    // Another process created it first.
    const created = await deps.store.read.workspaces.findBySlug(DEFAULT_WORKSPACE_SLUG);
    if (created) return created;
    throw error;
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

export const MIN_PASSWORD_LENGTH = 12;

/** The rules every password meets, whoever sets it (the CLI, an admin, an invited user). */
export function checkPasswordRules(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new AppError('validation_failed', `Passwords need at least ${MIN_PASSWORD_LENGTH} characters`, [
      { path: 'password', message: 'too short' },
    ]);
  }
}

/**
 * Another request created a user with this e-mail between our read and our insert (or, accepting an
 * invitation, gave the account its first password meanwhile): the work is to run again on what is there now.
 */
export class UserCreatedConcurrently extends Error {}

/**
 * Runs a transaction that creates a user when the e-mail is new. If another request created the
 * same address in between (two admins, two CLI runs), the insert is ignored and the work runs once
 * more, now finding the existing user, instead of failing with a duplicate-key error.
 */
export async function retryingUserCreation<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof UserCreatedConcurrently)) throw error;
    return work();
  }
}

/** Inserts the user, or throws for retryingUserCreation when the address was taken meanwhile. */
export async function insertNewUser(tx: Pick<Repositories, 'users'>, user: UserRecord): Promise<void> {
  if (!(await tx.users.insert(user))) throw new UserCreatedConcurrently(`User ${user.email} was created meanwhile`);
}

/**
 * The operator's path (CLI `user create`, the bootstrap admin): creates the user if new and gives
 * them `role` in the workspace. An existing account keeps its password, unless it has none yet (an
 * account an old invitation created): then this one becomes its password. The pages never call
 * this: an admin of one workspace must not set the password of an account another workspace invited.
 */
export async function upsertUser(
  deps: AdminDeps,
  input: { email: string; password: string; name?: string; role: Role; workspaceSlug?: string },
): Promise<{ userId: string; created: boolean; workspace: WorkspaceRecord }> {
  checkPasswordRules(input.password);
  const email = input.email.trim().toLowerCase();
  const workspace = await resolveWorkspace(deps, input.workspaceSlug);
  const passwordHash = await hashPassword(input.password);
  const now = deps.clock();
  return retryingUserCreation(() =>
    deps.store.transaction(async (tx) => {
      const existing = await tx.users.findByEmail(email);
      const userId = existing?.id ?? newId('user', now);
      if (!existing)
        await insertNewUser(tx, { id: userId, email, name: input.name ?? null, passwordHash, createdAt: now });
      else if (existing.passwordHash === null) await tx.users.setFirstPassword(userId, passwordHash);
      await tx.users.upsertMembership({ workspaceId: workspace.id, userId, role: input.role, createdAt: now });
      return { userId, created: !existing, workspace };
    }),
  );
}

/**
 * The operator's password reset (CLI only: whoever runs it already holds the database). Also ends
 * the user's sessions, so a reset after a leak logs the leaker out. Neither the API nor the pages
 * offer it: an admin of one workspace must not take over an account another workspace shares.
 */
export async function resetPassword(deps: AdminDeps, input: { email: string; password: string }): Promise<string> {
  checkPasswordRules(input.password);
  const email = input.email.trim().toLowerCase();
  const passwordHash = await hashPassword(input.password);
  return deps.store.transaction(async (tx) => {
    const user = await tx.users.findByEmail(email);
    if (!user || !(await tx.users.setPassword(user.id, passwordHash))) throw notFound(`User ${email}`);
    await tx.sessions.deleteForUser(user.id);
    return user.id;
  });
}

/** First start with LOOPGATE_ADMIN_EMAIL/PASSWORD: create that admin in the default workspace, once. */
export async function bootstrapAdmin(deps: AdminDeps, admin: { email: string; password: string }): Promise<boolean> {
  if (await deps.store.read.users.findByEmail(admin.email.toLowerCase())) return false;
  await upsertUser(deps, { ...admin, role: 'admin' });
  return true;
}
