import type { Actor, TaskStatus } from '@loopgate/shared';
import type { Store } from '../domain/store.js';
import { DEFAULT_WORKFLOW, type JsonValue } from '../domain/tasks/task-record.js';
import { taskRecord } from './task-records.js';

export const POLICY: Actor = { type: 'policy', id: null, name: 'routing policy' };

/** A closed task as analytics sees it: when it was created, claimed, closed, and by whom. */
export interface ClosedTaskSeed {
  id: string;
  workspaceId: string;
  queue?: string;
  source?: string;
  agent?: { id: string; version?: string };
  createdAt: number;
  closedAt: number;
  status: Extract<TaskStatus, 'approved' | 'approved_with_modifications' | 'rejected' | 'expired' | 'cancelled'>;
  /** Who decided (approved/modified/rejected); POLICY for an auto-approval. */
  by?: Actor;
  dueAt?: number | null;
  confidence?: number | null;
  claimedAt?: number;
  diff?: string;
  escalated?: boolean;
  payload?: JsonValue;
  /** Board moves besides the claim (votes, releases, escalations), appended as task events. */
  moves?: SeededMove[];
}

/** A task event that moves a card on the board (see domain/analytics/stage-times.ts). */
export interface SeededMove {
  type: 'claimed' | 'released' | 'vote' | 'level_approved' | 'escalated';
  at: number;
  toStatus?: TaskStatus;
  data?: JsonValue;
}

/** An open task, for the backlog: where it waits and since when. */
export interface OpenTaskSeed {
  id: string;
  workspaceId: string;
  queue?: string;
  createdAt: number;
  status?: Extract<TaskStatus, 'pending_review' | 'in_review'>;
  agent?: { id: string; version?: string };
}

export async function seedOpenTasks(store: Store, seeds: readonly OpenTaskSeed[]): Promise<void> {
  await store.transaction(async (tx) => {
    for (const seed of seeds) {
      await tx.tasks.insert(
        taskRecord(seed.workspaceId, seed.id, seed.createdAt, {
          queue: seed.queue ?? 'default',
          status: seed.status ?? 'pending_review',
          agent: seed.agent
            ? { id: seed.agent.id, name: null, version: seed.agent.version ?? null, model: null }
            : null,
        }),
      );
    }
  });
}

/**
 * Writes closed tasks through the repositories, the way the application leaves them: inserted open,
 * then moved to their final status compare-and-set with their decision, with a `claimed` event when
 * they were claimed.
 */
export async function seedClosedTasks(store: Store, seeds: readonly ClosedTaskSeed[]): Promise<void> {
  await store.transaction(async (tx) => {
    for (const seed of seeds) {
      const action =
        seed.status === 'approved' ? 'approve' : seed.status === 'rejected' ? 'reject' : 'approve_with_modifications';
      await tx.tasks.insert(
        taskRecord(seed.workspaceId, seed.id, seed.createdAt, {
          queue: seed.queue ?? 'default',
          source: seed.source ?? 'api',
          agent: seed.agent
            ? { id: seed.agent.id, name: null, version: seed.agent.version ?? null, model: null }
            : null,
          dueAt: seed.dueAt ?? null,
          confidence: seed.confidence ?? null,
          payload: seed.payload ?? { id: seed.id },
          workflow: { ...DEFAULT_WORKFLOW, escalated: seed.escalated ?? false, nextSweepAt: seed.dueAt ?? null },
        }),
      );
      if (seed.claimedAt !== undefined) {
        await tx.taskEvents.append({
          id: `evt_${seed.id}_claimed`,
          workspaceId: seed.workspaceId,
          taskId: seed.id,
          type: 'claimed',
          fromStatus: 'pending_review',
          toStatus: 'in_review',
          actor: seed.by ?? POLICY,
          reason: null,
          data: null,
          createdAt: seed.claimedAt,
        });
      }
      for (const [index, move] of (seed.moves ?? []).entries()) {
        await tx.taskEvents.append({
          id: `evt_${seed.id}_move_${index}`,
          workspaceId: seed.workspaceId,
          taskId: seed.id,
          type: move.type,
          fromStatus: null,
          toStatus: move.toStatus ?? 'pending_review',
          actor: seed.by ?? POLICY,
          reason: null,
          data: move.data ?? null,
          createdAt: move.at,
        });
      }
      const decided = seed.status !== 'expired' && seed.status !== 'cancelled';
      const won = await tx.tasks.transition(
        seed.workspaceId,
        seed.id,
        { status: 'pending_review', version: 1 },
        {
          status: seed.status,
          updatedAt: seed.closedAt,
          closedAt: seed.closedAt,
          ...(decided
            ? {
                decision: {
                  action,
                  comment: null,
                  modifiedPayload: seed.status === 'approved_with_modifications' ? { changed: true } : null,
                  diff: seed.diff ?? null,
                  reasonCode: null,
                  response: null,
                  payloadDigest: null,
                  decidedBy: seed.by ?? POLICY,
                  decidedAt: seed.closedAt,
                },
              }
            : {}),
        },
      );
      if (!won) throw new Error(`could not close seeded task ${seed.id}`);
    }
  });
}

/**
 * `count` tasks of one agent closed a minute after `at`, the first `routed` decided by `by` (a person),
 * the rest auto-approved: an intervention rate of routed / count, for the drift test.
 */
export function agentTasks(options: {
  workspaceId: string;
  agentId: string;
  prefix: string;
  at: number;
  count: number;
  routed: number;
  by: Actor;
}): ClosedTaskSeed[] {
  return Array.from({ length: options.count }, (_, index) => ({
    id: `tsk_${options.prefix}_${String(index).padStart(2, '0')}`,
    workspaceId: options.workspaceId,
    queue: 'agents',
    agent: { id: options.agentId, version: '1.0' },
    createdAt: options.at,
    closedAt: options.at + 60_000,
    status: 'approved' as const,
    by: index < options.routed ? options.by : POLICY,
  }));
}
