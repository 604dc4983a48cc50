import type { DecisionAction, RiskLevel, Role, TaskStatus } from '@loopgate/shared';
import type {
  BoardCard,
  BoardColumnQuery,
  BoardFilter,
  BoardRepository,
  MemberRecord,
  MemberRepository,
  ReviewLinkAction,
  ReviewLinkRecord,
  ReviewLinkRepository,
  SessionRecord,
  SessionRepository,
  TaskReviewerRepository,
} from '../../domain/reviewers/reviewer-ports.js';
import { BOARD_COUNT_CAP } from '../../domain/reviewers/reviewer-ports.js';
import { deleteBatch, insertIgnore, placeholders, type Row, type Sql } from '../sql.js';

const strOrNull = (value: unknown) => (value === null || value === undefined ? null : String(value));
const numOrNull = (value: unknown) => (value === null || value === undefined ? null : Number(value));

function rowToSession(row: Row): SessionRecord {
  return {
    idHash: String(row.id_hash),
    userId: String(row.user_id),
    workspaceId: String(row.workspace_id),
    csrfToken: String(row.csrf_token),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
  };
}

export class SqlSessionRepository implements SessionRepository {
  constructor(private readonly sql: Sql) {}

  async insert(session: SessionRecord): Promise<void> {
    await this.sql.query(
      'INSERT INTO web_sessions (id_hash, user_id, workspace_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      [session.idHash, session.userId, session.workspaceId, session.csrfToken, session.createdAt, session.expiresAt],
    );
  }

  async findLive(idHash: string, now: number): Promise<SessionRecord | null> {
    const { rows } = await this.sql.query('SELECT * FROM web_sessions WHERE id_hash = ? AND expires_at > ?', [
      idHash,
      now,
    ]);
    return rows[0] ? rowToSession(rows[0]) : null;
  }

  async delete(idHash: string): Promise<void> {
    await this.sql.query('DELETE FROM web_sessions WHERE id_hash = ?', [idHash]);
  }

  async deleteForUser(userId: string): Promise<void> {
    await this.sql.query('DELETE FROM web_sessions WHERE user_id = ?', [userId]);
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

function rowToLink(row: Row): ReviewLinkRecord {
  return {
    tokenHash: String(row.token_hash),
    workspaceId: String(row.workspace_id),
    taskId: String(row.task_id),
    level: Number(row.level),
    userId: String(row.user_id),
    email: String(row.email),
    action: String(row.action) as ReviewLinkAction,
    expiresAt: numOrNull(row.expires_at),
    usedAt: numOrNull(row.used_at),
    createdAt: Number(row.created_at),
  };
}

export class SqlReviewLinkRepository implements ReviewLinkRepository {
  constructor(private readonly sql: Sql) {}

  async insert(link: ReviewLinkRecord): Promise<boolean> {
    const { affected } = await this.sql.query(
      `${insertIgnore(this.sql.dialect)} review_links (token_hash, workspace_id, task_id, level, user_id, email, action, expires_at, used_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        link.tokenHash,
        link.workspaceId,
        link.taskId,
        link.level,
        link.userId,
        link.email,
        link.action,
        link.expiresAt,
        link.usedAt,
        link.createdAt,
      ],
    );
    return affected === 1;
  }

  async findByHash(tokenHash: string): Promise<ReviewLinkRecord | null> {
    const { rows } = await this.sql.query('SELECT * FROM review_links WHERE token_hash = ?', [tokenHash]);
    return rows[0] ? rowToLink(rows[0]) : null;
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
    const where = `created_at <= ? AND EXISTS (SELECT 1 FROM tasks t WHERE t.id = review_links.task_id
      AND t.status IN (${placeholders(taskStatuses.length)}) AND t.closed_at <= ?)`;
    const { affected } = await this.sql.query(deleteBatch(this.sql.dialect, 'review_links', where), [
      closedBefore,
      ...taskStatuses,
      closedBefore,
      limit,
    ]);
    return affected;
  }
}

export class SqlTaskReviewerRepository implements TaskReviewerRepository {
  constructor(private readonly sql: Sql) {}

  async add(workspaceId: string, taskId: string, emails: string[]): Promise<void> {
    for (const email of new Set(emails.map((e) => e.trim().toLowerCase()))) {
      await this.sql.query(
        `${insertIgnore(this.sql.dialect)} task_reviewers (task_id, email, workspace_id) VALUES (?, ?, ?)`,
        [taskId, email, workspaceId],
      );
    }
  }

  async listForTask(workspaceId: string, taskId: string): Promise<string[]> {
    // Primary key (task_id, email).
    const { rows } = await this.sql.query(
      'SELECT email FROM task_reviewers WHERE task_id = ? AND workspace_id = ? ORDER BY email',
      [taskId, workspaceId],
    );
    return rows.map((row) => String(row.email));
  }
}

export class SqlMemberRepository implements MemberRepository {
  constructor(private readonly sql: Sql) {}

  async listForWorkspace(workspaceId: string): Promise<MemberRecord[]> {
    // memberships' primary key starts with workspace_id, so this reads one key range.
    const { rows } = await this.sql.query(
      `SELECT u.id, u.email, u.name, m.role, m.created_at
       FROM memberships m JOIN users u ON u.id = m.user_id
       WHERE m.workspace_id = ? ORDER BY u.email`,
      [workspaceId],
    );
    return rows.map((row) => ({
      userId: String(row.id),
      email: String(row.email),
      name: strOrNull(row.name),
      role: String(row.role) as Role,
      createdAt: Number(row.created_at),
    }));
  }

  async workspacesOf(userId: string): Promise<{ workspaceId: string; slug: string; role: Role }[]> {
    const { rows } = await this.sql.query(
      `SELECT m.workspace_id, w.slug, m.role FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
       WHERE m.user_id = ? ORDER BY m.created_at, w.slug`,
      [userId],
    );
    return rows.map((row) => ({
      workspaceId: String(row.workspace_id),
      slug: String(row.slug),
      role: String(row.role) as Role,
    }));
  }
}

const CARD_COLUMNS =
  'id, title, queue, source, status, risk_level, confidence, assignee_name, assignee_id, claimed, escalated, due_at, created_at, decision_action';

function rowToCard(row: Row): BoardCard {
  return {
    id: String(row.id),
    title: String(row.title),
    queue: String(row.queue),
    source: String(row.source),
    status: String(row.status) as TaskStatus,
    riskLevel: strOrNull(row.risk_level) as RiskLevel | null,
    confidence: numOrNull(row.confidence),
    assigneeName: strOrNull(row.assignee_name),
    assigneeId: strOrNull(row.assignee_id),
    claimed: Number(row.claimed ?? 0) === 1,
    escalated: Number(row.escalated ?? 0) === 1,
    dueAt: numOrNull(row.due_at),
    createdAt: Number(row.created_at),
    decisionAction: strOrNull(row.decision_action) as DecisionAction | null,
  };
}

export class SqlBoardRepository implements BoardRepository {
  constructor(private readonly sql: Sql) {}

  async column(
    workspaceId: string,
    column: BoardColumnQuery,
    filter: BoardFilter,
    limit: number,
  ): Promise<{ cards: BoardCard[]; total: number }> {
    // Read through idx_tasks_ws_board (workspace, status, escalated, claimed, created_at).
    const where = ['workspace_id = ?', `status IN (${column.statuses.map(() => '?').join(', ')})`];
    const params: unknown[] = [workspaceId, ...column.statuses];
    if (column.escalated !== undefined) {
      where.push('escalated = ?');
      params.push(column.escalated ? 1 : 0);
    }
    if (column.claimed !== undefined) {
      where.push('claimed = ?');
      params.push(column.claimed ? 1 : 0);
    }
    if (column.closedAfter !== undefined) {
      where.push('closed_at > ?');
      params.push(column.closedAfter);
    }
    const equals: [string, unknown][] = [
      ['queue', filter.queue],
      ['risk_level', filter.riskLevel],
      ['source', filter.source],
      ['assignee_id', filter.assigneeId],
    ];
    for (const [name, value] of equals) {
      if (value !== undefined) {
        where.push(`${name} = ?`);
        params.push(value);
      }
    }
    if (filter.search) {
      where.push("title LIKE ? ESCAPE '!'");
      params.push(`%${filter.search.replace(/[!%_]/g, (c) => `!${c}`)}%`);
    }
    const clause = where.join(' AND ');
    const { rows } = await this.sql.query(
      `SELECT ${CARD_COLUMNS} FROM tasks WHERE ${clause} ORDER BY created_at DESC LIMIT ?`,
      [...params, limit],
    );
    const cards = rows.map(rowToCard);
    let total = cards.length;
    if (cards.length === limit) {
      const counted = await this.sql.query(
        `SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM tasks WHERE ${clause} LIMIT ${BOARD_COUNT_CAP}) capped`,
        params,
      );
      total = Number(counted.rows[0]?.n ?? cards.length);
    }
    return { cards, total };
  }
}

export function createWebRepositories(sql: Sql) {
  return {
    sessions: new SqlSessionRepository(sql),
    reviewLinks: new SqlReviewLinkRepository(sql),
    members: new SqlMemberRepository(sql),
    taskReviewers: new SqlTaskReviewerRepository(sql),
    board: new SqlBoardRepository(sql),
  };
}
