import type { BacklogCounts } from './analytics-ports.js';
import { addCountsInto, CONFIDENCE_BUCKET_COUNT, emptyCounts, type Rollup, type RollupCounts } from './rollup.js';
import { OPEN_STAGES, type OpenStage } from './stage-times.js';
import { histogramQuantile, type ProportionTest, rate, twoProportionTest } from './statistics.js';

/**
 * The analytics reports, computed from rollups only: each adds up the rollups of its slice and
 * derives rates, medians and tests from the sums. Pure functions, so a test can check every number
 * against a hand computation.
 */

export type Interval = 'day' | 'week';

/** The period a day belongs to: the day itself, or the Monday (UTC) that starts its ISO week. */
export function periodOf(day: string, interval: Interval): string {
  if (interval === 'day') return day;
  const date = new Date(`${day}T00:00:00Z`);
  const sinceMonday = (date.getUTCDay() + 6) % 7;
  return new Date(date.getTime() - sinceMonday * 86_400_000).toISOString().slice(0, 10);
}

export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** The rollups' counts added up, into one fresh sum: a 90-day report adds tens of thousands of rollups. */
function total(rollups: readonly Rollup[]): RollupCounts {
  const sum = emptyCounts();
  for (const rollup of rollups) addCountsInto(sum, rollup);
  return sum;
}

function groupBy<K extends string>(rollups: readonly Rollup[], keyOf: (rollup: Rollup) => K): Map<K, Rollup[]> {
  const groups = new Map<K, Rollup[]>();
  for (const rollup of rollups) {
    const key = keyOf(rollup);
    const group = groups.get(key);
    if (group) group.push(rollup);
    else groups.set(key, [rollup]);
  }
  return groups;
}

function humanDecisions(counts: RollupCounts): number {
  return counts.approved + counts.modified + counts.rejected;
}

/** Tasks some person had to look at: everything the routing policy did not approve by itself. */
function routedToPeople(counts: RollupCounts): number {
  return counts.tasks - counts.autoApproved;
}

export interface ReviewerStats {
  reviewerId: string;
  reviewerName: string;
  decisions: number;
  approveRate: number | null;
  modifyRate: number | null;
  rejectRate: number | null;
  medianOfferedMs: number | null;
  p90OfferedMs: number | null;
  medianClaimedMs: number | null;
  p90ClaimedMs: number | null;
  fastShare: number | null;
  /** Their decisions that came after the task's deadline. */
  lateDecisions: number;
}

export function reviewersReport(rollups: readonly Rollup[]): { reviewers: ReviewerStats[] } {
  const people = groupBy(
    rollups.filter((rollup) => rollup.reviewerId !== ''),
    (rollup) => rollup.reviewerId,
  );
  const reviewers = [...people.entries()].map(([reviewerId, own]) => {
    const counts = total(own);
    const decisions = humanDecisions(counts);
    return {
      reviewerId,
      reviewerName: own.at(-1)?.reviewerName || reviewerId,
      decisions,
      approveRate: rate(counts.approved, decisions),
      modifyRate: rate(counts.modified, decisions),
      rejectRate: rate(counts.rejected, decisions),
      medianOfferedMs: histogramQuantile(counts.offeredHistogram, 0.5),
      p90OfferedMs: histogramQuantile(counts.offeredHistogram, 0.9),
      medianClaimedMs: histogramQuantile(counts.claimedHistogram, 0.5),
      p90ClaimedMs: histogramQuantile(counts.claimedHistogram, 0.9),
      fastShare: rate(counts.fastDecisions, decisions),
      lateDecisions: counts.breached,
    };
  });
  reviewers.sort((a, b) => b.decisions - a.decisions || a.reviewerId.localeCompare(b.reviewerId));
  return { reviewers };
}

export interface SlaQueueStats {
  queue: string;
  tasksWithSla: number;
  withinSla: number;
  withinSlaShare: number | null;
  breaches: number;
  escalated: number;
  medianDecisionMs: number | null;
  /** Median time tasks closed in the range spent in each board stage; null for a stage none passed through. */
  medianStageMs: Record<OpenStage, number | null>;
  /** How many of them passed through each stage. */
  stageTasks: Record<OpenStage, number>;
}

/** Upper edges of the backlog's age buckets: under 1 h, 1–4 h, 4–24 h, 1–3 days, and older. */
export const BACKLOG_AGE_EDGES_MS: readonly number[] = [3_600_000, 14_400_000, 86_400_000, 259_200_000];
export const BACKLOG_AGE_LABELS = ['< 1 h', '1–4 h', '4–24 h', '1–3 d', '> 3 d'] as const;

export interface BacklogQueue {
  queue: string;
  open: number;
  /** One entry per BACKLOG_AGE_LABELS bucket. */
  byAge: { age: (typeof BACKLOG_AGE_LABELS)[number]; tasks: number }[];
}

export function backlogReport(counts: readonly BacklogCounts[]): BacklogQueue[] {
  return counts
    .map(({ queue, counts: byBucket }) => ({
      queue,
      open: byBucket.reduce((sum, count) => sum + count, 0),
      byAge: BACKLOG_AGE_LABELS.map((age, index) => ({ age, tasks: byBucket[index] ?? 0 })),
    }))
    .sort((a, b) => b.open - a.open || a.queue.localeCompare(b.queue));
}

function byStage<T>(pick: (stage: OpenStage, index: number) => T): Record<OpenStage, T> {
  return Object.fromEntries(OPEN_STAGES.map((stage, index) => [stage, pick(stage, index)])) as Record<OpenStage, T>;
}

export interface SlaPoint {
  period: string;
  tasksWithSla: number;
  withinSlaShare: number | null;
  breaches: number;
}

export function slaReport(
  rollups: readonly Rollup[],
  interval: Interval,
): { queues: SlaQueueStats[]; series: SlaPoint[] } {
  const queues = [...groupBy(rollups, (rollup) => rollup.queue).entries()].map(([queue, own]) => {
    const counts = total(own);
    return {
      queue,
      tasksWithSla: counts.slaTasks,
      withinSla: counts.withinSla,
      withinSlaShare: rate(counts.withinSla, counts.slaTasks),
      breaches: counts.breached,
      escalated: counts.escalated,
      medianDecisionMs: histogramQuantile(counts.offeredHistogram, 0.5),
      medianStageMs: byStage((_, index) => histogramQuantile(counts.stageHistograms[index] ?? [], 0.5)),
      stageTasks: byStage((_, index) => (counts.stageHistograms[index] ?? []).reduce((sum, n) => sum + n, 0)),
    };
  });
  queues.sort((a, b) => b.breaches - a.breaches || a.queue.localeCompare(b.queue));
  const series = [...groupBy(rollups, (rollup) => periodOf(rollup.day, interval)).entries()]
    .map(([period, own]) => {
      const counts = total(own);
      return {
        period,
        tasksWithSla: counts.slaTasks,
        withinSlaShare: rate(counts.withinSla, counts.slaTasks),
        breaches: counts.breached,
      };
    })
    .sort((a, b) => a.period.localeCompare(b.period));
  return { queues, series };
}

export interface AgentRates {
  tasks: number;
  interventionRate: number | null;
  modificationRate: number | null;
  rejectionRate: number | null;
  meanEditChars: number | null;
}

function agentRates(counts: RollupCounts): AgentRates {
  const decided = humanDecisions(counts);
  return {
    tasks: counts.tasks,
    interventionRate: rate(routedToPeople(counts), counts.tasks),
    modificationRate: rate(counts.modified, decided),
    rejectionRate: rate(counts.rejected, decided),
    meanEditChars: counts.modified === 0 ? null : counts.editChars / counts.modified,
  };
}

export interface AgentVersionStats extends AgentRates {
  agentId: string;
  agentVersion: string;
  series: ({ period: string } & AgentRates)[];
}

/** The drift test's settings: the windows, the significance level and the smallest sample it judges. */
export const DRIFT = { recentDays: 7, baselineDays: 28, alpha: 0.01, minTrials: 30 } as const;

export interface DriftMetric {
  metric: 'intervention' | 'modification' | 'rejection';
  test: ProportionTest;
  /** Why the metric was not judged, when it was not. */
  skipped: 'too_few_tasks' | 'no_variance' | null;
  drifted: boolean;
}

export interface AgentDrift {
  agentId: string;
  recent: { from: string; to: string };
  baseline: { from: string; to: string };
  metrics: DriftMetric[];
  drifted: boolean;
}

/**
 * The drift test for one agent, over rollups covering at least the 35 days up to `toDay`: each rate
 * of the last 7 days against the 28 before them, two-proportion z-test, drift when p < 0.01 and both
 * windows hold at least 30 trials.
 */
export function agentDrift(agentId: string, rollups: readonly Rollup[], toDay: string): AgentDrift {
  const recentFrom = addDays(toDay, -(DRIFT.recentDays - 1));
  const baselineTo = addDays(recentFrom, -1);
  const baselineFrom = addDays(baselineTo, -(DRIFT.baselineDays - 1));
  const own = rollups.filter((rollup) => rollup.agentId === agentId);
  const recent = total(own.filter((rollup) => rollup.day >= recentFrom && rollup.day <= toDay));
  const baseline = total(own.filter((rollup) => rollup.day >= baselineFrom && rollup.day <= baselineTo));
  const judge = (
    metric: DriftMetric['metric'],
    pick: (counts: RollupCounts) => { successes: number; trials: number },
  ): DriftMetric => {
    const test = twoProportionTest(pick(recent), pick(baseline));
    const enough = test.recent.trials >= DRIFT.minTrials && test.baseline.trials >= DRIFT.minTrials;
    const skipped = !enough ? 'too_few_tasks' : test.pValue === null ? 'no_variance' : null;
    return { metric, test, skipped, drifted: skipped === null && (test.pValue ?? 1) < DRIFT.alpha };
  };
  const metrics = [
    judge('intervention', (c) => ({ successes: routedToPeople(c), trials: c.tasks })),
    judge('modification', (c) => ({ successes: c.modified, trials: humanDecisions(c) })),
    judge('rejection', (c) => ({ successes: c.rejected, trials: humanDecisions(c) })),
  ];
  return {
    agentId,
    recent: { from: recentFrom, to: toDay },
    baseline: { from: baselineFrom, to: baselineTo },
    metrics,
    drifted: metrics.some((metric) => metric.drifted),
  };
}

export interface CalibrationBucket {
  from: number;
  to: number;
  decided: number;
  approvedUnchanged: number;
  rejected: number;
  unchangedRate: number | null;
}

export interface Calibration {
  buckets: CalibrationBucket[];
  /** The lowest bucket edge above which at least `target` of human-decided tasks were approved unchanged. */
  suggestion: { threshold: number; decided: number; approvedUnchanged: number; rejected: number; text: string } | null;
  target: number;
  minDecisions: number;
}

/**
 * Approval-without-modification by confidence bucket, from tasks people decided (reviewed and
 * sampled alike), and the lowest threshold whose tasks above it met the target: what a queue could
 * auto-approve without losing the errors people catch today.
 */
export function calibration(rollups: readonly Rollup[], target = 0.95, minDecisions = 20): Calibration {
  const counts = total(rollups);
  const buckets = counts.confidenceBuckets.map(([decided, approvedUnchanged, rejected], index) => ({
    from: index / CONFIDENCE_BUCKET_COUNT,
    to: (index + 1) / CONFIDENCE_BUCKET_COUNT,
    decided,
    approvedUnchanged,
    rejected,
    unchangedRate: rate(approvedUnchanged, decided),
  }));
  let suggestion: Calibration['suggestion'] = null;
  for (let index = buckets.length - 1; index >= 0; index--) {
    const above = buckets.slice(index);
    const decided = above.reduce((sum, bucket) => sum + bucket.decided, 0);
    const unchanged = above.reduce((sum, bucket) => sum + bucket.approvedUnchanged, 0);
    const rejected = above.reduce((sum, bucket) => sum + bucket.rejected, 0);
    if (decided === 0) continue;
    if (unchanged / decided < target) break;
    if (decided >= minDecisions) {
      const threshold = index / CONFIDENCE_BUCKET_COUNT;
      suggestion = {
        threshold,
        decided,
        approvedUnchanged: unchanged,
        rejected,
        text: `Auto-approve at confidence ${threshold.toFixed(1)} and above: ${Math.round((unchanged / decided) * 100)} % of such tasks were approved unchanged; ${rejected} of ${decided} were rejected.`,
      };
    }
  }
  return { buckets, suggestion, target, minDecisions };
}

export function agentsReport(
  rollups: readonly Rollup[],
  driftRollups: readonly Rollup[],
  options: { interval: Interval; toDay: string },
): { agents: AgentVersionStats[]; drift: AgentDrift[]; calibration: Calibration } {
  const withAgent = rollups.filter((rollup) => rollup.agentId !== '');
  const agents = [
    ...groupBy(withAgent, (rollup) => JSON.stringify([rollup.agentId, rollup.agentVersion])).values(),
  ].map((own) => {
    const first = own[0] as Rollup;
    const series = [...groupBy(own, (rollup) => periodOf(rollup.day, options.interval)).entries()]
      .map(([period, inPeriod]) => ({ period, ...agentRates(total(inPeriod)) }))
      .sort((a, b) => a.period.localeCompare(b.period));
    return { agentId: first.agentId, agentVersion: first.agentVersion, ...agentRates(total(own)), series };
  });
  agents.sort((a, b) => a.agentId.localeCompare(b.agentId) || a.agentVersion.localeCompare(b.agentVersion));
  const agentIds = [...new Set(driftRollups.filter((r) => r.agentId !== '').map((r) => r.agentId))].sort();
  return {
    agents,
    drift: agentIds.map((agentId) => agentDrift(agentId, driftRollups, options.toDay)),
    calibration: calibration(rollups),
  };
}

export interface RoiNumbers {
  tasks: number;
  autoApprovedShare: number | null;
  reviewerMinutes: number;
  /** null when no cost per reviewer hour is configured. */
  cost: number | null;
  /** Rejections and modifications by people: outputs that would have gone out wrong. */
  errorsCaught: number;
  withinSlaShare: number | null;
}

function roiNumbers(counts: RollupCounts, costPerHour: number | null): RoiNumbers {
  const minutes = counts.handlingMs / 60_000;
  return {
    tasks: counts.tasks,
    autoApprovedShare: rate(counts.autoApproved, counts.tasks),
    reviewerMinutes: minutes,
    cost: costPerHour === null ? null : (minutes / 60) * costPerHour,
    errorsCaught: counts.rejected + counts.modified,
    withinSlaShare: rate(counts.withinSla, counts.slaTasks),
  };
}

export interface ExecutiveSummary {
  current: RoiNumbers;
  /** The same numbers over the period of equal length just before. */
  previous: RoiNumbers;
}

export function roiReport(
  rollups: readonly Rollup[],
  previousRollups: readonly Rollup[],
  options: { interval: Interval; costPerHour: number | null },
): { summary: ExecutiveSummary; series: ({ period: string } & RoiNumbers)[] } {
  const series = [...groupBy(rollups, (rollup) => periodOf(rollup.day, options.interval)).entries()]
    .map(([period, own]) => ({ period, ...roiNumbers(total(own), options.costPerHour) }))
    .sort((a, b) => a.period.localeCompare(b.period));
  return {
    summary: {
      current: roiNumbers(total(rollups), options.costPerHour),
      previous: roiNumbers(total(previousRollups), options.costPerHour),
    },
    series,
  };
}
