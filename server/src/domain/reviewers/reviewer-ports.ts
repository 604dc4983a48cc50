import type {
  Actor,
  BoardColumnConfig,
  BoardColumnFilter,
  DecisionAction,
  RiskLevel,
  Role,
  TaskStatus,
} from '@loopgate/shared';
import type { TaskListFilter } from '../tasks/task-ports.js';

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
  /** Ends every session of the user, except the one `keepIdHash` names (a password change keeps its own). */
  deleteForUser(userId: string, keepIdHash?: string): Promise<void>;
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
  /**
   * The task's deadline when the link was made before it; null for a link made at or after the
   * deadline (the task is still open, so it lives until the task closes or moves on a level).
   */
  expiresAt: number | null;
  usedAt: number | null;
  createdAt: number;
}

export interface ReviewLinkRepository {
  /** False when this task, level, reviewer and action already has a link (the mail went out). */
  insert(link: ReviewLinkRecord): Promise<boolean>;
  findByHash(tokenHash: string): Promise<ReviewLinkRecord | null>;
  /**
   * Compare-and-set: gives the unused link of this task, level, reviewer and action that expired at or
   * before `now` a new token, expiry and creation time; false when there is no such link (it is live,
   * used, or another process renewed it first). The renewal is the claim to send the new mail.
   */
  renewExpired(link: ReviewLinkRecord, now: number): Promise<boolean>;
  /**
   * Gives the unused link of this task, level, reviewer and action a new token (a digest mails links
   * claimed earlier, whose first tokens nobody ever saw); false when it is used or gone.
   */
  reissue(link: Pick<ReviewLinkRecord, 'tokenHash' | 'taskId' | 'level' | 'userId' | 'action'>): Promise<boolean>;
  /** Reviewers whose links for this task and level were made (or renewed) at or after `since`. */
  usersMailedSince(taskId: string, level: number, since: number): Promise<string[]>;
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

/** A task waiting for a user's next digest (their setting, or the hourly cap was reached). */
export interface DigestItemRecord {
  userId: string;
  taskId: string;
  level: number;
  workspaceId: string;
  email: string;
  /** When the digest it belongs to goes out. */
  dueAt: number;
  createdAt: number;
}

export interface MailDigestRepository {
  /** False when the task (at this level) already waits in this user's digest. */
  add(item: DigestItemRecord): Promise<boolean>;
  /** Users with at least one item due at `now`, up to `limit`. */
  usersDue(now: number, limit: number): Promise<string[]>;
  /** Every item of the user (due or not: a digest takes them all along), oldest first. */
  listForUser(userId: string): Promise<DigestItemRecord[]>;
  /** Compare-and-set: removes the item; true when this call did (the claim to mail it). */
  remove(item: Pick<DigestItemRecord, 'userId' | 'taskId' | 'level'>): Promise<boolean>;
  /**
   * Takes one of the user's `cap` mail slots for the clock hour starting at `hourStart` (a unique key
   * per slot, so concurrent senders cannot exceed it); false when all are taken.
   */
  claimSendSlot(userId: string, hourStart: number, cap: number, now: number): Promise<boolean>;
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
  /** 0 normal; raised by escalation. */
  priority: number;
  /** Approval level the task is on, and how many it needs. */
  level: number;
  levels: number;
  dueAt: number | null;
  createdAt: number;
  closedAt: number | null;
  decisionAction: DecisionAction | null;
  /** The agent that asked (its id, and name when given). */
  agent: { id: string; name: string | null } | null;
  // What the per-card actions are decided on (domain/approvals/task-actions.ts).
  createdBy: Actor;
  assignee: Actor | null;
  /** The group an escalation reassigned the task to. */
  assignedGroup: string | null;
  /** Labels of the sensitive-data detectors that fired on it ("IBAN", "Card number"); empty: none. */
  sensitive: string[];
}

/** The board filters the same way as the task list and its export. */
export type BoardFilter = Omit<TaskListFilter, 'externalRef' | 'createdAfter' | 'createdBefore'>;

/** Which tasks a column holds: statuses plus optional claimed/escalated flags. */
export interface BoardColumnQuery {
  statuses: readonly TaskStatus[];
  escalated?: boolean;
  claimed?: boolean;
  /** Completed column: only tasks closed after this time. */
  closedAfter?: number;
  /**
   * Open work in urgency order (domain/tasks/urgency.ts: most overdue first); closed work most
   * recently closed first.
   */
  order: 'urgency' | 'recently_closed';
  /** A filter column: only tasks matching every field of this filter. */
  match?: BoardColumnFilter;
  /** Tasks an earlier filter column took: none matching any of these (each card shows once). */
  exclude?: readonly BoardColumnFilter[];
}

export interface BoardRepository {
  /** The sources the workspace's tasks came from, for the board's filter (at most `limit`). */
  sources(workspaceId: string, limit: number): Promise<string[]>;
  /** Tags on the workspace's most recent tagged tasks, sorted, for the board's tag suggestions (at most `limit`). */
  recentTags(workspaceId: string, limit: number): Promise<string[]>;
  /** One column: its first `limit` cards in the column's order and how many match in all. */
  column(
    workspaceId: string,
    column: BoardColumnQuery,
    filter: BoardFilter,
    limit: number,
  ): Promise<{ cards: BoardCard[]; total: number }>;
  /**
   * For each of `taskIds`, the values at `pointers` in its payload as JSON text (null where the
   * payload has none), extracted by the database so a board never loads whole payloads.
   */
  payloadValues(
    workspaceId: string,
    taskIds: readonly string[],
    pointers: readonly string[],
  ): Promise<Map<string, (string | null)[]>>;
}

/** A workspace's configured board: its columns, and a version that goes up by one per change. */
export interface BoardConfigRecord {
  workspaceId: string;
  columns: BoardColumnConfig[];
  version: number;
  updatedAt: number;
  /** The user who saved it (null: the operator or a job). */
  updatedBy: string | null;
}

export interface BoardConfigRepository {
  find(workspaceId: string): Promise<BoardConfigRecord | null>;
  /**
   * Saves `record` as version `record.version`: version 1 is inserted, later ones replace version
   * `record.version - 1`. False when the stored version is not the one the change was made from.
   */
  save(record: BoardConfigRecord): Promise<boolean>;
}

/** Counting stops here: a column says "1000+" rather than scanning every closed task ever. */
export const BOARD_COUNT_CAP = 1000;

/** A user's named filter of the board and list: the filter part of the page's query string. */
export interface SavedViewRecord {
  id: string;
  workspaceId: string;
  userId: string;
  name: string;
  query: string;
  createdAt: number;
}

export interface SavedViewRepository {
  /** False when the user already has a view of that name (in this workspace). */
  insert(view: SavedViewRecord): Promise<boolean>;
  /** Points the user's view of that name at another query; false when there is none. */
  replaceQuery(workspaceId: string, userId: string, name: string, query: string): Promise<boolean>;
  /** The user's views in this workspace, by name. */
  listForUser(workspaceId: string, userId: string): Promise<SavedViewRecord[]>;
  /** Removes the view only if it is this user's; true when it did. */
  delete(workspaceId: string, userId: string, id: string): Promise<boolean>;
}
