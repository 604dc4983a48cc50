import type { ClosedTaskFacts, Rollup, RollupCube, RollupKey } from './rollup.js';

/** How far the analytics job has folded: the last task folded, in (closedAt, id) order. */
export interface Watermark {
  closedAt: number;
  taskId: string;
  /** When a run last finished; the page shows now minus this as the lag. */
  foldedAt: number;
}

/** What the reports read: rollups of one workspace between two UTC days, optionally of one queue or agent. */
export interface RollupFilter {
  /** The table of rollups the report reads (rollup.ts RollupCube). */
  cube: RollupCube;
  fromDay: string;
  toDay: string;
  queue?: string;
  agentId?: string;
}

/** Whether the drift test last found an agent changed: what makes agent.drift_detected go out once per change. */
export interface DriftState {
  agentId: string;
  drifted: boolean;
  changedAt: number;
}

/** Open tasks of one queue by age, one count per BACKLOG_AGE_EDGES_MS bucket (the last is open-ended). */
export interface BacklogCounts {
  queue: string;
  counts: number[];
}

export interface AnalyticsRepository {
  readWatermark(): Promise<Watermark | null>;
  /**
   * Moves the watermark from `expected` (null: none yet) to `next`, compare-and-set: false when another
   * run moved it first, so its caller must roll back. Called before the rollups are written, it also
   * takes the row lock that keeps two runs from merging into the same rollups at once.
   */
  advanceWatermark(expected: Watermark | null, next: Watermark): Promise<boolean>;
  /** Marks a run that found nothing to fold, so the lag stays honest. */
  touchWatermark(foldedAt: number): Promise<void>;
  /** Tasks closed after `after` and at or before `closedUpTo`, in (closedAt, id) order. */
  closedTasksAfter(after: Watermark | null, closedUpTo: number, limit: number): Promise<ClosedTaskFacts[]>;
  findRollups(keys: readonly RollupKey[]): Promise<Rollup[]>;
  /** Writes each rollup whole: an insert for a new key, an update for a known one. */
  saveRollups(rollups: readonly { rollup: Rollup; exists: boolean }[], now: number): Promise<void>;
  listRollups(workspaceId: string, filter: RollupFilter): Promise<Rollup[]>;
  /** Workspaces with rollups on or after `fromDay`, or with an agent still marked drifted. */
  listDriftWorkspaces(fromDay: string): Promise<string[]>;
  listDriftStates(workspaceId: string): Promise<DriftState[]>;
  /**
   * Compare-and-set: moves the agent's drift state to `drifted` from the other value (an agent with no
   * row counts as not drifted); false when it was already there, because another run moved it first.
   */
  markDrift(workspaceId: string, agentId: string, drifted: boolean, now: number): Promise<boolean>;
  /**
   * The current backlog: open tasks per queue counted by age at `now`, bucketed by `edgesMs` (upper
   * edges, ascending). A grouped count over the open tasks, not a rollup: it is a state, not a history.
   */
  backlogByAge(
    workspaceId: string,
    filter: { queue?: string; agentId?: string },
    now: number,
    edgesMs: readonly number[],
  ): Promise<BacklogCounts[]>;
}
