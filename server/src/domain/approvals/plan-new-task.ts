import type { Store } from '../store.js';
import {
  DEFAULT_WORKFLOW,
  type DecisionRecord,
  type TaskRecord,
  type TaskWorkflowRecord,
} from '../tasks/task-record.js';
import type { PlannedChange } from '../tasks/task-transition.js';
import { requireQueue } from './queue-config.js';
import { routeTask } from './route-task.js';
import { nextSweepAt, queueDueAt, type RoutingOutcome } from './routing-policy.js';
import { POLICY_ACTOR, pickAssignee } from './workflow.js';

export interface PlannedTask {
  task: TaskRecord;
  routing: RoutingOutcome;
  /** The version of the queue config that routed it (0: the built-in default config). */
  queueVersion: number;
  /** Set when the policy auto-approves: the change that closes the task in its creating transaction. */
  autoApproval: PlannedChange | null;
}

/**
 * Applies the queue's classification and routing policy to a task about to be created (routeTask):
 * the raised risk level and what the detectors found, the winning rule and reason,
 * the approval levels it needs, its deadline (its own, else the queue's SLA), the first assignee,
 * and, for auto-approval, the decision by the policy actor — recorded exactly like a human one.
 */
export async function planNewTask(deps: { store: Store }, task: TaskRecord, now: number): Promise<PlannedTask> {
  const { config, version: queueVersion } = await requireQueue(deps.store.read, task.workspaceId, task.queue);
  // The stored riskLevel is the effective one (raised by classification), so the board, filters and
  // SLA all see it; the agent's own stays in classification.raisedFrom.
  const { routing, classification, riskLevel } = routeTask(config, task);
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
  if (review) return { task: planned, routing, queueVersion, autoApproval: null };

  const decision: DecisionRecord = {
    action: 'approve',
    comment: routing.reason,
    modifiedPayload: null,
    diff: null,
    reasonCode: null,
    response: null,
    decidedBy: POLICY_ACTOR,
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
        actor: POLICY_ACTOR,
        reason: routing.reason,
        data: { action: 'approve', rule: routing.rule, queueVersion },
        createdAt: now,
      },
    },
  };
}
