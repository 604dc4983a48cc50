import type { Role } from '@loopgate/shared';
import type { InvitationRecord, InvitationRepository } from '../../domain/reviewers/invitation-ports.js';
import { deleteBatch, insertRow, type Sql } from '../sql.js';

/** An `invitations` row. Only the link token's hash is stored. */
interface InvitationRow {
  token_hash: string;
  workspace_id: string;
  email: string;
  role: Role;
  name: string | null;
  invited_by: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  revoked_at: number | null;
}

function rowToInvitation(row: InvitationRow): InvitationRecord {
  return {
    tokenHash: row.token_hash,
    workspaceId: row.workspace_id,
    email: row.email,
    role: row.role,
    name: row.name,
    invitedBy: row.invited_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
    revokedAt: row.revoked_at,
  };
}

export class SqlInvitationRepository implements InvitationRepository {
  constructor(private readonly sql: Sql) {}

  async insert(invitation: InvitationRecord): Promise<void> {
    const row: InvitationRow = {
      token_hash: invitation.tokenHash,
      workspace_id: invitation.workspaceId,
      email: invitation.email,
      role: invitation.role,
      name: invitation.name,
      invited_by: invitation.invitedBy,
      created_at: invitation.createdAt,
      expires_at: invitation.expiresAt,
      used_at: invitation.usedAt,
      revoked_at: invitation.revokedAt,
    };
    await insertRow(this.sql, 'invitations', row);
  }

  async findByHash(tokenHash: string): Promise<InvitationRecord | null> {
    const { rows } = await this.sql.query<InvitationRow>('SELECT * FROM invitations WHERE token_hash = ?', [tokenHash]);
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
    const { rows } = await this.sql.query<InvitationRow>(
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
