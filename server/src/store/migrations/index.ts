import { CreateCoreTables1764000000000 } from './1764000000000-create-core-tables.js';
import { CreateApprovalTables1764150000000 } from './1764150000000-create-approval-tables.js';
import { CreateDeliveryTables1764200000000 } from './1764200000000-create-delivery-tables.js';
import { CreateWebTables1764300000000 } from './1764300000000-create-web-tables.js';
import { StoreDecisionDiff1764400000000 } from './1764400000000-store-decision-diff.js';
import { AddHousekeepingIndexes1764500000000 } from './1764500000000-add-housekeeping-indexes.js';
import { CreateInvitations1764600000000 } from './1764600000000-create-invitations.js';
import { InvitationsCarryAddressAndRole1764700000000 } from './1764700000000-invitations-carry-address-and-role.js';
import { CountIntegrationRefusals1764710000000 } from './1764710000000-count-integration-refusals.js';
import { RecordTargetUrlOwners1764720000000 } from './1764720000000-record-target-url-owners.js';
import { AddCallbackAllowlist1764730000000 } from './1764730000000-add-callback-allowlist.js';
import { CreateAuditLog1764740000000 } from './1764740000000-create-audit-log.js';
import { AddApiKeyLifecycle1764741000000 } from './1764741000000-add-api-key-lifecycle.js';
import { TasksCarryForms1764800000000 } from './1764800000000-tasks-carry-forms.js';
import { DecisionsCarryResponseAndReason1764800001000 } from './1764800001000-decisions-carry-response-and-reason.js';
import { AddMailSettings1764802000000 } from './1764802000000-add-mail-settings.js';
import { CreateMailDigest1764802050000 } from './1764802050000-create-mail-digest.js';
import { AddMembershipDeactivation1764811000000 } from './1764811000000-add-membership-deactivation.js';
import { CreateBoardConfigs1764813100000 } from './1764813100000-create-board-configs.js';
import { IndexUrgencyOrder1764813200000 } from './1764813200000-index-urgency-order.js';
import { CreateSavedViews1764813300000 } from './1764813300000-create-saved-views.js';
import { TasksCarryAgent1764820200000 } from './1764820200000-tasks-carry-agent.js';
import { DecisionsCarryPayloadDigest1764820210000 } from './1764820210000-decisions-carry-payload-digest.js';
import { IndexTaskSources1764820300000 } from './1764820300000-index-task-sources.js';
import { ChainAuditLog1764840000000 } from './1764840000000-chain-audit-log.js';
import { CreateHalts1764840100000 } from './1764840100000-create-halts.js';
import { CreateAnalyticsRollups1764840200000 } from './1764840200000-create-analytics-rollups.js';
import { VersionQueueConfigs1764840300000 } from './1764840300000-version-queue-configs.js';
import { CreateAuditCheckpoints1764840400000 } from './1764840400000-create-audit-checkpoints.js';
import { TasksCarryPayloadErasure1764840410000 } from './1764840410000-tasks-carry-payload-erasure.js';
import { TrackAgentDriftAndStageTimes1764840500000 } from './1764840500000-track-agent-drift-and-stage-times.js';
import { ClusterAuditLogBySeq1764840600000 } from './1764840600000-cluster-audit-log-by-seq.js';
import { SplitAnalyticsRollupsByReport1764840700000 } from './1764840700000-split-analytics-rollups-by-report.js';
import { TasksCarryClassification1764850000100 } from './1764850000100-tasks-carry-classification.js';
import { AllowExternalReviewers1764850000200 } from './1764850000200-allow-external-reviewers.js';
import { CreateStandingGrants1764850000300 } from './1764850000300-create-standing-grants.js';

/** Every migration, oldest first. Listed explicitly so the compiled and the test builds find the same set. */
export const MIGRATIONS = [
  CreateCoreTables1764000000000,
  CreateApprovalTables1764150000000,
  CreateDeliveryTables1764200000000,
  CreateWebTables1764300000000,
  StoreDecisionDiff1764400000000,
  AddHousekeepingIndexes1764500000000,
  CreateInvitations1764600000000,
  InvitationsCarryAddressAndRole1764700000000,
  CountIntegrationRefusals1764710000000,
  RecordTargetUrlOwners1764720000000,
  AddCallbackAllowlist1764730000000,
  CreateAuditLog1764740000000,
  AddApiKeyLifecycle1764741000000,
  TasksCarryForms1764800000000,
  DecisionsCarryResponseAndReason1764800001000,
  AddMailSettings1764802000000,
  CreateMailDigest1764802050000,
  AddMembershipDeactivation1764811000000,
  CreateBoardConfigs1764813100000,
  IndexUrgencyOrder1764813200000,
  CreateSavedViews1764813300000,
  TasksCarryAgent1764820200000,
  DecisionsCarryPayloadDigest1764820210000,
  IndexTaskSources1764820300000,
  ChainAuditLog1764840000000,
  CreateHalts1764840100000,
  CreateAnalyticsRollups1764840200000,
  VersionQueueConfigs1764840300000,
  CreateAuditCheckpoints1764840400000,
  TasksCarryPayloadErasure1764840410000,
  TrackAgentDriftAndStageTimes1764840500000,
  ClusterAuditLogBySeq1764840600000,
  SplitAnalyticsRollupsByReport1764840700000,
  TasksCarryClassification1764850000100,
  AllowExternalReviewers1764850000200,
  CreateStandingGrants1764850000300,
];
