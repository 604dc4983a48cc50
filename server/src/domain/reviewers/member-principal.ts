import type { UserRecord } from '../admin/admin-ports.js';
import type { Principal } from '../kernel/access.js';
import type { Repositories } from '../store.js';

/**
 * A user acting in a workspace they belong to, as a session, an e-mail link or a linked Slack
 * account sees them: their role there, named by display name or e-mail. Null when the user or the
 * membership is gone or deactivated.
 */
export async function memberPrincipal(
  repos: Pick<Repositories, 'users'>,
  workspaceId: string,
  userId: string,
): Promise<{ user: UserRecord; principal: Principal } | null> {
  const [user, membership] = await Promise.all([
    repos.users.findById(userId),
    repos.users.findMembership(workspaceId, userId),
  ]);
  if (!user || !membership || (membership.deactivatedAt ?? null) !== null) return null;
  return {
    user,
    principal: {
      workspaceId,
      role: membership.role,
      actor: { type: 'user', id: user.id, name: user.name ?? user.email },
    },
  };
}
