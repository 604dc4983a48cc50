import type { Repositories } from '../domain/store.js';
import { SqlApiKeyRepository } from './admin/api-key-repository.js';
import { SqlUserRepository } from './admin/user-repository.js';
import { SqlWorkspaceRepository } from './admin/workspace-repository.js';
import { SqlAnalyticsRepository } from './analytics/analytics-repository.js';
import { SqlGrantRepository } from './approvals/grant-repository.js';
import { SqlPolicyHistoryRepository } from './approvals/policy-history-repository.js';
import { SqlQueueRepository } from './approvals/queue-repository.js';
import { SqlReviewerGroupRepository } from './approvals/reviewer-group-repository.js';
import { SqlSweepRepository } from './approvals/sweep-repository.js';
import { SqlVoteRepository } from './approvals/vote-repository.js';
import { SqlAuditCheckpointRepository } from './audit/audit-checkpoint-repository.js';
import { SqlAuditRepository } from './audit/audit-repository.js';
import { SqlDeliveryRepository } from './delivery/delivery-repository.js';
import { SqlDeliverySettingsRepository } from './delivery/delivery-settings-repository.js';
import { SqlWebhookSubscriptionRepository } from './delivery/webhook-subscription-repository.js';
import { SqlHaltRepository } from './halts/halt-repository.js';
import { SqlBoardConfigRepository } from './reviewers/board-config-repository.js';
import { SqlBoardRepository } from './reviewers/board-repository.js';
import { SqlInvitationRepository } from './reviewers/invitation-repository.js';
import { SqlMailDigestRepository } from './reviewers/mail-digest-repository.js';
import { SqlMemberRepository } from './reviewers/member-repository.js';
import { SqlReviewLinkRepository } from './reviewers/review-link-repository.js';
import { SqlSavedViewRepository } from './reviewers/saved-view-repository.js';
import { SqlSessionRepository } from './reviewers/session-repository.js';
import { SqlTaskReviewerRepository } from './reviewers/task-reviewer-repository.js';
import { SqlSlackRepository } from './slack/slack-repository.js';
import type { Sql } from './sql.js';
import { SqlIdempotencyRepository } from './tasks/idempotency-repository.js';
import { SqlTaskEventRepository } from './tasks/task-event-repository.js';
import { SqlTaskRepository } from './tasks/task-repository.js';

/** Every repository over one Sql: a transaction's, or the committed-data reader's. */
export function createRepositories(sql: Sql): Repositories {
  return {
    tasks: new SqlTaskRepository(sql),
    taskEvents: new SqlTaskEventRepository(sql),
    idempotency: new SqlIdempotencyRepository(sql),
    workspaces: new SqlWorkspaceRepository(sql),
    users: new SqlUserRepository(sql),
    apiKeys: new SqlApiKeyRepository(sql),
    audit: new SqlAuditRepository(sql),
    auditCheckpoints: new SqlAuditCheckpointRepository(sql),
    analytics: new SqlAnalyticsRepository(sql),
    queues: new SqlQueueRepository(sql),
    policyHistory: new SqlPolicyHistoryRepository(sql),
    reviewerGroups: new SqlReviewerGroupRepository(sql),
    votes: new SqlVoteRepository(sql),
    sweep: new SqlSweepRepository(sql),
    webhooks: new SqlWebhookSubscriptionRepository(sql),
    deliveries: new SqlDeliveryRepository(sql),
    deliverySettings: new SqlDeliverySettingsRepository(sql),
    slack: new SqlSlackRepository(sql),
    sessions: new SqlSessionRepository(sql),
    reviewLinks: new SqlReviewLinkRepository(sql),
    mailDigest: new SqlMailDigestRepository(sql),
    members: new SqlMemberRepository(sql),
    taskReviewers: new SqlTaskReviewerRepository(sql),
    board: new SqlBoardRepository(sql),
    boardConfigs: new SqlBoardConfigRepository(sql),
    invitations: new SqlInvitationRepository(sql),
    savedViews: new SqlSavedViewRepository(sql),
    halts: new SqlHaltRepository(sql),
    grants: new SqlGrantRepository(sql),
  };
}
