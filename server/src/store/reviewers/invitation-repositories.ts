import type { Role } from '@loopgate/shared';
import type { InvitationRecord, InvitationRepository } from '../../domain/reviewers/invitation-ports.js';
import { deleteBatch, type Row, type Sql } from '../sql.js';

const strOrNull = (value: unknown) => (value === null || value === undefined ? null : String(value));
const numOrNull = (value: unknown) => (value === null || value === undefined ? null : Number(value));

function rowToInvitation(row: Row): InvitationRecord {
  return {
    tokenHash: String(row.token_hash),
    workspaceId: String(row.workspace_id),
    email: String(row.email),
    role: String(row.role) as Role,
    name: strOrNull(row.name),
    invitedBy: strOrNull(row.invited_by),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    usedAt: numOrNull(row.used_at),
    revokedAt: numOrNull(row.revoked_at),
  };
}

export class SqlInvitationRepository implements InvitationRepository {
  constructor(private readonly sql: Sql) {}

  async insert(invitation: InvitationRecord): Promise<void> {
    await this.sql.query(
      `INSERT INTO invitations (token_hash, workspace_id, email, role, name, invited_by, created_at, expires_at, used_at, revoked_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        invitation.tokenHash,
        invitation.workspaceId,
        invitation.email,
        invitation.role,
        invitation.name,
        invitation.invitedBy,
        invitation.createdAt,
        invitation.expiresAt,
        invitation.usedAt,
        invitation.revokedAt,
      ],
    );
  }

  async findByHash(tokenHash: string): Promise<InvitationRecord | null> {
    const { rows } = await this.sql.query('SELECT * FROM invitations WHERE token_hash = ?', [tokenHash]);
    return rows[0] ? rowToInvitation(rows[0]) : null;
  }

  async revokeUnused(workspaceId: string, email: string, now: number): Promise<number> {
    // Through idx_invitations_workspace_email.
    const { affected } = await this.sql.query(
      `UPDATE invitations SET revoked_at = ?
       WHERE workspace_id = ? AND email = ? AND used_at IS NULL AND revoked_at IS NULL`,
      [now, workspaceId, email],
    );
    return affected;
  }

  async listOpen(workspaceId: string): Promise<InvitationRecord[]> {
    // Through idx_invitations_workspace_email; used and revoked ones are pruned by housekeeping.
    const { rows } = await this.sql.query(
      `SELECT * FROM invitations WHERE workspace_id = ? AND used_at IS NULL AND revoked_at IS NULL
       ORDER BY created_at DESC, email`,
      [workspaceId],
    );
    return rows.map(rowToInvitation);
  }

  async use(tokenHash: string, now: number): Promise<boolean> {
    const { affected } = await this.sql.query(
      `UPDATE invitations SET used_at = ?
       WHERE token_hash = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?`,
      [now, tokenHash, now],
    );
    return affected === 1;
  }

  async deleteExpiredBefore(cutoff: number, limit: number): Promise<number> {
    // No index: invitations are a few per admin action, so the scan stays small.
    const { affected } = await this.sql.query(deleteBatch(this.sql.dialect, 'invitations', 'expires_at < ?'), [
      cutoff,
      limit,
    ]);
    return affected;
  }
}

export function createInvitationRepositories(sql: Sql) {
  return { invitations: new SqlInvitationRepository(sql) };
}
