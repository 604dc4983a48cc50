import type { CreateTaskInput } from '@loopgate/shared';
import { useGrant } from '../approvals/grants.js';
import { type PlannedTask, planNewTask } from '../approvals/plan-new-task.js';
import { resolveQueue } from '../approvals/queue-config.js';
import { refuseIfHalted } from '../halts/halts.js';
import { authorize, type Principal } from '../kernel/access.js';
import { AppError } from '../kernel/errors.js';
import { newId } from '../kernel/ids.js';
import { sortNamedReviewers } from '../reviewers/external-reviewers.js';
import type { StoredResponse } from './task-ports.js';
import type { JsonValue, TaskRecord } from './task-record.js';
import { publishChange, recordTaskEvent, type TaskChangeDeps, taskEvent, writeChange } from './task-transition.js';
import { toTaskView } from './task-view.js';

export interface CreateTaskDeps extends TaskChangeDeps {
  /** Refuses a callback URL the workspace may not call (e.g. private addresses); throws an AppError. */
  checkCallbackUrl?: (workspaceId: string, url: string) => Promise<void>;
}

export const DEFAULT_QUEUE = 'default';

/** How long an Idempotency-Key claim may stay in flight before another request may take it over. */
export const IDEMPOTENCY_STALE_MS = 60_000;

export interface IdempotencyRequest {
  key: string;
  requestHash: string;
}

export type CreateTaskResult = { kind: 'created'; task: TaskRecord } | { kind: 'replayed'; response: StoredResponse };

/** A replay needs the same key and the same body (callback URL included), so it shows what the creator saw. */
function createdResponse(task: TaskRecord, creator: Principal): StoredResponse {
  return { status: 201, body: JSON.stringify(toTaskView(task, creator)) };
}

/**
 * Stores a new task as the queue's routing policy plans it: for review (its levels, deadline and
 * first assignee), or approved by the policy in the same transaction — an auto-approval is recorded
 * and delivered exactly like a human decision. With an Idempotency-Key, the key is claimed first and
 * the stored response commits with the task, so a retry gets the same answer and never a second task.
 */
export async function createTask(
  deps: CreateTaskDeps,
  principal: Principal,
  input: CreateTaskInput,
  idempotency?: IdempotencyRequest,
): Promise<CreateTaskResult> {
  authorize(principal, 'task:create');
  const now = deps.clock();
  const dueAt = resolveDueAt(input, now);
  const { workspaceId } = principal;
  if (input.callbackUrl !== undefined) await deps.checkCallbackUrl?.(workspaceId, input.callbackUrl);
  const queue = input.queue ?? DEFAULT_QUEUE;
  const source = input.source ?? 'api';
  // Before the Idempotency-Key is claimed: a refused request leaves nothing to release, and its retry
  // after the resume is a first attempt.
  await refuseIfHalted(deps.store.read, { workspaceId, queue, source, agent: input.agent ?? null });
  // Named reviewers who are not members must be on the workspace's external reviewers allowlist, and
  // the queue's first level must take guests' decisions; refused before anything is written.
  if (input.reviewers?.length) {
    await sortNamedReviewers(deps.store.read, workspaceId, input.reviewers, async () => ({
      queue,
      config: (await resolveQueue(deps.store.read, workspaceId, queue)).config,
    }));
  }

  if (idempotency) {
    const claim = await deps.store.transaction((tx) =>
      tx.idempotency.begin(workspaceId, idempotency.key, idempotency.requestHash, now, now - IDEMPOTENCY_STALE_MS),
    );
    if (claim.outcome === 'completed') return { kind: 'replayed', response: claim.response };
    if (claim.outcome === 'in_flight') throw new AppError('idempotency_request_in_flight');
    if (claim.outcome === 'mismatch') {
      throw new AppError(
        'idempotency_key_reused',
        `Idempotency-Key "${idempotency.key}" was first used with a different request body`,
      );
    }
  }

  const draft: TaskRecord = {
    id: newId('task', now),
    workspaceId,
    queue,
    title: input.title,
    description: input.description ?? null,
    payload: input.payload as JsonValue,
    context: (input.context ?? null) as JsonValue | null,
    confidence: input.confidence ?? null,
    riskLevel: input.riskLevel ?? null,
    tags: input.tags ?? [],
    source,
    externalRef: input.externalRef ?? null,
    agent: input.agent
      ? {
          id: input.agent.id,
          name: input.agent.name ?? null,
          version: input.agent.version ?? null,
          model: input.agent.model ?? null,
        }
      : null,
    callbackUrl: input.callbackUrl ?? null,
    status: 'pending_review',
    dueAt,
    createdAt: now,
    updatedAt: now,
    closedAt: null,
    version: 1,
    createdBy: principal.actor,
    form: input.form ?? null,
    responseForm: input.responseForm ?? null,
    decision: null,
  };
  let task: TaskRecord;
  try {
    // Named reviewers are asked by name: a standing approval does not answer for them.
    let plan = await planNewTask(deps, draft, now, { grants: !input.reviewers?.length });
    let written = await writeNewTask(deps, principal, input, plan, now, idempotency);
    if (written === GRANT_ENDED) {
      // The matched grant was revoked (or expired) between the match and its use: route by the policy alone.
      plan = await planNewTask(deps, draft, now, { grants: false });
      written = await writeNewTask(deps, principal, input, plan, now, idempotency);
    }
    if (written === GRANT_ENDED) throw new AppError('internal_error', 'The task could not be routed; try again');
    task = written;
  } catch (error) {
    if (idempotency) await deps.store.transaction((tx) => tx.idempotency.release(workspaceId, idempotency.key));
    throw error;
  }
  publishChange(deps, task);
  return { kind: 'created', task };
}

const GRANT_ENDED = Symbol('grant ended');

/** The creating transaction; GRANT_ENDED (nothing written) when the planned grant ended meanwhile. */
async function writeNewTask(
  deps: CreateTaskDeps,
  principal: Principal,
  input: CreateTaskInput,
  plan: PlannedTask,
  now: number,
  idempotency: IdempotencyRequest | undefined,
): Promise<TaskRecord | typeof GRANT_ENDED> {
  const { task: created, routing, queueVersion, autoApproval, grant } = plan;
  const { workspaceId } = principal;
  const ended = new Error('grant ended');
  try {
    return await deps.store.transaction(async (tx) => {
      // A halt committed since the check above still stops an auto-approval: nothing is approved
      // automatically while a halt covers the task (a grant's approval included).
      if (autoApproval) await refuseIfHalted(tx, created);
      await tx.tasks.insert(created);
      // Named reviewers are asked by e-mail instead of the queue's group (see reviewers/review-mail).
      if (input.reviewers?.length) await tx.taskReviewers.add(workspaceId, created.id, input.reviewers);
      await recordTaskEvent(
        deps,
        tx,
        created,
        taskEvent(created, {
          type: 'created',
          fromStatus: null,
          toStatus: created.status,
          actor: principal.actor,
          reason: routing.reason,
          // queueVersion: which config of the queue routed it, for the ledger (issue 16).
          data: {
            rule: routing.rule,
            outcome: routing.outcome,
            levels: routing.levels,
            queueVersion,
            // Which detectors fired where (never the values), so the ledger says why the risk was raised.
            ...(created.classification ? { classification: created.classification as unknown as JsonValue } : {}),
          },
          createdAt: now,
        }),
      );
      // The grant's use is a compare-and-set too: one revoked since the match rolls all of this back.
      if (grant && !(await useGrant(tx, grant, created.id, now))) throw ended;
      // Nobody else can have seen the row yet, so the auto-approval's compare-and-set cannot lose.
      const final = autoApproval ? await writeChange(deps, tx, created, autoApproval) : created;
      if (input.notifyEscalations) {
        await tx.deliverySettings.setTaskOptions(workspaceId, final.id, { notifyEscalations: true });
      }
      if (idempotency) {
        await tx.idempotency.complete(workspaceId, idempotency.key, createdResponse(final, principal), now);
      }
      return final;
    });
  } catch (error) {
    if (error === ended) return GRANT_ENDED;
    throw error;
  }
}

function resolveDueAt(input: CreateTaskInput, now: number): number | null {
  if (input.slaSeconds !== undefined) return now + input.slaSeconds * 1000;
  if (input.dueAt === undefined) return null;
  const dueAt = Date.parse(input.dueAt);
  if (dueAt <= now) {
    throw new AppError('validation_failed', 'dueAt is in the past', [
      { path: 'dueAt', message: 'must be in the future' },
    ]);
  }
  return dueAt;
}
