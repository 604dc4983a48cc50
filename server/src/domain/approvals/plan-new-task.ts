import type { Store } from '../store.js';
import {
  DEFAULT_WORKFLOW,
  type DecisionRecord,
  type TaskRecord,
  type TaskWorkflowRecord,
} from '../tasks/task-record.js';
import type { PlannedChange } from '../tasks/task-transition.js';
import type { GrantRecord } from './grant-ports.js';
import { grantActor, grantReason, matchingGrant } from './grants.js';
import { requireQueue } from './queue-config.js';
import { routeTask } from './route-task.js';
import { nextSweepAt, queueDueAt, type RoutingOutcome } from './routing-policy.js';
import { POLICY_ACTOR, pickAssignee } from './workflow.js';

export interface PlannedTask {
  task: TaskRecord;
  routing: RoutingOutcome;
  /** The version of the queue config that routed it (0: the built-in default config). */
  queueVersion: number;
  /** Set when the policy (or a grant) auto-approves: the change that closes the task in its creating transaction. */
  autoApproval: PlannedChange | null;
  /** The standing approval that approves it, whose use the creating transaction must still win (see useGrant). */
  grant: GrantRecord | null;
}

export interface PlanOptions {
  /** false: route by the policy alone, e.g. after the matched grant ended before its use committed. */
  grants?: boolean;
}

/**
 * Applies the queue's classification and routing policy to a task about to be created (routeTask):
 * the raised risk level and what the detectors found, the winning rule and reason,
 * the approval levels it needs, its deadline (its own, else the queue's SLA), the first assignee,
 * and, for auto-approval, the decision by the policy actor — recorded exactly like a human one.
 */
export async function planNewTask(
  deps: { store: Store },
  task: TaskRecord,
  now: number,
  options: PlanOptions = {},
): Promise<PlannedTask> {
  const { config, version: queueVersion } = await requireQueue(deps.store.read, task.workspaceId, task.queue);
  // The stored riskLevel is the effective one (raised by classification), so the board, filters and
  // SLA all see it; the agent's own stays in classification.raisedFrom.
  const { routing: policy, classification, riskLevel } = routeTask(config, task);
  // A standing approval stands in for one reviewer: it approves only what the policy sends to a
  // single level of one vote, never a task the policy wants more eyes on.
  const singleVote = policy.outcome === 'review' && policy.levels === 1 && (config.levels[0]?.quorum ?? 1) === 1;
  const grant = singleVote && options.grants !== false ? await matchingGrant(deps.store.read, task, config, now) : null;
  const routing: RoutingOutcome = grant
    ? { ...policy, outcome: 'auto_approve', rule: 'grant', reason: grantReason(grant), levels: 0 }
    : policy;
  const dueAt = task.dueAt ?? queueDueAt(config, riskLevel, now);
  const firstGroup = config.levels[0]?.group ?? config.reviewerGroups[0] ?? null;
  const review = routing.outcome === 'review';
  const workflow: TaskWorkflowRecord = {
    ...DEFAULT_WORKFLOW,
    routingRule: routing.rule,
    routingReason: routing.reason,
    levels: routing.levels,
    nextSweepAt: review ? nextSweepAt(config, dueAt, 0) : null,
    assignedGroup: review ? firstGroup : null,
    assignee: review ? await pickAssignee(deps.store.read, task.workspaceId, firstGroup) : null,
  };
  const planned: TaskRecord = { ...task, riskLevel, classification, dueAt, workflow };
  if (review) return { task: planned, routing, queueVersion, autoApproval: null, grant: null };
  const actor = grant ? grantActor(grant) : POLICY_ACTOR;

  const decision: DecisionRecord = {
    action: 'approve',
    comment: routing.reason,
    modifiedPayload: null,
    diff: null,
    reasonCode: null,
    response: null,
    decidedBy: actor,
    decidedAt: now,
  };
  return {
    task: planned,
    routing,
    queueVersion,
    autoApproval: {
      change: { status: 'approved', updatedAt: now, closedAt: now, decision },
      event: {
        type: 'decided',
        fromStatus: planned.status,
        toStatus: 'approved',
        actor,
        reason: routing.reason,
        // A grant's approval names the grant and the reviewer who gave it.
        data: grant
          ? {
              action: 'approve',
              rule: routing.rule,
              queueVersion,
              grantId: grant.id,
              grantedBy: { ...grant.createdBy },
              grantFromTaskId: grant.fromTaskId,
            }
          : { action: 'approve', rule: routing.rule, queueVersion },
        createdAt: now,
      },
    },
    grant,
  };
}
