import type { Actor, HaltScope } from '@loopgate/shared';

/** One halt: what it stops, who stopped it and when, and (once resumed) who resumed it and when. */
export interface HaltRecord {
  id: string;
  workspaceId: string;
  scope: HaltScope;
  /** The queue name, source or agent id; null for a workspace halt. */
  value: string | null;
  reason: string | null;
  createdBy: Actor;
  createdAt: number;
  resumedBy: Actor | null;
  resumedAt: number | null;
}

/** What a halt stops: a scope and its value (null for the whole workspace). */
export interface HaltTarget {
  scope: HaltScope;
  value: string | null;
}

export interface HaltRepository {
  /** Stores an active halt; false when its target is halted already (one active halt per target). */
  insert(halt: HaltRecord): Promise<boolean>;
  findById(workspaceId: string, id: string): Promise<HaltRecord | null>;
  /** The active halts over any of `targets`, oldest first: one indexed lookup, run on every task creation. */
  findActive(workspaceId: string, targets: readonly HaltTarget[]): Promise<HaltRecord[]>;
  /** Active halts first (oldest first), then the most recently resumed, up to `limit` in all. */
  list(workspaceId: string, limit: number): Promise<HaltRecord[]>;
  /** Compare-and-set: resumes the halt only while it is active; false when it was not. */
  resume(workspaceId: string, id: string, by: Actor, at: number): Promise<boolean>;
}
