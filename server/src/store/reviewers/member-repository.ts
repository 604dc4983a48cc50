import type { Role } from '@loopgate/shared';
import type { MemberRecord, MemberRepository } from '../../domain/reviewers/reviewer-ports.js';
import type { MembershipRow, UserRow } from '../admin/user-repository.js';
import type { WorkspaceRow } from '../admin/workspace-repository.js';
import type { Sql } from '../sql.js';

export class SqlMemberRepository implements MemberRepository {
  constructor(private readonly sql: Sql) {}

  async listForWorkspace(workspaceId: string): Promise<MemberRecord[]> {
    // memberships' primary key starts with workspace_id, so this reads one key range.
    const { rows } = await this.sql.query<
      Pick<UserRow, 'id' | 'email' | 'name'> & Pick<MembershipRow, 'role' | 'created_at' | 'deactivated_at'>
    >(
      `SELECT u.id, u.email, u.name, m.role, m.created_at, m.deactivated_at
       FROM memberships m JOIN users u ON u.id = m.user_id
       WHERE m.workspace_id = ? ORDER BY u.email`,
      [workspaceId],
    );
    return rows.map((row) => ({
      userId: row.id,
      email: row.email,
      name: row.name,
      role: row.role,
      createdAt: row.created_at,
      deactivatedAt: row.deactivated_at ?? null,
    }));
  }

  async workspacesOf(userId: string): Promise<{ workspaceId: string; slug: string; role: Role }[]> {
    const { rows } = await this.sql.query<Pick<MembershipRow, 'workspace_id' | 'role'> & Pick<WorkspaceRow, 'slug'>>(
      `SELECT m.workspace_id, w.slug, m.role FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
       WHERE m.user_id = ? AND m.deactivated_at IS NULL ORDER BY m.created_at, w.slug`,
      [userId],
    );
    return rows.map((row) => ({ workspaceId: row.workspace_id, slug: row.slug, role: row.role }));
  }
}
