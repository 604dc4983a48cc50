import type { Principal } from '../kernel/access.js';
import { authorize } from '../kernel/access.js';
import type { TaskRecord, TaskWorkflowRecord } from '../tasks/task-record.js';
import {
  changeOpenTask,
  type EventFields,
  type Plan,
  type TaskChangeDeps,
  workflowOf,
} from '../tasks/task-transition.js';
import { resolveQueue } from './queue-config.js';
import { type ActingPrincipal, actionTask, claimRefusal, escalateRefusal, releaseRefusal } from './task-actions.js';
import { decidingGroups, membershipsOf, sameActor } from './workflow.js';

type WorkflowMove =
  | { kind: 'unchanged' }
  | {
      kind: 'change';
      workflow: Partial<TaskWorkflowRecord>;
      event: Omit<EventFields, 'fromStatus' | 'toStatus' | 'createdAt'>;
    };

/**
 * A change to where an open task stands (claim, release, escalate) without a decision: planned on
 * a fresh read, committed through the task transition module, re-planned when someone else changed
 * the task in between, refused once the task is closed.
 */
async function moveOpenTask(
  deps: TaskChangeDeps,
  principal: Principal,
  id: string,
  plan: (task: TaskRecord, flow: TaskWorkflowRecord) => Promise<WorkflowMove>,
): Promise<TaskRecord> {
  authorize(principal, 'task:decide');
  return changeOpenTask(deps, principal.workspaceId, id, async (task, now): Promise<Plan> => {
    const move = await plan(task, workflowOf(task));
    if (move.kind === 'unchanged') return 'unchanged';
    return {
      change: { status: task.status, updatedAt: now, workflow: move.workflow },
      event: { ...move.event, fromStatus: task.status, toStatus: task.status, createdAt: now },
    };
  });
}

/** Release and escalate ask nothing of groups or votes. */
function withoutGroups(principal: Principal): ActingPrincipal {
  return { principal, memberOf: () => false, voted: () => false };
}

/**
 * A reviewer takes a task: it is assigned to them and marked claimed, with a compare-and-set so of
 * two reviewers claiming at once exactly one wins (the other gets `task_claimed`).
 */
export async function claimTask(deps: TaskChangeDeps, principal: Principal, id: string): Promise<TaskRecord> {
  return moveOpenTask(deps, principal, id, async (task, flow) => {
    if (flow.claimed && flow.assignee && sameActor(flow.assignee, principal.actor)) return { kind: 'unchanged' };
    const { config } = await resolveQueue(deps.store.read, task.workspaceId, task.queue);
    const facts = actionTask(task);
    const [memberOf, votes] = await Promise.all([
      membershipsOf(deps.store.read, principal, decidingGroups(config, facts)),
      deps.store.read.votes.listForTask(task.workspaceId, task.id),
    ]);
    const actor: ActingPrincipal = {
      principal,
      memberOf,
      voted: () => votes.some((vote) => sameActor(vote.actor, principal.actor)),
    };
    const problem = claimRefusal(actor, facts, config);
    if (problem) throw problem;
    return {
      kind: 'change',
      workflow: { assignee: principal.actor, claimed: true },
      event: { type: 'claimed', actor: principal.actor, reason: null, data: { level: flow.level } },
    };
  });
}

/**
 * The claimer (or an admin) hands a claimed task back to its group: it is offered to the group
 * again and stays assigned to nobody in particular until someone claims it.
 */
export async function releaseTask(deps: TaskChangeDeps, principal: Principal, id: string): Promise<TaskRecord> {
  return moveOpenTask(deps, principal, id, async (task, flow) => {
    if (!flow.claimed) return { kind: 'unchanged' };
    const problem = releaseRefusal(withoutGroups(principal), actionTask(task));
    if (problem) throw problem;
    const own = flow.assignee !== null && sameActor(flow.assignee, principal.actor);
    return {
      kind: 'change',
      workflow: { assignee: null, claimed: false },
      event: {
        type: 'released',
        actor: principal.actor,
        reason: own ? null : `Released from ${flow.assignee?.name ?? flow.assignee?.id ?? 'its claimer'} by an admin`,
        data: { level: flow.level },
      },
    };
  });
}

/**
 * A reviewer raises a task by hand before its deadline does: priority up one and onto the Escalated
 * column, as the sweeper's raise_priority step would; the SLA chain itself carries on unchanged.
 */
export async function escalateTask(
  deps: TaskChangeDeps,
  principal: Principal,
  id: string,
  reason: string | undefined,
): Promise<TaskRecord> {
  return moveOpenTask(deps, principal, id, async (task, flow) => {
    if (flow.escalated) return { kind: 'unchanged' };
    const problem = escalateRefusal(withoutGroups(principal), actionTask(task));
    if (problem) throw problem;
    return {
      kind: 'change',
      workflow: { escalated: true, priority: flow.priority + 1 },
      event: {
        type: 'escalated',
        actor: principal.actor,
        reason: reason ?? `Escalated by hand; priority raised to ${flow.priority + 1}`,
        data: { step: 'manual', priority: flow.priority + 1 },
      },
    };
  });
}
