import type { DigestItemRecord, MailDigestRepository } from '../../domain/reviewers/reviewer-ports.js';
import { insertRow, type Sql } from '../sql.js';

/** A `mail_digest_items` row: one task waiting for one user's next digest. */
interface DigestItemRow {
  user_id: string;
  task_id: string;
  level: number;
  workspace_id: string;
  email: string;
  due_at: number;
  created_at: number;
}

function rowToItem(row: DigestItemRow): DigestItemRecord {
  return {
    userId: row.user_id,
    taskId: row.task_id,
    level: Number(row.level),
    workspaceId: row.workspace_id,
    email: row.email,
    dueAt: Number(row.due_at),
    createdAt: Number(row.created_at),
  };
}

export class SqlMailDigestRepository implements MailDigestRepository {
  constructor(private readonly sql: Sql) {}

  async add(item: DigestItemRecord): Promise<boolean> {
    const row: DigestItemRow = {
      user_id: item.userId,
      task_id: item.taskId,
      level: item.level,
      workspace_id: item.workspaceId,
      email: item.email,
      due_at: item.dueAt,
      created_at: item.createdAt,
    };
    return insertRow(this.sql, 'mail_digest_items', row, { ignore: true });
  }

  async usersDue(now: number, limit: number): Promise<string[]> {
    const { rows } = await this.sql.query<{ user_id: string }>(
      'SELECT DISTINCT user_id FROM mail_digest_items WHERE due_at <= ? ORDER BY user_id LIMIT ?',
      [now, limit],
    );
    return rows.map((row) => row.user_id);
  }

  async listForUser(userId: string): Promise<DigestItemRecord[]> {
    const { rows } = await this.sql.query<DigestItemRow>(
      'SELECT * FROM mail_digest_items WHERE user_id = ? ORDER BY created_at, task_id',
      [userId],
    );
    return rows.map(rowToItem);
  }

  async remove(item: Pick<DigestItemRecord, 'userId' | 'taskId' | 'level'>): Promise<boolean> {
    const { affected } = await this.sql.query(
      'DELETE FROM mail_digest_items WHERE user_id = ? AND task_id = ? AND level = ?',
      [item.userId, item.taskId, item.level],
    );
    return affected === 1;
  }

  async claimSendSlot(userId: string, hourStart: number, cap: number, now: number): Promise<boolean> {
    const { rows } = await this.sql.query<{ n: number | string }>(
      'SELECT COUNT(*) AS n FROM mail_sends WHERE user_id = ? AND hour_start = ?',
      [userId, hourStart],
    );
    // Start at the first slot probably free; a slot another sender took meanwhile just moves us on.
    for (let slot = Number(rows[0]?.n ?? 0); slot < cap; slot++) {
      const row = { user_id: userId, hour_start: hourStart, slot, sent_at: now };
      if (await insertRow(this.sql, 'mail_sends', row, { ignore: true })) return true;
    }
    return false;
  }
}
