import { type Role, roleSchema } from '@loopgate/shared';
import type { MembershipRecord } from '../admin/admin-ports.js';
import type { AuditAction } from '../audit/audit-ports.js';
import { auditActorOf, recordAudit } from '../audit/record-audit.js';
import { authorize, type Principal } from '../kernel/access.js';
import { AppError, notFound } from '../kernel/errors.js';
import type { Repositories, Store } from '../store.js';
import type { MemberRecord } from './reviewer-ports.js';

/**
 * Workspace members as an admin manages them from the web pages. Members join only by accepting an
 * invitation (reviewers/invitations.ts) or through the operator's CLI; the pages never create accounts.
 * Every change is written to the audit log in its own transaction, and none leaves the workspace
 * without an active admin.
 */
export interface MemberDeps {
  store: Store;
  clock: () => number;
}

export const MAX_DISPLAY_NAME = 200;

/** A member as the users page shows them, with what an admin may not do to them and why. */
export interface ManagedMember extends MemberRecord {
  /** Why this member may not be demoted, deactivated or removed (the last active admin); null if they may. */
  lastAdminReason: string | null;
  /** Why the page may not rename this member (their account is shared with another workspace); null if it may. */
  renameReason: string | null;
  /** The admin looking at the list. */
  isYou: boolean;
}

export const LAST_ADMIN_REASON = 'The only active admin: make someone else admin first';
export const SHARED_ACCOUNT_REASON = 'This account also belongs to another workspace: they keep the name they chose';

export async function listMembers(deps: MemberDeps, principal: Principal): Promise<MemberRecord[]> {
  authorize(principal, 'task:read');
  return deps.store.read.members.listForWorkspace(principal.workspaceId);
}

/** The members with, for each, the actions the page must offer disabled and the reason. */
export async function listManagedMembers(
  deps: Pick<MemberDeps, 'store'>,
  principal: Principal,
): Promise<ManagedMember[]> {
  authorize(principal, 'workspace:admin');
  const read = deps.store.read;
  const members = await read.members.listForWorkspace(principal.workspaceId);
  const activeAdmins = members.filter((m) => m.role === 'admin' && m.deactivatedAt === null).length;
  return Promise.all(
    members.map(async (m) => ({
      ...m,
      lastAdminReason: m.role === 'admin' && m.deactivatedAt === null && activeAdmins <= 1 ? LAST_ADMIN_REASON : null,
      renameReason: (await read.users.countMemberships(m.userId)) > 1 ? SHARED_ACCOUNT_REASON : null,
      isYou: principal.actor.type === 'user' && principal.actor.id === m.userId,
    })),
  );
}

/** An admin does not lock themselves out by accident; another admin can still do it. */
function refuseOnSelf(principal: Principal, userId: string, what: string): void {
  if (principal.actor.type === 'user' && principal.actor.id === userId) {
    throw new AppError('forbidden', `You cannot ${what} yourself`);
  }
}

interface MemberChange {
  action: AuditAction;
  data: Record<string, string | null>;
}

/**
 * Runs `change` on the member's membership in one transaction with its audit entry; `change`
 * returns null when there is nothing to change (then nothing is written). The last-admin rule is
 * checked inside the transaction, after the change, so two admins demoting each other at once
 * cannot both succeed where the database serialises them.
 */
async function changeMember(
  deps: MemberDeps,
  principal: Principal,
  userId: string,
  requestId: string | null,
  change: (tx: Repositories, membership: MembershipRecord) => Promise<MemberChange | null>,
): Promise<void> {
  authorize(principal, 'workspace:admin');
  await deps.store.transaction(async (tx) => {
    const membership = await tx.users.findMembership(principal.workspaceId, userId);
    if (!membership) throw notFound(`User ${userId}`);
    const wasActiveAdmin = membership.role === 'admin' && (membership.deactivatedAt ?? null) === null;
    const done = await change(tx, membership);
    if (!done) return;
    if (wasActiveAdmin && (await tx.users.countActiveAdmins(principal.workspaceId)) === 0) {
      throw new AppError('conflict', `${LAST_ADMIN_REASON}.`);
    }
    const user = await tx.users.findById(userId);
    await recordAudit(tx, {
      workspaceId: principal.workspaceId,
      at: deps.clock(),
      actor: auditActorOf(principal),
      action: done.action,
      target: { type: 'user', id: userId },
      data: { email: user?.email ?? null, ...done.data },
      requestId,
    });
  });
}

export async function setMemberRole(
  deps: MemberDeps,
  principal: Principal,
  userId: string,
  role: Role,
  requestId: string | null = null,
): Promise<void> {
  const parsedRole = roleSchema.parse(role);
  if (parsedRole !== 'admin' && principal.actor.type === 'user' && principal.actor.id === userId) {
    throw new AppError('forbidden', 'You cannot take away your own admin role');
  }
  await changeMember(deps, principal, userId, requestId, async (tx, existing) => {
    if (existing.role === parsedRole) return null;
    await tx.users.upsertMembership({ ...existing, role: parsedRole });
    return { action: 'member.role_changed', data: { from: existing.role, to: parsedRole } };
  });
}

/**
 * Deactivates a member: they cannot log in to this workspace, their sessions here end now, and
 * their review links stop working (memberPrincipal refuses a deactivated membership); their account,
 * their other workspaces and their name in this one's history stay. Reactivating undoes it.
 */
export async function deactivateMember(
  deps: MemberDeps,
  principal: Principal,
  userId: string,
  requestId: string | null = null,
): Promise<void> {
  refuseOnSelf(principal, userId, 'deactivate');
  await changeMember(deps, principal, userId, requestId, async (tx) => {
    if (!(await tx.users.setMembershipDeactivated(principal.workspaceId, userId, deps.clock()))) return null;
    await tx.sessions.deleteForMember(principal.workspaceId, userId);
    return { action: 'member.deactivated', data: {} };
  });
}

export async function reactivateMember(
  deps: MemberDeps,
  principal: Principal,
  userId: string,
  requestId: string | null = null,
): Promise<void> {
  await changeMember(deps, principal, userId, requestId, async (tx) => {
    if (!(await tx.users.setMembershipDeactivated(principal.workspaceId, userId, null))) return null;
    return { action: 'member.reactivated', data: {} };
  });
}

/** Removes a member from the workspace (their account, other workspaces and history stay); sessions here end. */
export async function removeMember(
  deps: MemberDeps,
  principal: Principal,
  userId: string,
  requestId: string | null = null,
): Promise<void> {
  refuseOnSelf(principal, userId, 'remove');
  await changeMember(deps, principal, userId, requestId, async (tx, existing) => {
    if (!(await tx.users.removeMembership(principal.workspaceId, userId))) return null;
    await tx.sessions.deleteForMember(principal.workspaceId, userId);
    return { action: 'member.removed', data: { role: existing.role } };
  });
}

/**
 * Sets a member's display name. Refused for an account that belongs to another workspace too: the
 * name is the account's, and one workspace's admin must not change what another sees.
 */
export async function renameMember(
  deps: MemberDeps,
  principal: Principal,
  userId: string,
  name: string,
  requestId: string | null = null,
): Promise<void> {
  const trimmed = name.trim();
  if (trimmed.length > MAX_DISPLAY_NAME) {
    throw new AppError('validation_failed', `Names are at most ${MAX_DISPLAY_NAME} characters`, [
      { path: 'name', message: 'too long' },
    ]);
  }
  await changeMember(deps, principal, userId, requestId, async (tx) => {
    if ((await tx.users.countMemberships(userId)) > 1) throw new AppError('forbidden', SHARED_ACCOUNT_REASON);
    const user = await tx.users.findById(userId);
    const next = trimmed === '' ? null : trimmed;
    if (!user || user.name === next) return null;
    await tx.users.setName(userId, next);
    return { action: 'member.renamed', data: { from: user.name, to: next } };
  });
}
