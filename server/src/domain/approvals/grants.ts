import {
  type Actor,
  type Grant,
  type GrantRequest,
  grantSettingsOf,
  payloadDigest,
  type QueueConfig,
} from '@loopgate/shared';
import { currentRequestId } from '../audit/audit-context.js';
import { auditActorOf, recordAudit } from '../audit/record-audit.js';
import { authorize, type Principal } from '../kernel/access.js';
import { AppError, notFound } from '../kernel/errors.js';
import { newId } from '../kernel/ids.js';
import { iso, isoOrNull } from '../kernel/iso-time.js';
import type { Repositories, Store } from '../store.js';
import type { TaskRecord } from '../tasks/task-record.js';
import type { GrantProbe, GrantRecord } from './grant-ports.js';
import { resolveQueue } from './queue-config.js';
import { sameActor } from './workflow.js';

/**
 * Standing approvals, against approval fatigue: a reviewer approves a task "and the same for the
 * next N hours", scoped to the same agent in the same queue and either the identical payload or the
 * same title. A later task that the queue would send to a single reviewer and that matches an active
 * grant is approved by the grant in its creating transaction — recorded, audited and delivered like
 * a policy auto-approval, with the grant as its actor — unless a halt covers it. A grant only stands
 * in for one reviewer's decision: it is given by a vote that decides a task alone, and it never
 * approves a task the policy sends to more than one level.
 */

const HOUR_MS = 3_600_000;

/** A grant acting: a policy-type actor (automated, like the routing policy) whose id is the grant's. */
export function grantActor(grant: Pick<GrantRecord, 'id'>): Actor {
  return { type: 'policy', id: grant.id, name: 'standing-approval' };
}

/** Whether `actor` is a grant (see grantActor): what the task page asks of a decision's decidedBy. */
export function grantIdOf(actor: Actor): string | null {
  return actor.type === 'policy' && actor.name === 'standing-approval' && actor.id?.startsWith('grt_')
    ? actor.id
    : null;
}

export function isGrantActive(grant: GrantRecord, now: number): boolean {
  return grant.revokedAt === null && grant.expiresAt > now;
}

export function toGrantView(grant: GrantRecord, now: number): Grant {
  return {
    id: grant.id,
    queue: grant.queue,
    agentId: grant.agentId,
    scope: grant.scope,
    payloadDigest: grant.payloadDigest,
    title: grant.title,
    createdBy: { ...grant.createdBy },
    fromTaskId: grant.fromTaskId,
    createdAt: iso(grant.createdAt),
    expiresAt: iso(grant.expiresAt),
    revokedAt: isoOrNull(grant.revokedAt),
    revokedBy: grant.revokedBy === null ? null : { ...grant.revokedBy },
    revokeReason: grant.revokeReason,
    uses: grant.uses,
    active: isGrantActive(grant, now),
  };
}

/** A title's match key: the same canonical digest payloads get, so both keys are 64 hex characters. */
function titleKey(title: string): Promise<string> {
  return payloadDigest(title);
}

/** What a task offers to match: its queue, agent, payload digest and title digest; null without an agent. */
export async function grantProbeOf(task: Pick<TaskRecord, 'queue' | 'agent' | 'payload' | 'title'>) {
  if (!task.agent) return null;
  const probe: GrantProbe = {
    queue: task.queue,
    agentId: task.agent.id,
    keys: { payload: await payloadDigest(task.payload), title: await titleKey(task.title) },
  };
  return probe;
}

/**
 * Why this task, in this queue, cannot carry a grant, before any vote is counted; null when it can.
 * Shared by the decision (which throws it) and the task page (which shows it beside the option).
 */
export function grantRefusal(
  task: Pick<TaskRecord, 'queue' | 'agent' | 'responseForm'>,
  config: QueueConfig,
): AppError | null {
  if (!grantSettingsOf(config).allowed) {
    return new AppError('grant_refused', `Queue "${task.queue}" does not allow standing approvals`);
  }
  if (!task.agent) {
    return new AppError(
      'grant_refused',
      'This task names no agent, and a standing approval is scoped to the agent that asked (agent.id on create)',
    );
  }
  // Its answers are about this one task; a grant could only approve later ones without any.
  if (task.responseForm !== null) {
    return new AppError(
      'grant_refused',
      'This task asks the reviewer for answers (responseForm), which a standing approval cannot give',
    );
  }
  return null;
}

/**
 * Plans the grant an approval asks for, or refuses it (nothing of the decision is written then):
 * the queue must allow grants, the task must name its agent, `hours` must be within the queue's
 * maxHours, and this vote must decide the task on its own (`decidesAlone`).
 */
export async function planGrant(
  task: TaskRecord,
  config: QueueConfig,
  request: GrantRequest,
  principal: Principal,
  decidesAlone: boolean,
  now: number,
): Promise<GrantRecord> {
  const refusal = grantRefusal(task, config);
  if (refusal) throw refusal;
  const { maxHours } = grantSettingsOf(config);
  if (request.hours > maxHours) {
    const message = `At most ${maxHours} hours in queue "${task.queue}"`;
    throw new AppError('validation_failed', `grant.hours: ${message}`, [{ path: 'grant.hours', message }]);
  }
  if (!decidesAlone) {
    throw new AppError(
      'grant_refused',
      'This approval does not decide the task on its own (more votes or levels are needed), so it cannot approve later tasks either',
    );
  }
  const probe = (await grantProbeOf(task)) as GrantProbe;
  return {
    id: newId('grant', now),
    workspaceId: task.workspaceId,
    queue: task.queue,
    agentId: probe.agentId,
    scope: request.scope,
    matchKey: probe.keys[request.scope],
    payloadDigest: request.scope === 'payload' ? probe.keys.payload : null,
    title: request.scope === 'title' ? task.title : null,
    fromTaskId: task.id,
    createdBy: principal.actor,
    createdAt: now,
    expiresAt: now + request.hours * HOUR_MS,
    revokedBy: null,
    revokedAt: null,
    revokeReason: null,
    uses: 0,
  };
}

/** Stores a planned grant and its ledger entry, in the approving vote's transaction. */
export async function storeGrant(tx: Repositories, grant: GrantRecord, principal: Principal): Promise<void> {
  await tx.grants.insert(grant);
  await recordAudit(tx, {
    workspaceId: grant.workspaceId,
    at: grant.createdAt,
    actor: auditActorOf(principal),
    action: 'grant.created',
    target: { type: 'grant', id: grant.id },
    data: {
      queue: grant.queue,
      agentId: grant.agentId,
      scope: grant.scope,
      matchKey: grant.matchKey,
      fromTaskId: grant.fromTaskId,
      expiresAt: iso(grant.expiresAt),
    },
    requestId: currentRequestId(),
  });
}

/** The active grant that approves `task`, if the queue still allows grants and one matches. */
export async function matchingGrant(
  read: Pick<Repositories, 'grants'>,
  task: TaskRecord,
  config: QueueConfig,
  now: number,
): Promise<GrantRecord | null> {
  // A task that asks for answers wants a person's: no grant stands in for one.
  if (!grantSettingsOf(config).allowed || task.responseForm !== null) return null;
  const probe = await grantProbeOf(task);
  return probe ? read.grants.findMatch(task.workspaceId, probe, now) : null;
}

function actorName(actor: Actor): string {
  return actor.name ?? actor.id ?? actor.type;
}

/** The routing reason of a task a grant approved: which grant, whose, until when. */
export function grantReason(grant: GrantRecord): string {
  return `Approved by the standing approval ${grant.id} from ${actorName(grant.createdBy)} until ${iso(grant.expiresAt)}`;
}

/** The grant counts a use, and the ledger says which task it approved; false when it ended meanwhile. */
export async function useGrant(tx: Repositories, grant: GrantRecord, taskId: string, now: number): Promise<boolean> {
  if (!(await tx.grants.recordUse(grant.workspaceId, grant.id, now))) return false;
  await recordAudit(tx, {
    workspaceId: grant.workspaceId,
    at: now,
    actor: { ...grantActor(grant), role: null },
    action: 'grant.used',
    target: { type: 'grant', id: grant.id },
    data: { taskId, grantedBy: { ...grant.createdBy } },
    requestId: currentRequestId(),
  });
  return true;
}

export interface GrantDeps {
  store: Store;
  clock: () => number;
}

/** Every grant of the workspace, active ones first: what `GET /grants` and the settings page show. */
export async function listGrants(deps: GrantDeps, principal: Principal): Promise<GrantRecord[]> {
  authorize(principal, 'task:read');
  return deps.store.read.grants.list(principal.workspaceId, deps.clock(), 200);
}

/** Grants given by approving one task, for its page. */
export async function grantsFromTask(deps: GrantDeps, principal: Principal, taskId: string): Promise<GrantRecord[]> {
  authorize(principal, 'task:read');
  return deps.store.read.grants.listFromTask(principal.workspaceId, taskId);
}

/** Who may end a grant: an admin, or the reviewer who gave it. */
export function mayRevokeGrant(principal: Principal, grant: GrantRecord): boolean {
  return principal.role === 'admin' || (principal.role === 'reviewer' && sameActor(principal.actor, grant.createdBy));
}

/**
 * Ends a grant now: a compare-and-set, so of two revocations one wins and one entry is written; the
 * other gets 409. An expired grant can still be revoked (it says so in the ledger), which is harmless.
 */
export async function revokeGrant(
  deps: GrantDeps,
  principal: Principal,
  id: string,
  reason: string | null,
): Promise<GrantRecord> {
  authorize(principal, 'task:decide');
  const now = deps.clock();
  const { workspaceId } = principal;
  return deps.store.transaction(async (tx) => {
    const grant = await tx.grants.findById(workspaceId, id);
    if (!grant) throw notFound(`Grant ${id}`);
    if (!mayRevokeGrant(principal, grant)) {
      throw new AppError('forbidden', 'Only an admin or the reviewer who gave a standing approval may revoke it');
    }
    if (!(await tx.grants.revoke(workspaceId, id, principal.actor, now, reason))) {
      throw new AppError('conflict', `Grant ${id} was revoked already`);
    }
    await recordAudit(tx, {
      workspaceId,
      at: now,
      actor: auditActorOf(principal),
      action: 'grant.revoked',
      target: { type: 'grant', id },
      data: { reason, uses: grant.uses, expiresAt: iso(grant.expiresAt), fromTaskId: grant.fromTaskId },
      requestId: currentRequestId(),
    });
    return { ...grant, revokedBy: principal.actor, revokedAt: now, revokeReason: reason };
  });
}

/**
 * What the approve form may offer for `task`: the queue's limit and, when none can be given, why —
 * the same rules planGrant applies, asked before the vote (no votes yet; one level of one vote).
 */
export async function grantOptionFor(
  deps: { store: Store },
  task: TaskRecord,
): Promise<{ disabledReason: string | null; maxHours: number }> {
  const [{ config }, votes] = await Promise.all([
    resolveQueue(deps.store.read, task.workspaceId, task.queue),
    deps.store.read.votes.listForTask(task.workspaceId, task.id),
  ]);
  const { maxHours } = grantSettingsOf(config);
  const refusal = grantRefusal(task, config);
  if (refusal) return { disabledReason: refusal.message, maxHours };
  const flow = task.workflow;
  const oneVote = votes.length === 0 && (flow?.levels ?? 1) <= 1 && (config.levels[0]?.quorum ?? 1) === 1;
  const disabledReason = oneVote
    ? null
    : 'This task needs more than one approval, so one approval cannot stand for later tasks';
  return { disabledReason, maxHours };
}
