import { type Actor, type EscalationStep, isFinalStatus, type QueueConfig } from '@loopgate/shared';
import type { HaltRecord } from '../halts/halt-ports.js';
import { describeHalt, haltOver } from '../halts/halts.js';
import type { EmailMessage, Notifier } from '../kernel/notifier.js';
import type { DecisionRecord, TaskRecord, TaskTransition } from '../tasks/task-record.js';
import type { TaskChangeDeps } from '../tasks/task-transition.js';
import { commitChange, type PlannedChange, workflowOf } from '../tasks/task-transition.js';
import type { DueTask } from './approval-ports.js';
import { resolveQueue } from './queue-config.js';
import { nextSweepAt } from './routing-policy.js';
import { POLICY_ACTOR, pickAssignee } from './workflow.js';

export const SWEEPER_ACTOR: Actor = { type: 'system', id: null, name: 'sla-sweeper' };

export interface SweeperDeps extends TaskChangeDeps {
  notifier?: Notifier;
  /** Where a failed e-mail is reported (null: the review mail); the step itself stays applied. */
  onNotifyError?: (error: unknown, message: EmailMessage | null) => void;
  /** Base URL for links in reminder e-mails. */
  publicUrl?: string;
  /**
   * Review mail (reviewers/review-mail `offerReviewLinks`): called after each committed step with the
   * task as changed, before the step's own notice. It mails links to whoever the task is now offered to
   * and lacks live ones (the new group after a reassign; anyone whose links died at the deadline) and
   * says whom links were mailed since `since` (by it or a review mailer that heard of the same step)
   * and whom review mail covers. Nobody gets a notice on top of the review mail
   * this step sent them, and a reminder leaves out everyone review mail covers: they hold live links
   * (or have used theirs), so a reminder would only re-mail them.
   */
  offerReviewLinks?: (task: TaskRecord, since: number) => Promise<{ mailed: string[]; covered: string[] }>;
}

export interface SweepResult {
  /** Due rows read. */
  due: number;
  /** Steps this process applied (escalations plus timeouts). */
  applied: number;
  /** Steps another process (or a reviewer) got to first. */
  lost: number;
}

/** A planned step, and the mail that announces it once committed (built from the task as changed). */
type Planned = PlannedChange & {
  notify: ((after: TaskRecord) => Promise<EmailMessage | null>) | null;
};

/**
 * One sweep: every open task whose next deadline step is due gets exactly that one step — the next
 * escalation (reminder, reassign, raise priority) or, after the chain, the queue's timeout action.
 * Due rows come from the `next_sweep_at` index, so the cost follows the due rows, not the open ones.
 * Each step is a compare-and-set on the task's version with its event in the same transaction: of
 * any number of processes sweeping at once, and any reviewer deciding at the same moment, exactly
 * one change wins; the losers re-read nothing and move on (the next sweep sees the new state).
 * E-mails go out after the commit, by the winner only.
 */
export async function sweepOnce(
  deps: SweeperDeps,
  options: { limit?: number; concurrency?: number } = {},
): Promise<SweepResult> {
  const now = deps.clock();
  const due = await deps.store.read.sweep.due(now, options.limit ?? 500);
  const configs = new Map<string, Promise<QueueConfig>>();
  const configOf = (task: TaskRecord) => {
    const key = `${task.workspaceId}\u0000${task.queue}`;
    let config = configs.get(key);
    if (!config) {
      config = resolveQueue(deps.store.read, task.workspaceId, task.queue).then((queue) => queue.config);
      configs.set(key, config);
    }
    return config;
  };
  const result: SweepResult = { due: due.length, applied: 0, lost: 0 };
  // A few tasks at a time: their transactions share SQLite's group commit (one fsync for several
  // steps) and use several MySQL connections, so a burst of breaches drains faster than one by one.
  let next = 0;
  const worker = async () => {
    while (next < due.length) {
      const row = due[next++] as DueTask;
      const outcome = await sweepTask(deps, row, now, configOf);
      if (outcome === 'applied') result.applied++;
      else if (outcome === 'lost') result.lost++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, due.length) }, worker));
  return result;
}

async function sweepTask(
  deps: SweeperDeps,
  row: DueTask,
  now: number,
  configOf: (task: TaskRecord) => Promise<QueueConfig>,
): Promise<'applied' | 'lost' | 'skipped'> {
  const task = await deps.store.read.tasks.findById(row.workspaceId, row.id);
  if (!task) return 'skipped';
  if (isFinalStatus(task.status)) {
    await deps.store.transaction((tx) => tx.sweep.forget(task.id));
    return 'skipped';
  }
  const flow = workflowOf(task);
  // Another process applied this step between our index read and this row read.
  if (flow.nextSweepAt === null || flow.nextSweepAt > now) return 'lost';
  const config = await configOf(task);
  const step = config.escalation[flow.escalationStep];
  const planned = step
    ? await planEscalation(deps, task, config, step, now)
    : planTimeout(task, config, now, config.timeoutAction === 'approve' ? await haltOver(deps.store.read, task) : null);

  const after = await commitChange(deps, task, planned);
  if (!after) return 'lost';
  const offered =
    deps.offerReviewLinks && planned.notify
      ? await deps.offerReviewLinks(after, now).catch((error: unknown) => {
          deps.onNotifyError?.(error, null);
          return { mailed: [], covered: [] };
        })
      : { mailed: [], covered: [] };
  const skip = new Set(step?.action === 'reminder' ? [...offered.mailed, ...offered.covered] : offered.mailed);
  if (planned.notify && deps.notifier) {
    const message = await planned.notify(after).catch(() => null);
    if (message) message.to = message.to.filter((email) => !skip.has(email.toLowerCase()));
    if (message && message.to.length > 0) {
      await deps.notifier.send(message).catch((error: unknown) => deps.onNotifyError?.(error, message));
    }
  }
  return 'applied';
}

async function recipients(deps: SweeperDeps, task: TaskRecord, groupName: string | null): Promise<string[]> {
  const flow = workflowOf(task);
  const emails = new Set<string>();
  const group = groupName ? await deps.store.read.reviewerGroups.findByName(task.workspaceId, groupName) : null;
  for (const member of group?.members ?? []) {
    // A claimed task reminds its claimer only; otherwise the whole group it is offered to.
    if (flow.claimed && flow.assignee && !(member.type === flow.assignee.type && member.id === flow.assignee.id)) {
      continue;
    }
    if (member.email) emails.add(member.email);
  }
  return [...emails];
}

function taskLink(deps: SweeperDeps, task: TaskRecord): string {
  return `${(deps.publicUrl ?? '').replace(/\/+$/, '')}/tasks/${task.id}`;
}

async function planEscalation(
  deps: SweeperDeps,
  task: TaskRecord,
  config: QueueConfig,
  step: EscalationStep,
  now: number,
): Promise<Planned> {
  const flow = workflowOf(task);
  const index = flow.escalationStep;
  const workflow: TaskTransition['workflow'] = {
    escalationStep: index + 1,
    nextSweepAt: nextSweepAt(config, task.dueAt, index + 1),
  };
  let reason: string;
  let notify: Planned['notify'] = null;
  const due = task.dueAt === null ? 'its deadline' : new Date(task.dueAt).toISOString();
  switch (step.action) {
    case 'reminder':
      reason = `Reminder: task is due ${due}`;
      notify = async () => ({
        to: await recipients(deps, task, flow.assignedGroup),
        subject: `[Loopgate] Reminder: "${task.title}" needs a decision`,
        text: `The task "${task.title}" in queue ${task.queue} is due ${due} and is still waiting for a decision.\n\n${taskLink(deps, task)}\n`,
      });
      break;
    case 'reassign': {
      const group = step.group ?? flow.assignedGroup;
      workflow.assignedGroup = group;
      workflow.assignee = await pickAssignee(deps.store.read, task.workspaceId, group);
      workflow.claimed = false;
      workflow.escalated = true;
      reason = `Reassigned to the ${group} group after the deadline step`;
      notify = async (after) => ({
        to: await recipients(deps, after, group),
        subject: `[Loopgate] Escalated to you: "${task.title}"`,
        text: `The task "${task.title}" in queue ${task.queue} was not decided in time and is now assigned to the ${group} group.\n\n${taskLink(deps, task)}\n`,
      });
      break;
    }
    case 'raise_priority':
      workflow.priority = flow.priority + 1;
      workflow.escalated = true;
      reason = `Priority raised to ${flow.priority + 1}; moved to Escalated`;
      notify = async () => ({
        to: await recipients(deps, task, flow.assignedGroup),
        subject: `[Loopgate] Escalated: "${task.title}"`,
        text: `The task "${task.title}" in queue ${task.queue} is overdue and has been escalated.\n\n${taskLink(deps, task)}\n`,
      });
      break;
  }
  return {
    change: { status: task.status, updatedAt: now, workflow },
    event: {
      type: 'escalated',
      fromStatus: task.status,
      toStatus: task.status,
      actor: SWEEPER_ACTOR,
      reason,
      data: {
        step: step.action,
        index,
        ...(workflow.assignedGroup !== undefined ? { group: workflow.assignedGroup } : {}),
        ...(workflow.priority !== undefined ? { priority: workflow.priority } : {}),
      },
      createdAt: now,
    },
    notify,
  };
}

/**
 * The end of the chain: `expired` (the default, fail-closed) or, only when an admin set it, approval by
 * policy. While a halt covers the task, the approval is withheld: the task stays with its reviewers
 * (marked escalated, with no further deadline step), so nothing is approved automatically; after the
 * resume it waits for a person like any open task.
 */
function planTimeout(task: TaskRecord, config: QueueConfig, now: number, halt: HaltRecord | null): Planned {
  if (config.timeoutAction === 'approve' && halt) {
    return {
      change: { status: task.status, updatedAt: now, workflow: { nextSweepAt: null, escalated: true } },
      event: {
        type: 'escalated',
        fromStatus: task.status,
        toStatus: task.status,
        actor: SWEEPER_ACTOR,
        reason: `Timeout auto-approval withheld, left for people to decide: ${describeHalt(halt)}`,
        data: { step: 'timeout', withheld: 'halted', haltId: halt.id },
        createdAt: now,
      },
      notify: null,
    };
  }
  if (config.timeoutAction === 'approve') {
    const actor: Actor = { ...POLICY_ACTOR, name: 'timeout' };
    const decision: DecisionRecord = {
      action: 'approve',
      comment: 'Auto-approved: no decision before the deadline (queue timeout action)',
      modifiedPayload: null,
      diff: null,
      reasonCode: null,
      response: null,
      decidedBy: actor,
      decidedAt: now,
    };
    return {
      change: { status: 'approved', updatedAt: now, closedAt: now, decision },
      event: {
        type: 'decided',
        fromStatus: task.status,
        toStatus: 'approved',
        actor,
        reason: decision.comment,
        data: { action: 'approve', timeout: true },
        createdAt: now,
      },
      notify: null,
    };
  }
  return {
    change: { status: 'expired', updatedAt: now, closedAt: now },
    event: {
      type: 'expired',
      fromStatus: task.status,
      toStatus: 'expired',
      actor: SWEEPER_ACTOR,
      reason: 'No decision before the deadline',
      data: { dueAt: task.dueAt === null ? null : new Date(task.dueAt).toISOString() },
      createdAt: now,
    },
    notify: null,
  };
}
