import type { Role } from '@loopgate/shared';
import { OPERATOR, recordAudit } from '../audit/record-audit.js';
import { AppError, notFound } from '../kernel/errors.js';
import { newId } from '../kernel/ids.js';
import { hashPassword } from '../kernel/secrets.js';
import type { Repositories } from '../store.js';
import type { UserRecord, WorkspaceRecord } from './admin-ports.js';
import { type AdminDeps, resolveWorkspace } from './workspaces.js';

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
 * A new membership or a changed role is an access change, audited (as the operator's) in the same
 * transaction; running it again with the same role writes no entry.
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
      const membership = existing ? await tx.users.findMembership(workspace.id, userId) : null;
      await tx.users.upsertMembership({ workspaceId: workspace.id, userId, role: input.role, createdAt: now });
      if (membership?.role !== input.role) {
        await recordAudit(tx, {
          workspaceId: workspace.id,
          at: now,
          actor: OPERATOR,
          action: membership ? 'member.role_changed' : 'member.added',
          target: { type: 'user', id: userId },
          data: membership ? { email, from: membership.role, to: input.role } : { email, role: input.role },
          requestId: null,
        });
      }
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
