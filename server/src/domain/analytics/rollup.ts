import type { Actor, TaskStatus } from '@loopgate/shared';
import { OPEN_STAGES, type OpenStage } from './stage-times.js';

/**
 * One analytics rollup: what the tasks of one workspace, UTC day and slice came to. The job folds
 * each closed task into the rollup of the day it closed, once; the reports add rollups up. Counts
 * are additive, and so are the histograms, which is what lets medians be read off rollups instead
 * of off every task.
 */
/**
 * Which of the two tables of rollups a row belongs to. Every report reads one of them, and each keeps
 * only the slices its reports group or filter by, so a report reads as few rows as the question allows
 * (one table keyed by every slice at once came to ~270 rows a day and 850 ms for a 90-day report):
 * - `work`: queue, source, agent, agent version — the SLA, agents, drift and ROI reports; reviewer ''.
 * - `reviewers`: queue, agent, reviewer — the reviewer report; source and agent version '', and only
 *   tasks a person decided.
 * A task is folded into both (its counts are added to one row of each), so the two add up alike.
 */
export type RollupCube = 'work' | 'reviewers';

export interface RollupKey {
  cube: RollupCube;
  workspaceId: string;
  /** `YYYY-MM-DD`, UTC, of the day the task closed. */
  day: string;
  queue: string;
  source: string;
  /** '' when the task named no agent. */
  agentId: string;
  agentVersion: string;
  /** The person or key that decided; '' for policy, timeout and sweeper outcomes and cancellations. */
  reviewerId: string;
}

export interface RollupCounts {
  /** Tasks closed. */
  tasks: number;
  /** Approved by the routing policy at creation (no human saw them). */
  autoApproved: number;
  /** Human decisions, by action. */
  approved: number;
  modified: number;
  rejected: number;
  /** Timed out: the sweeper expired them, or the queue's timeout action approved them. */
  expired: number;
  cancelled: number;
  /** Tasks routed to people that had a deadline; of those, decided by it, and not. */
  slaTasks: number;
  withinSla: number;
  breached: number;
  /** Tasks at least one escalation step was applied to. */
  escalated: number;
  /** Human decisions faster than the rubber-stamp threshold (seconds per KB of payload). */
  fastDecisions: number;
  /** Reviewer handling time, summed (see handlingMs). */
  handlingMs: number;
  /** Characters of the stored diff of modified decisions, summed: the mean edit size. */
  editChars: number;
  /** Human decisions by time from offered (created) to decided, one count per TIME_BUCKETS_MS bucket. */
  offeredHistogram: number[];
  /** The same from the first claim to the decision, for claimed tasks. */
  claimedHistogram: number[];
  /** Human decisions by confidence: per 0.1 bucket, [decided, approved unchanged, rejected]. */
  confidenceBuckets: [number, number, number][];
  /**
   * Time tasks spent in each open board stage (stage-times.ts), one TIME_BUCKETS_MS histogram per
   * stage in OPEN_STAGES order, counting the tasks that passed through it.
   */
  stageHistograms: number[][];
}

export interface Rollup extends RollupKey, RollupCounts {
  reviewerName: string;
}

/**
 * Upper edges of the time-to-decision buckets, in ms; the last bucket is open. Roughly logarithmic,
 * from seconds (rubber stamps) to a week, so a median is known to within its bucket and a reading
 * inside one is interpolated.
 */
export const TIME_BUCKETS_MS: readonly number[] = [
  10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000, 28_800_000,
  86_400_000, 172_800_000, 604_800_000,
];
/** One more bucket than edges: everything slower than the last edge. */
export const TIME_BUCKET_COUNT = TIME_BUCKETS_MS.length + 1;
export const CONFIDENCE_BUCKET_COUNT = 10;
/**
 * A decision open this long was not being worked on all that time: handling time is capped here, so a
 * task left overnight does not count as eight hours of someone's work.
 */
export const HANDLING_CAP_MS = 30 * 60_000;

export function emptyCounts(): RollupCounts {
  return {
    tasks: 0,
    autoApproved: 0,
    approved: 0,
    modified: 0,
    rejected: 0,
    expired: 0,
    cancelled: 0,
    slaTasks: 0,
    withinSla: 0,
    breached: 0,
    escalated: 0,
    fastDecisions: 0,
    handlingMs: 0,
    editChars: 0,
    offeredHistogram: new Array(TIME_BUCKET_COUNT).fill(0),
    claimedHistogram: new Array(TIME_BUCKET_COUNT).fill(0),
    confidenceBuckets: Array.from({ length: CONFIDENCE_BUCKET_COUNT }, () => [0, 0, 0] as [number, number, number]),
    stageHistograms: emptyStageHistograms(),
  };
}

export function emptyStageHistograms(): number[][] {
  return OPEN_STAGES.map(() => new Array(TIME_BUCKET_COUNT).fill(0));
}

/** `into` plus `more`, as a new value (neither is changed). */
export function addCounts(into: RollupCounts, more: RollupCounts): RollupCounts {
  const sum = (a: number[], b: number[]) => a.map((value, index) => value + (b[index] ?? 0));
  return {
    tasks: into.tasks + more.tasks,
    autoApproved: into.autoApproved + more.autoApproved,
    approved: into.approved + more.approved,
    modified: into.modified + more.modified,
    rejected: into.rejected + more.rejected,
    expired: into.expired + more.expired,
    cancelled: into.cancelled + more.cancelled,
    slaTasks: into.slaTasks + more.slaTasks,
    withinSla: into.withinSla + more.withinSla,
    breached: into.breached + more.breached,
    escalated: into.escalated + more.escalated,
    fastDecisions: into.fastDecisions + more.fastDecisions,
    handlingMs: into.handlingMs + more.handlingMs,
    editChars: into.editChars + more.editChars,
    offeredHistogram: sum(into.offeredHistogram, more.offeredHistogram),
    claimedHistogram: sum(into.claimedHistogram, more.claimedHistogram),
    confidenceBuckets: into.confidenceBuckets.map(
      (bucket, index) =>
        bucket.map((value, part) => value + (more.confidenceBuckets[index]?.[part] ?? 0)) as [number, number, number],
    ),
    stageHistograms: into.stageHistograms.map((histogram, index) => sum(histogram, more.stageHistograms[index] ?? [])),
  };
}

/**
 * Adds `more` to `into` in place and returns `into`: the reports' running sums, where a fresh copy per
 * rollup (addCounts) would allocate some fifty arrays for every rollup read.
 */
export function addCountsInto(into: RollupCounts, more: RollupCounts): RollupCounts {
  into.tasks += more.tasks;
  into.autoApproved += more.autoApproved;
  into.approved += more.approved;
  into.modified += more.modified;
  into.rejected += more.rejected;
  into.expired += more.expired;
  into.cancelled += more.cancelled;
  into.slaTasks += more.slaTasks;
  into.withinSla += more.withinSla;
  into.breached += more.breached;
  into.escalated += more.escalated;
  into.fastDecisions += more.fastDecisions;
  into.handlingMs += more.handlingMs;
  into.editChars += more.editChars;
  for (let index = 0; index < into.offeredHistogram.length; index++) {
    into.offeredHistogram[index] = (into.offeredHistogram[index] ?? 0) + (more.offeredHistogram[index] ?? 0);
  }
  for (let index = 0; index < into.claimedHistogram.length; index++) {
    into.claimedHistogram[index] = (into.claimedHistogram[index] ?? 0) + (more.claimedHistogram[index] ?? 0);
  }
  into.confidenceBuckets.forEach((bucket, index) => {
    const other = more.confidenceBuckets[index];
    if (!other) return;
    bucket[0] += other[0];
    bucket[1] += other[1];
    bucket[2] += other[2];
  });
  into.stageHistograms.forEach((histogram, stage) => {
    const other = more.stageHistograms[stage] ?? [];
    for (let index = 0; index < histogram.length; index++)
      histogram[index] = (histogram[index] ?? 0) + (other[index] ?? 0);
  });
  return into;
}

/** What the job reads of one closed task. */
export interface ClosedTaskFacts {
  id: string;
  workspaceId: string;
  queue: string;
  source: string;
  agentId: string | null;
  agentVersion: string | null;
  status: TaskStatus;
  confidence: number | null;
  createdAt: number;
  closedAt: number;
  dueAt: number | null;
  decidedAt: number | null;
  decidedBy: Actor | null;
  /** Characters of the payload as stored (its JSON text). */
  payloadChars: number;
  /** Characters of the stored diff; 0 without one. */
  diffChars: number;
  escalated: boolean;
  /** When the task was first claimed; null when it never was. */
  firstClaimedAt: number | null;
  /** Time spent in each board stage it passed through (timeInStages). */
  stageMs: Partial<Record<OpenStage, number>>;
}

export function timeBucket(ms: number): number {
  const index = TIME_BUCKETS_MS.findIndex((edge) => ms <= edge);
  return index === -1 ? TIME_BUCKETS_MS.length : index;
}

export function confidenceBucket(confidence: number): number {
  return Math.min(CONFIDENCE_BUCKET_COUNT - 1, Math.max(0, Math.floor(confidence * CONFIDENCE_BUCKET_COUNT)));
}

export function utcDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

type Outcome = 'auto_approved' | 'approved' | 'modified' | 'rejected' | 'expired' | 'cancelled';

/** Who closed the task and how; a policy actor named `timeout` is the queue's timeout action, not routing. */
function outcomeOf(task: ClosedTaskFacts): Outcome {
  if (task.status === 'expired') return 'expired';
  if (task.status === 'cancelled') return 'cancelled';
  if (task.decidedBy?.type === 'policy' || task.decidedBy?.type === 'system') {
    return task.decidedBy.name === 'timeout' ? 'expired' : 'auto_approved';
  }
  if (task.status === 'approved_with_modifications') return 'modified';
  return task.status === 'rejected' ? 'rejected' : 'approved';
}

export interface FoldOptions {
  /** A decision faster than this many seconds per KB of payload (at least one KB) counts as fast. */
  fastSecondsPerKb: number;
}

/** The rollup slices a closed task belongs to (one per cube it counts in) and what it adds there. */
export function foldTask(
  task: ClosedTaskFacts,
  options: FoldOptions,
): { keys: RollupKey[]; reviewerName: string; counts: RollupCounts } {
  const outcome = outcomeOf(task);
  const human = outcome === 'approved' || outcome === 'modified' || outcome === 'rejected';
  const counts = emptyCounts();
  counts.tasks = 1;
  if (outcome === 'auto_approved') counts.autoApproved = 1;
  if (outcome === 'approved') counts.approved = 1;
  if (outcome === 'modified') counts.modified = 1;
  if (outcome === 'rejected') counts.rejected = 1;
  if (outcome === 'expired') counts.expired = 1;
  if (outcome === 'cancelled') counts.cancelled = 1;
  // The SLA counts tasks people had to answer by a deadline; cancelled ones were taken back, not missed.
  if (task.dueAt !== null && (human || outcome === 'expired')) {
    counts.slaTasks = 1;
    const answeredInTime = human && task.decidedAt !== null && task.decidedAt <= task.dueAt;
    if (answeredInTime) counts.withinSla = 1;
    else counts.breached = 1;
  }
  if (task.escalated) counts.escalated = 1;
  if (human && task.decidedAt !== null) {
    const offeredMs = Math.max(0, task.decidedAt - task.createdAt);
    counts.offeredHistogram[timeBucket(offeredMs)] = 1;
    const claimedMs = task.firstClaimedAt === null ? null : Math.max(0, task.decidedAt - task.firstClaimedAt);
    if (claimedMs !== null) counts.claimedHistogram[timeBucket(claimedMs)] = 1;
    const handling = Math.min(HANDLING_CAP_MS, claimedMs ?? offeredMs);
    counts.handlingMs = handling;
    const kb = Math.max(1, task.payloadChars / 1024);
    if (handling < options.fastSecondsPerKb * kb * 1000) counts.fastDecisions = 1;
    if (outcome === 'modified') counts.editChars = task.diffChars;
    if (task.confidence !== null) {
      const bucket = counts.confidenceBuckets[confidenceBucket(task.confidence)];
      if (bucket) {
        bucket[0] = 1;
        if (outcome === 'approved') bucket[1] = 1;
        if (outcome === 'rejected') bucket[2] = 1;
      }
    }
  }
  // Only tasks that waited for people spent time on the board; an auto-approval never showed there.
  if (outcome !== 'auto_approved')
    OPEN_STAGES.forEach((stage, index) => {
      const spent = task.stageMs[stage];
      const histogram = counts.stageHistograms[index];
      if (spent !== undefined && histogram) histogram[timeBucket(spent)] = 1;
    });
  const reviewer = human && task.decidedBy ? task.decidedBy : null;
  const day = utcDay(task.closedAt);
  const agentId = task.agentId ?? '';
  const work: RollupKey = {
    cube: 'work',
    workspaceId: task.workspaceId,
    day,
    queue: task.queue,
    source: task.source,
    agentId,
    agentVersion: task.agentVersion ?? '',
    reviewerId: '',
  };
  const reviewerId = reviewer ? (reviewer.id ?? reviewer.name ?? '') : '';
  const keys: RollupKey[] = [work];
  if (reviewerId !== '') {
    keys.push({
      cube: 'reviewers',
      workspaceId: task.workspaceId,
      day,
      queue: task.queue,
      source: '',
      agentId,
      agentVersion: '',
      reviewerId,
    });
  }
  return { keys, reviewerName: reviewer ? (reviewer.name ?? reviewer.id ?? '') : '', counts };
}

/** A stable string for a key, for grouping in memory and (hashed) as the row id. */
export function keyString(key: RollupKey): string {
  return JSON.stringify([
    key.cube,
    key.workspaceId,
    key.day,
    key.queue,
    key.source,
    key.agentId,
    key.agentVersion,
    key.reviewerId,
  ]);
}
