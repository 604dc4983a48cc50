import type {
  GroupMember,
  GroupMemberType,
  ReviewerGroupRecord,
  ReviewerGroupRepository,
} from '../../domain/approvals/approval-ports.js';
import type { ApiKeyRow } from '../admin/api-key-repository.js';
import type { UserRow } from '../admin/user-repository.js';
import { insertRow, insertRows, isIn, type Sql } from '../sql.js';

/** A `reviewer_groups` row; its members are rows of `reviewer_group_members`. */
interface ReviewerGroupRow {
  id: string;
  workspace_id: string;
  name: string;
  created_at: number;
}

/** A `reviewer_group_members` row: a user or API key, by id. */
interface GroupMemberRow {
  group_id: string;
  member_type: GroupMemberType;
  member_id: string;
  /** Where the member stands in the group: assignment ties go to the earlier one. */
  position: number;
  created_at: number;
}

/** A member with the address and name of the user or key it names (NULL where there is none). */
type MemberWithNameRow = Pick<GroupMemberRow, 'group_id' | 'member_type' | 'member_id'> & {
  email: string | null;
  name: string | null;
};

export class SqlReviewerGroupRepository implements ReviewerGroupRepository {
  constructor(private readonly sql: Sql) {}

  async insert(group: Omit<ReviewerGroupRecord, 'members'>): Promise<boolean> {
    const row: ReviewerGroupRow = {
      id: group.id,
      workspace_id: group.workspaceId,
      name: group.name,
      created_at: group.createdAt,
    };
    return insertRow(this.sql, 'reviewer_groups', row, { ignore: true });
  }

  private async withMembers(rows: ReviewerGroupRow[]): Promise<ReviewerGroupRecord[]> {
    const groups: ReviewerGroupRecord[] = rows.map((row) => ({
      id: row.id,
      workspaceId: row.workspace_id,
      name: row.name,
      createdAt: row.created_at,
      members: [],
    }));
    if (groups.length === 0) return groups;
    const byId = new Map(groups.map((group) => [group.id, group]));
    const ofGroups = isIn('m.group_id', [...byId.keys()]);
    const { rows: members } = await this.sql.query<MemberWithNameRow>(
      `SELECT m.group_id, m.member_type, m.member_id, u.email, COALESCE(u.name, k.name) AS name
         FROM reviewer_group_members m
         LEFT JOIN users u ON m.member_type = 'user' AND u.id = m.member_id
         LEFT JOIN api_keys k ON m.member_type = 'api_key' AND k.id = m.member_id
        WHERE ${ofGroups.sql}
        ORDER BY m.group_id, m.position`,
      ofGroups.params,
    );
    for (const row of members) {
      byId.get(row.group_id)?.members.push({
        type: row.member_type,
        id: row.member_id,
        email: row.email,
        name: row.name,
      });
    }
    return groups;
  }

  async findByName(workspaceId: string, name: string): Promise<ReviewerGroupRecord | null> {
    const { rows } = await this.sql.query<ReviewerGroupRow>(
      'SELECT * FROM reviewer_groups WHERE workspace_id = ? AND name = ?',
      [workspaceId, name],
    );
    return (await this.withMembers(rows))[0] ?? null;
  }

  async list(workspaceId: string): Promise<ReviewerGroupRecord[]> {
    const { rows } = await this.sql.query<ReviewerGroupRow>(
      'SELECT * FROM reviewer_groups WHERE workspace_id = ? ORDER BY name',
      [workspaceId],
    );
    return this.withMembers(rows);
  }

  async replaceMembers(groupId: string, members: GroupMember[], now: number): Promise<void> {
    await this.sql.query('DELETE FROM reviewer_group_members WHERE group_id = ?', [groupId]);
    const rows = members.map(
      (member, position): GroupMemberRow => ({
        group_id: groupId,
        member_type: member.type,
        member_id: member.id,
        position,
        created_at: now,
      }),
    );
    await insertRows(this.sql, 'reviewer_group_members', rows);
  }

  async rename(workspaceId: string, groupId: string, name: string): Promise<boolean> {
    const { rows } = await this.sql.query<{ id: string }>(
      'SELECT id FROM reviewer_groups WHERE workspace_id = ? AND name = ?',
      [workspaceId, name],
    );
    if (rows.length > 0) return false;
    const { affected } = await this.sql.query('UPDATE reviewer_groups SET name = ? WHERE id = ? AND workspace_id = ?', [
      name,
      groupId,
      workspaceId,
    ]);
    return affected === 1;
  }

  async resolveMember(workspaceId: string, ref: string): Promise<GroupMember | null> {
    if (ref.startsWith('key_')) {
      const { rows } = await this.sql.query<Pick<ApiKeyRow, 'id' | 'name'>>(
        'SELECT id, name FROM api_keys WHERE id = ? AND workspace_id = ? AND revoked_at IS NULL',
        [ref, workspaceId],
      );
      const row = rows[0];
      return row ? { type: 'api_key', id: row.id, email: null, name: row.name } : null;
    }
    const byEmail = ref.includes('@');
    const { rows } = await this.sql.query<Pick<UserRow, 'id' | 'email' | 'name'>>(
      `SELECT u.id, u.email, u.name FROM users u JOIN memberships m ON m.user_id = u.id AND m.workspace_id = ?
        WHERE ${byEmail ? 'u.email = ?' : 'u.id = ?'}`,
      [workspaceId, byEmail ? ref.trim().toLowerCase() : ref],
    );
    const row = rows[0];
    return row ? { type: 'user', id: row.id, email: row.email, name: row.name } : null;
  }
}
