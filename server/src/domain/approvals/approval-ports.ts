import type { Actor, DecisionAction, FormResponse, QueueConfig, TaskClassification } from '@loopgate/shared';
import type { JsonValue } from '../tasks/task-record.js';
import type { RoutableTask } from './routing-policy.js';

/** Storage for queues, reviewer groups, votes and the SLA sweeper's due list. */

export interface QueueRecord {
  id: string;
  workspaceId: string;
  name: string;
  config: QueueConfig;
  createdAt: number;
  updatedAt: number;
  /**
   * 1 when created, +1 on every change of its config (an admin's, or a group rename rewriting it):
   * a task's `created` event names the version that routed it, and the ledger's `queue.*` entries
   * say what each version was.
   */
  version: number;
}

export interface QueueRepository {
  /** False when the workspace already has a queue of that name. */
  insert(queue: QueueRecord): Promise<boolean>;
  /**
   * Replaces the config and moves the version on by one. With `expectedVersion`, a compare-and-set:
   * false when the queue is at another version by now (as when there is no such queue).
   */
  update(
    workspaceId: string,
    name: string,
    config: QueueConfig,
    now: number,
    expectedVersion?: number,
  ): Promise<boolean>;
  findByName(workspaceId: string, name: string): Promise<QueueRecord | null>;
  list(workspaceId: string): Promise<QueueRecord[]>;
  /** Open tasks per queue, and how many of them are past their deadline at `now` (one query). */
  openCounts(workspaceId: string, now: number): Promise<QueueOpenCounts[]>;
  /** Per queue, how long each task a human decided since `since` took from creation to decision, in ms (one query). */
  decisionTimes(workspaceId: string, since: number): Promise<{ queue: string; tookMs: number }[]>;
}

export interface QueueOpenCounts {
  queue: string;
  open: number;
  breached: number;
}

export type GroupMemberType = 'user' | 'api_key';

export interface GroupMember {
  type: GroupMemberType;
  id: string;
  /** Users only: where reminders go. */
  email: string | null;
  name: string | null;
}

export interface ReviewerGroupRecord {
  id: string;
  workspaceId: string;
  name: string;
  createdAt: number;
  /** In the order they were added; assignment ties go to the earlier member. */
  members: GroupMember[];
}

export interface ReviewerGroupRepository {
  /** False when the workspace already has a group of that name. */
  insert(group: Omit<ReviewerGroupRecord, 'members'>): Promise<boolean>;
  findByName(workspaceId: string, name: string): Promise<ReviewerGroupRecord | null>;
  list(workspaceId: string): Promise<ReviewerGroupRecord[]>;
  replaceMembers(groupId: string, members: GroupMember[], now: number): Promise<void>;
  /** Gives the group another name; false when the workspace has a group of that name already. */
  rename(workspaceId: string, groupId: string, name: string): Promise<boolean>;
  /** A user id, user e-mail or API key id, if it names a member of this workspace. */
  resolveMember(workspaceId: string, ref: string): Promise<GroupMember | null>;
}

export interface VoteRecord {
  taskId: string;
  workspaceId: string;
  level: number;
  action: DecisionAction;
  comment: string | null;
  modifiedPayload: JsonValue | null;
  /** reject: the reason's code. */
  reasonCode: string | null;
  /** An approval: the answers to the task's responseForm. */
  response: FormResponse | null;
  actor: Actor;
  createdAt: number;
}

export interface VoteRepository {
  /** False when this actor has already voted on the task (one person, one vote per task). */
  insert(vote: VoteRecord): Promise<boolean>;
  listForTask(workspaceId: string, taskId: string): Promise<VoteRecord[]>;
  /** Which of `taskIds` `actor` has voted on (one read for a whole board). */
  votedOn(workspaceId: string, actor: Actor, taskIds: readonly string[]): Promise<Set<string>>;
}

export interface DueTask {
  id: string;
  workspaceId: string;
  nextSweepAt: number;
}

export interface SweepRepository {
  /** Open tasks whose next deadline step is due, oldest deadline first; read through idx_tasks_next_sweep. */
  due(now: number, limit: number): Promise<DueTask[]>;
  /** Stops visiting a task that is already final (e.g. closed by code that did not clear its deadline). */
  forget(id: string): Promise<void>;
  /**
   * A queue's escalation chain or timeout changed: every open task of it with a deadline gets its
   * next sweep time recomputed from its dueAt and the step it has reached. `stepOffsetsMs[i]` is
   * step i's offset from dueAt; a task past the last step gets `timeoutOffsetMs`. Returns how many.
   */
  reschedule(workspaceId: string, queue: string, stepOffsetsMs: number[], timeoutOffsetMs: number): Promise<number>;
  /** Open tasks per assignee id, for least-loaded assignment. */
  openLoad(workspaceId: string, assigneeIds: string[]): Promise<Map<string, number>>;
}

export function voterKey(actor: Actor): string {
  return `${actor.type}:${actor.id ?? actor.name ?? ''}`;
}

/** A past task as a backtest replays it: what routing read when it was created, and how it ended. */
export interface ReplayTask extends RoutableTask {
  createdAt: number;
  /** Payload retention erased its payload and context: it cannot be replayed. */
  erased: boolean;
  /** What the queue's detectors found when it was created; its riskLevel is the one they raised it to. */
  classification: TaskClassification | null;
  /** The decision as it happened, and who made it; null while open, cancelled, or closed without one. */
  decision: { action: DecisionAction; by: Actor['type'] } | null;
}

/** Where a replay page ended: tasks are read oldest first, ties by id. */
export interface ReplayCursor {
  createdAt: number;
  id: string;
}

export interface PolicyHistoryRepository {
  /**
   * One page of the queue's tasks created in [from, to), oldest first, after `after`: keyset paging
   * over (created_at, id), reading only the columns a replay needs, so 100k tasks stream in pages.
   */
  replayPage(
    workspaceId: string,
    queue: string,
    range: { from: number; to: number },
    limit: number,
    after?: ReplayCursor,
  ): Promise<ReplayTask[]>;
}
