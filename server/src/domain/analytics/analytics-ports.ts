import type { ClosedTaskFacts, Rollup, RollupKey } from './rollup.js';

/** How far the analytics job has folded: the last task folded, in (closedAt, id) order. */
export interface Watermark {
  closedAt: number;
  taskId: string;
  /** When a run last finished; the page shows now minus this as the lag. */
  foldedAt: number;
}

/** What the reports read: rollups of one workspace between two UTC days, optionally of one queue or agent. */
export interface RollupFilter {
  fromDay: string;
  toDay: string;
  queue?: string;
  agentId?: string;
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
}
