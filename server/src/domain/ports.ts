import type { Actor, RiskLevel, Role, TaskStatus } from '@loopgate/shared';
import type { QueueRepository, ReviewerGroupRepository, SweepRepository, VoteRepository } from './approval-ports.js';
import type { AuditRepository } from './audit-ports.js';
import type {
  DeliveryRepository,
  DeliverySettingsRepository,
  SlackRepository,
  WebhookSubscriptionRepository,
} from './delivery-ports.js';
import type { InvitationRepository } from './invitation-ports.js';
import type { TaskEventRecord, TaskRecord, TaskTransition } from './task-record.js';
import type {
  BoardRepository,
  MemberRepository,
  ReviewLinkRepository,
  SessionRepository,
  TaskReviewerRepository,
} from './web-ports.js';

/**
 * What the domain needs from storage, and nothing about how it is stored. The store package
 * implements these over TypeORM; domain tests can pass small fakes.
 */
export interface TaskListFilter {
  status?: TaskStatus;
  queue?: string;
  riskLevel?: RiskLevel;
  source?: string;
  externalRef?: string;
  createdAfter?: number;
  createdBefore?: number;
}

/** Position after the last row of a page: tasks are listed newest first, ties broken by id. */
export interface TaskCursor {
  createdAt: number;
  id: string;
}

export interface TaskRepository {
  insert(task: TaskRecord): Promise<void>;
  findById(workspaceId: string, id: string): Promise<TaskRecord | null>;
  list(workspaceId: string, filter: TaskListFilter, limit: number, after?: TaskCursor): Promise<TaskRecord[]>;
  /** Compare-and-set: true when this call won (the row still had `expected` status and version). */
  transition(
    workspaceId: string,
    id: string,
    expected: { status: TaskStatus; version: number },
    change: TaskTransition,
  ): Promise<boolean>;
}

export interface TaskEventRepository {
  append(event: TaskEventRecord): Promise<void>;
  listForTask(workspaceId: string, taskId: string): Promise<TaskEventRecord[]>;
}

export interface WorkspaceRecord {
  id: string;
  slug: string;
  name: string;
  createdAt: number;
}

export interface WorkspaceRepository {
  insert(workspace: WorkspaceRecord): Promise<void>;
  findBySlug(slug: string): Promise<WorkspaceRecord | null>;
  findById(id: string): Promise<WorkspaceRecord | null>;
  list(): Promise<WorkspaceRecord[]>;
}

export interface UserRecord {
  id: string;
  email: string;
  name: string | null;
  /**
   * Null for an account that has never had a password (created by an invitation before invitations
   * stopped creating accounts); such an account cannot log in, and only its own invitation link or
   * the operator's CLI gives it one.
   */
  passwordHash: string | null;
  createdAt: number;
}

export interface MembershipRecord {
  workspaceId: string;
  userId: string;
  role: Role;
  createdAt: number;
}

export interface UserRepository {
  /** False when the e-mail address is already taken (another request created the user first). */
  insert(user: UserRecord): Promise<boolean>;
  findByEmail(email: string): Promise<UserRecord | null>;
  findById(id: string): Promise<UserRecord | null>;
  /** Compare-and-set: sets the password of an account that has none yet; true when this call did it. */
  setFirstPassword(userId: string, passwordHash: string): Promise<boolean>;
  /** Replaces the password whatever it was (the operator's reset); true when the user exists. */
  setPassword(userId: string, passwordHash: string): Promise<boolean>;
  upsertMembership(membership: MembershipRecord): Promise<void>;
  /** Adds the membership unless the user is a member already (then their role stays); true when this call added it. */
  addMembership(membership: MembershipRecord): Promise<boolean>;
  findMembership(workspaceId: string, userId: string): Promise<MembershipRecord | null>;
}

export interface ApiKeyRecord {
  id: string;
  workspaceId: string;
  name: string;
  role: Role;
  prefix: string;
  keyHash: string;
  createdAt: number;
  revokedAt: number | null;
  /** Moved at most once a minute (see ApiKeyAuthenticator), so it is accurate to the minute. */
  lastUsedAt: number | null;
  /** Null for keys created before Loopgate recorded who created them. */
  createdBy: Actor | null;
}

export interface ApiKeyRepository {
  insert(key: ApiKeyRecord): Promise<void>;
  findByHash(keyHash: string): Promise<ApiKeyRecord | null>;
  findById(workspaceId: string, id: string): Promise<ApiKeyRecord | null>;
  /** Keys not revoked, of one workspace or (for the operator) all, oldest first. */
  listActive(workspaceId: string | null): Promise<ApiKeyRecord[]>;
  /** Keys not revoked whose id or prefix is `ref`, in any workspace (the operator's CLI). */
  findActiveByRef(ref: string): Promise<ApiKeyRecord[]>;
  /** Compare-and-set: revokes the key if it is not revoked yet; true when this call did it. */
  revoke(workspaceId: string, id: string, now: number): Promise<boolean>;
  /** Sets last_used_at to `now` unless it is already later than `staleBefore`; true when it moved. */
  touchLastUsed(id: string, now: number, staleBefore: number): Promise<boolean>;
}

export interface StoredResponse {
  status: number;
  body: string;
}

export type IdempotencyBegin =
  | { outcome: 'started' }
  | { outcome: 'in_flight' }
  | { outcome: 'mismatch' }
  | { outcome: 'completed'; response: StoredResponse };

export interface IdempotencyRepository {
  /**
   * Claims `key` for a request with `requestHash`. A claim left in flight since before `staleBefore`
   * (its process died) may be taken over, so a crash never locks a key for good.
   */
  begin(
    workspaceId: string,
    key: string,
    requestHash: string,
    now: number,
    staleBefore: number,
  ): Promise<IdempotencyBegin>;
  complete(workspaceId: string, key: string, response: StoredResponse, now: number): Promise<void>;
  release(workspaceId: string, key: string): Promise<void>;
  /** Housekeeping: deletes up to `limit` keys first used at or before `createdBefore`; returns how many. */
  deleteCreatedBefore(createdBefore: number, limit: number): Promise<number>;
}

export interface Repositories {
  tasks: TaskRepository;
  taskEvents: TaskEventRepository;
  workspaces: WorkspaceRepository;
  users: UserRepository;
  apiKeys: ApiKeyRepository;
  audit: AuditRepository;
  idempotency: IdempotencyRepository;
  webhooks: WebhookSubscriptionRepository;
  deliveries: DeliveryRepository;
  deliverySettings: DeliverySettingsRepository;
  slack: SlackRepository;
  queues: QueueRepository;
  reviewerGroups: ReviewerGroupRepository;
  votes: VoteRepository;
  sweep: SweepRepository;
  sessions: SessionRepository;
  reviewLinks: ReviewLinkRepository;
  members: MemberRepository;
  board: BoardRepository;
  taskReviewers: TaskReviewerRepository;
  invitations: InvitationRepository;
}

export interface Store {
  /** Repositories reading committed data only. */
  readonly read: Repositories;
  /** Runs `work` atomically: every write in it commits together or not at all, and is durable when this resolves. */
  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
  readonly dialect: 'sqlite' | 'mysql';
}

/**
 * Announces task changes to anyone waiting (long-poll, SSE), and tells caches to drop a record that
 * changed, on this process and (with Redis) on every other. Both are fire-and-forget: a message lost
 * (Redis restarting) is made up for by whoever listens — waiters re-read the task at their timeout,
 * caches expire their entries after a TTL — so nothing is ever wrong for longer than that bound.
 */
export interface TaskEventBus {
  publish(message: TaskChangeMessage): void;
  subscribe(listener: (message: TaskChangeMessage) => void): () => void;
  /**
   * Asks every process to drop what it cached of one record. Listeners on this process have run when
   * this resolves, and other processes' transport (Redis) has taken the message or given up (logged);
   * it never rejects, because the change it announces is committed already.
   */
  invalidate(message: CacheInvalidation): Promise<void>;
  onInvalidate(listener: (message: CacheInvalidation) => void): () => void;
}

export interface TaskChangeMessage {
  workspaceId: string;
  taskId: string;
  status: TaskStatus;
  version: number;
}

/** What a cache may hold; each cache listens for its own topic. */
export type CacheTopic = 'api_key';

/** "Record `id` of `topic` in `workspaceId` changed: forget it." Carries no data, so it cannot leak any. */
export interface CacheInvalidation {
  topic: CacheTopic;
  workspaceId: string;
  id: string;
}
