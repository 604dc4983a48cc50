import type { TaskStatus } from '@loopgate/shared';
import type {
  ReviewLinkAction,
  ReviewLinkRecord,
  ReviewLinkRepository,
} from '../../domain/reviewers/reviewer-ports.js';
import { deleteBatch, insertRow, isIn, type Sql } from '../sql.js';

/** A `review_links` row: one action of a reviewer's e-mail for one task and level. Only the token's hash is stored. */
interface ReviewLinkRow {
  token_hash: string;
  workspace_id: string;
  task_id: string;
  level: number;
  user_id: string;
  email: string;
  action: ReviewLinkAction;
  expires_at: number | null;
  used_at: number | null;
  created_at: number;
}

export class SqlReviewLinkRepository implements ReviewLinkRepository {
  constructor(private readonly sql: Sql) {}

  async insert(link: ReviewLinkRecord): Promise<boolean> {
    const row: ReviewLinkRow = {
      token_hash: link.tokenHash,
      workspace_id: link.workspaceId,
      task_id: link.taskId,
      level: link.level,
      user_id: link.userId,
      email: link.email,
      action: link.action,
      expires_at: link.expiresAt,
      used_at: link.usedAt,
      created_at: link.createdAt,
    };
    return insertRow(this.sql, 'review_links', row, { ignore: true });
  }

  async findByHash(tokenHash: string): Promise<ReviewLinkRecord | null> {
    const { rows } = await this.sql.query<ReviewLinkRow>('SELECT * FROM review_links WHERE token_hash = ?', [
      tokenHash,
    ]);
    const row = rows[0];
    return row
      ? {
          tokenHash: row.token_hash,
          workspaceId: row.workspace_id,
          taskId: row.task_id,
          level: row.level,
          userId: row.user_id,
          email: row.email,
          action: row.action,
          expiresAt: row.expires_at,
          usedAt: row.used_at,
          createdAt: row.created_at,
        }
      : null;
  }

  async renewExpired(link: ReviewLinkRecord, now: number): Promise<boolean> {
    const { affected } = await this.sql.query(
      `UPDATE review_links SET token_hash = ?, email = ?, expires_at = ?, created_at = ?
       WHERE task_id = ? AND level = ? AND user_id = ? AND action = ?
         AND used_at IS NULL AND expires_at IS NOT NULL AND expires_at <= ?`,
      [
        link.tokenHash,
        link.email,
        link.expiresAt,
        link.createdAt,
        link.taskId,
        link.level,
        link.userId,
        link.action,
        now,
      ],
    );
    return affected === 1;
  }

  async reissue(
    link: Pick<ReviewLinkRecord, 'tokenHash' | 'taskId' | 'level' | 'userId' | 'action'>,
  ): Promise<boolean> {
    const { affected } = await this.sql.query(
      `UPDATE review_links SET token_hash = ?
       WHERE task_id = ? AND level = ? AND user_id = ? AND action = ? AND used_at IS NULL`,
      [link.tokenHash, link.taskId, link.level, link.userId, link.action],
    );
    return affected === 1;
  }

  async usersMailedSince(taskId: string, level: number, since: number): Promise<string[]> {
    const { rows } = await this.sql.query<{ user_id: string }>(
      'SELECT DISTINCT user_id FROM review_links WHERE task_id = ? AND level = ? AND created_at >= ?',
      [taskId, level, since],
    );
    return rows.map((row) => row.user_id);
  }

  async use(link: Pick<ReviewLinkRecord, 'tokenHash' | 'taskId' | 'level' | 'userId'>, now: number): Promise<boolean> {
    // The presented link must still be unused; then its siblings (the other two actions) go with it.
    const { affected } = await this.sql.query(
      'UPDATE review_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL',
      [now, link.tokenHash],
    );
    if (affected !== 1) return false;
    await this.sql.query(
      'UPDATE review_links SET used_at = ? WHERE task_id = ? AND level = ? AND user_id = ? AND used_at IS NULL',
      [now, link.taskId, link.level, link.userId],
    );
    return true;
  }

  async release(link: Pick<ReviewLinkRecord, 'taskId' | 'level' | 'userId'>, usedAt: number): Promise<void> {
    await this.sql.query(
      'UPDATE review_links SET used_at = NULL WHERE task_id = ? AND level = ? AND user_id = ? AND used_at = ?',
      [link.taskId, link.level, link.userId, usedAt],
    );
  }

  async deleteForClosedTasks(
    taskStatuses: readonly TaskStatus[],
    closedBefore: number,
    limit: number,
  ): Promise<number> {
    if (taskStatuses.length === 0) return 0;
    // Links are made while their task is open, so `created_at <= closedBefore` lets idx_review_links_created
    // bound the scan without missing any (one made in a race with the close goes a run or two later);
    // each candidate's task is then read by its primary key.
    const closed = isIn('t.status', taskStatuses);
    const where = `created_at <= ? AND EXISTS (SELECT 1 FROM tasks t WHERE t.id = review_links.task_id
      AND ${closed.sql} AND t.closed_at <= ?)`;
    const { affected } = await this.sql.query(deleteBatch(this.sql.dialect, 'review_links', where), [
      closedBefore,
      ...closed.params,
      closedBefore,
      limit,
    ]);
    return affected;
  }
}
