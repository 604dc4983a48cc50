import type { DecisionAction, RiskLevel, Role, TaskStatus } from '@loopgate/shared';

/** Storage for the web side: login sessions, e-mail review links, workspace members and board cards. */

export interface SessionRecord {
  /** SHA-256 of the cookie value; the cookie itself is never stored. */
  idHash: string;
  userId: string;
  workspaceId: string;
  csrfToken: string;
  createdAt: number;
  expiresAt: number;
}

export interface SessionRepository {
  insert(session: SessionRecord): Promise<void>;
  findLive(idHash: string, now: number): Promise<SessionRecord | null>;
  delete(idHash: string): Promise<void>;
  deleteForUser(userId: string): Promise<void>;
  /** Ends the user's sessions in one workspace (deactivated or removed there); others stay. */
  deleteForMember(workspaceId: string, userId: string): Promise<void>;
  purgeExpired(now: number): Promise<number>;
  /** Housekeeping: deletes up to `limit` sessions expired at `now`; returns how many. */
  deleteExpired(now: number, limit: number): Promise<number>;
}

/** An e-mail link action: approve, reject, or open the review page to modify. */
export type ReviewLinkAction = 'approve' | 'reject' | 'modify';

export interface ReviewLinkRecord {
  tokenHash: string;
  workspaceId: string;
  taskId: string;
  level: number;
  userId: string;
  email: string;
  action: ReviewLinkAction;
  /** The task's deadline when the link was made; closing the task ends it too. */
  expiresAt: number | null;
  usedAt: number | null;
  createdAt: number;
}

export interface ReviewLinkRepository {
  /** False when this task, level, reviewer and action already has a link (the mail went out). */
  insert(link: ReviewLinkRecord): Promise<boolean>;
  findByHash(tokenHash: string): Promise<ReviewLinkRecord | null>;
  /** Compare-and-set: marks every link of this task, level and reviewer used; true when this call did it. */
  use(link: Pick<ReviewLinkRecord, 'tokenHash' | 'taskId' | 'level' | 'userId'>, now: number): Promise<boolean>;
  /** Gives the links back when the decision they were used for did not happen. */
  release(link: Pick<ReviewLinkRecord, 'taskId' | 'level' | 'userId'>, usedAt: number): Promise<void>;
  /**
   * Housekeeping: deletes up to `limit` links whose task is in one of `taskStatuses` and was closed at or
   * before `closedBefore`; returns how many.
   */
  deleteForClosedTasks(taskStatuses: readonly TaskStatus[], closedBefore: number, limit: number): Promise<number>;
}

/** E-mail addresses a task names as its reviewers (lower case). */
export interface TaskReviewerRepository {
  add(workspaceId: string, taskId: string, emails: string[]): Promise<void>;
  listForTask(workspaceId: string, taskId: string): Promise<string[]>;
}

export interface MemberRecord {
  userId: string;
  email: string;
  name: string | null;
  role: Role;
  createdAt: number;
  /** Null while active. */
  deactivatedAt: number | null;
}

export interface MemberRepository {
  listForWorkspace(workspaceId: string): Promise<MemberRecord[]>;
  /** The user's memberships, oldest first (the first is the workspace a login lands in). */
  workspacesOf(userId: string): Promise<{ workspaceId: string; slug: string; role: Role }[]>;
}

export interface BoardCard {
  id: string;
  title: string;
  queue: string;
  source: string;
  status: TaskStatus;
  riskLevel: RiskLevel | null;
  confidence: number | null;
  assigneeName: string | null;
  assigneeId: string | null;
  claimed: boolean;
  escalated: boolean;
  dueAt: number | null;
  createdAt: number;
  decisionAction: DecisionAction | null;
}

export interface BoardFilter {
  queue?: string;
  riskLevel?: RiskLevel;
  source?: string;
  /** An assignee id (user or API key). */
  assigneeId?: string;
  /** Substring of the title. */
  search?: string;
}

/** Which tasks a column holds: statuses plus optional claimed/escalated flags. */
export interface BoardColumnQuery {
  statuses: readonly TaskStatus[];
  escalated?: boolean;
  claimed?: boolean;
  /** Completed column: only tasks closed after this time. */
  closedAfter?: number;
}

export interface BoardRepository {
  /** One column: its newest `limit` cards and how many match in all. */
  column(
    workspaceId: string,
    column: BoardColumnQuery,
    filter: BoardFilter,
    limit: number,
  ): Promise<{ cards: BoardCard[]; total: number }>;
}

/** Counting stops here: a column says "1000+" rather than scanning every closed task ever. */
export const BOARD_COUNT_CAP = 1000;
