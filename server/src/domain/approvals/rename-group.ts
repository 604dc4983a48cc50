import { type QueueConfig, slugSchema } from '@loopgate/shared';
import { auditActorOf, recordAudit } from '../audit/record-audit.js';
import { authorize, type Principal } from '../kernel/access.js';
import { AppError, notFound } from '../kernel/errors.js';
import type { Store } from '../store.js';
import type { ReviewerGroupRecord } from './approval-ports.js';

/**
 * The config with every reference to group `from` (the groups it is offered to, each level's
 * deciding group, each escalation step's reassign target) naming `to` instead; null when it names
 * `from` nowhere.
 */
export function renameGroupInConfig(config: QueueConfig, from: string, to: string): QueueConfig | null {
  let changed = false;
  const swap = <T extends string | null | undefined>(name: T): T => {
    if (name !== from) return name;
    changed = true;
    return to as T;
  };
  const renamed: QueueConfig = {
    ...config,
    reviewerGroups: config.reviewerGroups.map(swap),
    levels: config.levels.map((level) => ({ ...level, group: swap(level.group) })),
    escalation: config.escalation.map((step) =>
      step.group === undefined ? step : { ...step, group: swap(step.group) },
    ),
  };
  return changed ? renamed : null;
}

export interface GroupRenamed {
  group: ReviewerGroupRecord;
  /** The queues whose config named the group, now naming it by the new name. */
  queues: string[];
  /** Open tasks whose stored assigned group was the old name. */
  tasks: number;
}

/**
 * Renames a reviewer group. Queues and open tasks refer to groups by name, so in the same
 * transaction every queue config naming it is rewritten (a config change like any other: its
 * updated time moves) and every open task assigned to it follows; nothing ever sees the group
 * under its new name while a queue still routes to the old one. One audit entry says what moved.
 */
export async function renameReviewerGroup(
  deps: { store: Store; clock: () => number },
  principal: Principal,
  from: string,
  to: string,
  requestId: string | null = null,
): Promise<GroupRenamed> {
  authorize(principal, 'workspace:admin');
  const name = to.trim();
  if (!slugSchema.safeParse(name).success) {
    throw new AppError(
      'validation_failed',
      'Group names use lower-case letters, digits and dashes (e.g. "compliance" or "tier-2")',
      [{ path: 'name', message: 'lower-case letters, digits, "-" and "_", at most 64' }],
    );
  }
  const now = deps.clock();
  const workspaceId = principal.workspaceId;
  return deps.store.transaction(async (tx) => {
    const group = await tx.reviewerGroups.findByName(workspaceId, from);
    if (!group) throw notFound(`Reviewer group "${from}"`);
    if (name === from) return { group, queues: [], tasks: 0 };
    if (!(await tx.reviewerGroups.rename(workspaceId, group.id, name))) {
      throw new AppError('conflict', `Reviewer group "${name}" already exists`, [{ path: 'name', message: 'taken' }]);
    }
    const queues: string[] = [];
    // Each rewritten config is the queue's next version; the entry says which, so every version that
    // ever routed a task is accounted for in the ledger.
    const queueVersions: { [queue: string]: number } = {};
    for (const queue of await tx.queues.list(workspaceId)) {
      const config = renameGroupInConfig(queue.config, from, name);
      if (!config) continue;
      if (!(await tx.queues.update(workspaceId, queue.name, config, now, queue.version))) {
        throw new AppError('conflict', `Queue "${queue.name}" was changed meanwhile; try the rename again`);
      }
      queues.push(queue.name);
      queueVersions[queue.name] = queue.version + 1;
    }
    const tasks = await tx.tasks.renameAssignedGroup(workspaceId, from, name, now);
    await recordAudit(tx, {
      workspaceId,
      at: now,
      actor: auditActorOf(principal),
      action: 'reviewer_group.renamed',
      target: { type: 'reviewer_group', id: group.id },
      data: { from, to: name, queues, queueVersions, openTasks: tasks },
      requestId,
    });
    return { group: { ...group, name }, queues, tasks };
  });
}
