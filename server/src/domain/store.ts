import type { ApiKeyRepository, UserRepository, WorkspaceRepository } from './admin/admin-ports.js';
import type { AnalyticsRepository } from './analytics/analytics-ports.js';
import type {
  PolicyHistoryRepository,
  QueueRepository,
  ReviewerGroupRepository,
  SweepRepository,
  VoteRepository,
} from './approvals/approval-ports.js';
import type { GrantRepository } from './approvals/grant-ports.js';
import type { AuditRepository } from './audit/audit-ports.js';
import type { AuditCheckpointRepository } from './audit/checkpoint-ports.js';
import type {
  DeliveryRepository,
  DeliverySettingsRepository,
  SlackRepository,
  WebhookSubscriptionRepository,
} from './delivery/delivery-ports.js';
import type { HaltRepository } from './halts/halt-ports.js';
import type { InvitationRepository } from './reviewers/invitation-ports.js';
import type {
  BoardConfigRepository,
  BoardRepository,
  MailDigestRepository,
  MemberRepository,
  ReviewLinkRepository,
  SavedViewRepository,
  SessionRepository,
  TaskReviewerRepository,
} from './reviewers/reviewer-ports.js';
import type { IdempotencyRepository, TaskEventRepository, TaskRepository } from './tasks/task-ports.js';

export interface Repositories {
  tasks: TaskRepository;
  taskEvents: TaskEventRepository;
  workspaces: WorkspaceRepository;
  users: UserRepository;
  apiKeys: ApiKeyRepository;
  audit: AuditRepository;
  auditCheckpoints: AuditCheckpointRepository;
  analytics: AnalyticsRepository;
  idempotency: IdempotencyRepository;
  webhooks: WebhookSubscriptionRepository;
  deliveries: DeliveryRepository;
  deliverySettings: DeliverySettingsRepository;
  slack: SlackRepository;
  queues: QueueRepository;
  policyHistory: PolicyHistoryRepository;
  reviewerGroups: ReviewerGroupRepository;
  votes: VoteRepository;
  sweep: SweepRepository;
  sessions: SessionRepository;
  reviewLinks: ReviewLinkRepository;
  mailDigest: MailDigestRepository;
  members: MemberRepository;
  board: BoardRepository;
  boardConfigs: BoardConfigRepository;
  taskReviewers: TaskReviewerRepository;
  invitations: InvitationRepository;
  savedViews: SavedViewRepository;
  halts: HaltRepository;
  grants: GrantRepository;
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

/** What a cache may hold; each cache listens for its own topic. */
export type CacheTopic = 'api_key';

/** "Record `id` of `topic` in `workspaceId` changed: forget it." Carries no data, so it cannot leak any. */
export interface CacheInvalidation {
  topic: CacheTopic;
  workspaceId: string;
  id: string;
}
