import { type Role, roleSchema } from '@loopgate/shared';
import { authorize, type Principal } from '../kernel/access.js';
import { AppError, notFound } from '../kernel/errors.js';
import type { Store } from '../store.js';

/**
 * Workspace members as an admin manages them from the web pages. Members join only by accepting an
 * invitation (reviewers/invitations.ts) or through the operator's CLI; the pages never create accounts.
 */
export interface MemberDeps {
  store: Store;
  clock: () => number;
}

export async function listMembers(deps: MemberDeps, principal: Principal) {
  authorize(principal, 'task:read');
  return deps.store.read.members.listForWorkspace(principal.workspaceId);
}

export async function setMemberRole(deps: MemberDeps, principal: Principal, userId: string, role: Role) {
  authorize(principal, 'workspace:admin');
  const parsedRole = roleSchema.parse(role);
  if (principal.actor.type === 'user' && principal.actor.id === userId && parsedRole !== 'admin') {
    // Keeps a workspace from losing its last admin by accident; another admin can still do it.
    throw new AppError('forbidden', 'You cannot take away your own admin role');
  }
  await deps.store.transaction(async (tx) => {
    const existing = await tx.users.findMembership(principal.workspaceId, userId);
    if (!existing) throw notFound(`User ${userId}`);
    if (existing.role === parsedRole) return;
    await tx.users.upsertMembership({ ...existing, role: parsedRole });
  });
}
