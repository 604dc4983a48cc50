import { type Role, roleSchema } from '@loopgate/shared';
import { authorize, type Principal } from './access.js';
import { upsertUser } from './admin-service.js';
import { AppError, notFound } from './errors.js';
import type { Store } from './ports.js';

/** Workspace members as an admin manages them from the web pages. */
export interface MemberDeps {
  store: Store;
  clock: () => number;
}

export async function listMembers(deps: MemberDeps, principal: Principal) {
  authorize(principal, 'task:read');
  return deps.store.read.members.listForWorkspace(principal.workspaceId);
}

/** Adds a user to the admin's workspace (creating the account if the e-mail is new). */
export async function addMember(
  deps: MemberDeps,
  principal: Principal,
  input: { email: string; name?: string; password: string; role: Role },
) {
  authorize(principal, 'workspace:admin');
  const workspace = await deps.store.read.workspaces.findById(principal.workspaceId);
  if (!workspace) throw notFound('Workspace');
  return upsertUser(deps, { ...input, role: roleSchema.parse(input.role), workspaceSlug: workspace.slug });
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
