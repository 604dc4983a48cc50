import type { Task, TaskEvent, TaskWorkflow } from '@loopgate/shared';
import { viewTargetUrl } from '../delivery/target-url.js';
import type { Principal } from '../kernel/access.js';
import { iso, isoOrNull } from '../kernel/iso-time.js';
import { DEFAULT_WORKFLOW, type TaskEventRecord, type TaskRecord } from './task-record.js';

/**
 * The task as the API shows it to `viewer` (a principal, or 'webhook' for delivery payloads). The
 * stored decision keeps the original payload next to the modified one.
 */
export function toTaskView(task: TaskRecord, viewer: Principal | 'webhook'): Task {
  return {
    id: task.id,
    queue: task.queue,
    title: task.title,
    description: task.description,
    payload: task.payload,
    context: task.context,
    confidence: task.confidence,
    riskLevel: task.riskLevel,
    tags: task.tags,
    source: task.source,
    externalRef: task.externalRef,
    agent: task.agent,
    // Usually an n8n resume URL or a Zapier callback URL: whoever holds it can resume the automation.
    callbackUrl: task.callbackUrl === null ? null : viewTargetUrl(viewer, task.callbackUrl, task.createdBy),
    hasCallback: task.callbackUrl !== null,
    status: task.status,
    dueAt: isoOrNull(task.dueAt),
    createdAt: iso(task.createdAt),
    updatedAt: iso(task.updatedAt),
    closedAt: isoOrNull(task.closedAt),
    createdBy: task.createdBy,
    form: task.form,
    responseForm: task.responseForm,
    decision: task.decision
      ? {
          action: task.decision.action,
          comment: task.decision.comment,
          originalPayload: task.payload,
          modifiedPayload: task.decision.modifiedPayload,
          diff: task.decision.diff,
          reasonCode: task.decision.reasonCode,
          response: task.decision.response,
          payloadDigest: task.decision.payloadDigest ?? null,
          decidedBy: task.decision.decidedBy,
          decidedAt: iso(task.decision.decidedAt),
        }
      : null,
    version: task.version,
    workflow: toWorkflowView(task),
    payloadErasure: task.payloadErasure
      ? { erasedAt: iso(task.payloadErasure.erasedAt), shownDigest: task.payloadErasure.shownDigest }
      : null,
    classification: task.classification ?? null,
  };
}

function toWorkflowView(task: TaskRecord): TaskWorkflow {
  const flow = task.workflow ?? { ...DEFAULT_WORKFLOW, nextSweepAt: task.dueAt };
  return {
    routingRule: flow.routingRule,
    routingReason: flow.routingReason,
    level: flow.level,
    levels: flow.levels,
    priority: flow.priority,
    escalated: flow.escalated,
    escalationStep: flow.escalationStep,
    assignedGroup: flow.assignedGroup,
    assignee: flow.assignee,
    claimed: flow.claimed,
  };
}

export function toTaskEventView(event: TaskEventRecord): TaskEvent {
  return {
    id: event.id,
    taskId: event.taskId,
    type: event.type,
    fromStatus: event.fromStatus,
    toStatus: event.toStatus,
    actor: event.actor,
    reason: event.reason,
    data: event.data,
    createdAt: iso(event.createdAt),
  };
}
