import type { SessionRecord, SessionRepository } from '../../domain/reviewers/reviewer-ports.js';
import { deleteBatch, insertRow, type Sql } from '../sql.js';

/** A `web_sessions` row. The cookie itself is never stored, only its hash. */
interface SessionRow {
  id_hash: string;
  user_id: string;
  workspace_id: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
}

export class SqlSessionRepository implements SessionRepository {
  constructor(private readonly sql: Sql) {}

  async insert(session: SessionRecord): Promise<void> {
    const row: SessionRow = {
      id_hash: session.idHash,
      user_id: session.userId,
      workspace_id: session.workspaceId,
      csrf_token: session.csrfToken,
      created_at: session.createdAt,
      expires_at: session.expiresAt,
    };
    await insertRow(this.sql, 'web_sessions', row);
  }

  async findLive(idHash: string, now: number): Promise<SessionRecord | null> {
    const { rows } = await this.sql.query<SessionRow>(
      'SELECT * FROM web_sessions WHERE id_hash = ? AND expires_at > ?',
      [idHash, now],
    );
    const row = rows[0];
    return row
      ? {
          idHash: row.id_hash,
          userId: row.user_id,
          workspaceId: row.workspace_id,
          csrfToken: row.csrf_token,
          createdAt: row.created_at,
          expiresAt: row.expires_at,
        }
      : null;
  }

  async delete(idHash: string): Promise<void> {
    await this.sql.query('DELETE FROM web_sessions WHERE id_hash = ?', [idHash]);
  }

  async deleteForUser(userId: string, keepIdHash?: string): Promise<void> {
    if (keepIdHash === undefined) await this.sql.query('DELETE FROM web_sessions WHERE user_id = ?', [userId]);
    else await this.sql.query('DELETE FROM web_sessions WHERE user_id = ? AND id_hash <> ?', [userId, keepIdHash]);
  }

  async deleteForMember(workspaceId: string, userId: string): Promise<void> {
    await this.sql.query('DELETE FROM web_sessions WHERE workspace_id = ? AND user_id = ?', [workspaceId, userId]);
  }

  async purgeExpired(now: number): Promise<number> {
    const { affected } = await this.sql.query('DELETE FROM web_sessions WHERE expires_at <= ?', [now]);
    return affected;
  }

  async deleteExpired(now: number, limit: number): Promise<number> {
    // Through idx_web_sessions_expires; findLive already ignores these rows.
    const { affected } = await this.sql.query(deleteBatch(this.sql.dialect, 'web_sessions', 'expires_at <= ?'), [
      now,
      limit,
    ]);
    return affected;
  }
}
