import type { Router } from 'express';
import { analyticsQuerySchema, resolveRange } from '../../domain/analytics/analytics-query.js';
import { type AgentDrift, BACKLOG_AGE_LABELS, type RoiNumbers } from '../../domain/analytics/analytics-reports.js';
import { readAnalytics } from '../../domain/analytics/read-analytics.js';
import { OPEN_STAGES } from '../../domain/analytics/stage-times.js';
import { stageTitles } from '../../domain/reviewers/board.js';
import type { SessionPrincipal } from '../../domain/reviewers/sessions.js';
import { fieldErrorsOf } from '../../http-common/field-errors.js';
import type { PageKit } from '../kit/page-kit.js';
import { TEMPLATES } from '../kit/templates.js';
import { type AnalyticsView, signedIn } from '../kit/view-models.js';

/** Lines on the agents chart at most. */
const CHART_MAX_LINES = 6;

const percent = (share: number | null): string => (share === null ? '–' : `${Math.round(share * 1000) / 10} %`);

/** A duration people read: "45 s", "13 min", "2.5 h"; '–' when unknown. */
export function duration(ms: number | null): string {
  if (ms === null) return '–';
  const seconds = ms / 1000;
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `${Math.round((seconds / 3600) * 10) / 10} h`;
  return `${Math.round((seconds / 86_400) * 10) / 10} d`;
}

const minutes = (value: number): string => `${Math.round(value * 10) / 10} min`;
const money = (value: number | null): string => (value === null ? 'not set' : value.toFixed(2));

/** "up from 40 % in the previous 7 days", or the same in other words when nothing changed. */
function trend(current: string, previous: string, days: number): string {
  return current === previous ? `unchanged from the previous ${days} days` : `${previous} in the previous ${days} days`;
}

/** "2 min ago": how far behind the rollups are. */
function freshnessText(lagMs: number | null, foldedAt: number | null): string {
  if (lagMs === null || foldedAt === null) {
    return 'The analytics job has not run yet: numbers appear once it folds the first closed tasks.';
  }
  const at = new Date(foldedAt).toISOString().replace('T', ' ').slice(0, 16);
  return `Numbers as of ${lagMs < 60_000 ? 'less than a minute' : duration(lagMs)} ago (${at} UTC). Tasks closed since then are counted on the next run.`;
}

function driftRow(drift: AgentDrift): AnalyticsView['drift'][number] {
  const details = drift.metrics.map((metric) => {
    const { recent, baseline, pValue } = metric.test;
    const rates = `${percent(recent.rate)} of ${recent.trials} in the last 7 days vs ${percent(baseline.rate)} of ${baseline.trials} before`;
    if (metric.skipped === 'too_few_tasks') return `${metric.metric}: ${rates} (too few tasks to judge)`;
    if (metric.skipped === 'no_variance') return `${metric.metric}: ${rates} (no variation to test)`;
    return `${metric.metric}: ${rates}, p = ${pValue === null ? '–' : pValue < 0.0001 ? '< 0.0001' : pValue.toFixed(4)}${metric.drifted ? ' — changed' : ''}`;
  });
  const changed = drift.metrics.filter((metric) => metric.drifted).map((metric) => metric.metric);
  return {
    agent: drift.agentId,
    drifted: drift.drifted,
    summary: drift.drifted ? `Drift: ${changed.join(', ')} rate changed` : 'No drift detected',
    details,
  };
}

async function buildView(kit: PageKit, web: SessionPrincipal, rawQuery: unknown): Promise<AnalyticsView> {
  const now = kit.deps.clock();
  const parsed = analyticsQuerySchema.safeParse(
    Object.fromEntries(Object.entries(rawQuery as Record<string, unknown>).filter(([, value]) => value !== '')),
  );
  const errors = parsed.success
    ? []
    : fieldErrorsOf(parsed.error, (path) => path.join('.')).map((e) => `${e.path}: ${e.message}`);
  const query = resolveRange(parsed.success ? parsed.data : { interval: 'day' }, now);
  const deps = { store: kit.deps.store, clock: kit.deps.clock, costPerHour: kit.deps.reviewerHourCost ?? null };
  let range = query;
  const read = async () => {
    const [reviewers, sla, agents, roi, titles] = await Promise.all([
      readAnalytics(deps, web.principal, 'reviewers', range),
      readAnalytics(deps, web.principal, 'sla', range),
      readAnalytics(deps, web.principal, 'agents', range),
      readAnalytics(deps, web.principal, 'roi', range),
      stageTitles(deps, web.principal),
    ]);
    return { reviewers, sla, agents, roi, titles };
  };
  let reports: Awaited<ReturnType<typeof read>>;
  try {
    reports = await read();
  } catch (error) {
    // A range the reports refuse (from after to, too long): say so and show the default range.
    errors.push(error instanceof Error ? error.message : String(error));
    range = resolveRange({ interval: query.interval }, now);
    reports = await read();
  }
  const { reviewers, sla, agents, roi, titles } = reports;
  const days = Math.round((Date.parse(range.to) - Date.parse(range.from)) / 86_400_000) + 1;
  const { current, previous } = roi.summary;
  const headline = (label: string, hint: string, pick: (numbers: RoiNumbers) => string) => ({
    label,
    hint,
    value: pick(current),
    trend: trend(pick(current), pick(previous), days),
  });
  const cost = deps.costPerHour;
  return {
    ...signedIn(web),
    filter: {
      from: range.from,
      to: range.to,
      queue: range.queue ?? '',
      agent: range.agent ?? '',
      interval: range.interval,
    },
    errors,
    freshness: freshnessText(roi.freshness.lagMs, roi.freshness.foldedAt),
    headlines: [
      headline('Auto-approved', 'Share of closed tasks the routing policy approved without a person', (n) =>
        percent(n.autoApprovedShare),
      ),
      headline('Decided within SLA', 'Share of tasks with a deadline that people decided in time', (n) =>
        percent(n.withinSlaShare),
      ),
      headline('Errors caught', 'Agent outputs people rejected or corrected', (n) => String(n.errorsCaught)),
      cost === null
        ? headline('Reviewer time', 'Time reviewers spent deciding (set LOOPGATE_REVIEWER_HOUR_COST for a cost)', (n) =>
            minutes(n.reviewerMinutes),
          )
        : headline('Reviewer cost', `Reviewer time at ${cost.toFixed(2)} an hour`, (n) => money(n.cost)),
    ],
    reviewers: reviewers.reviewers.map((r) => ({
      name: r.reviewerName,
      decisions: r.decisions,
      approve: percent(r.approveRate),
      modify: percent(r.modifyRate),
      reject: percent(r.rejectRate),
      medianOffered: duration(r.medianOfferedMs),
      p90Offered: duration(r.p90OfferedMs),
      medianClaimed: duration(r.medianClaimedMs),
      p90Claimed: duration(r.p90ClaimedMs),
      fast: percent(r.fastShare),
      late: r.lateDecisions,
    })),
    queues: sla.queues.map((q) => ({
      queue: q.queue,
      withSla: q.tasksWithSla,
      within: percent(q.withinSlaShare),
      breaches: q.breaches,
      escalated: q.escalated,
      median: duration(q.medianDecisionMs),
    })),
    stageColumns: OPEN_STAGES.map((stage) => titles[stage]),
    // Queues with no task through the board (auto-approved only) would be a row of dashes.
    stageTimes: sla.queues
      .filter((q) => OPEN_STAGES.some((stage) => q.stageTasks[stage] > 0))
      .map((q) => ({
        queue: q.queue,
        stages: OPEN_STAGES.map((stage) => ({ median: duration(q.medianStageMs[stage]), tasks: q.stageTasks[stage] })),
      })),
    backlogAges: [...BACKLOG_AGE_LABELS],
    backlog: sla.backlog.queues.map((q) => ({ queue: q.queue, open: q.open, byAge: q.byAge.map((a) => a.tasks) })),
    backlogNote: `Open tasks at ${new Date(sla.backlog.asOf).toISOString().replace('T', ' ').slice(0, 16)} UTC, by age, whatever the range above${range.queue ? ` (queue ${range.queue})` : ''}${range.agent ? ` (agent ${range.agent})` : ''}.`,
    slaSeries: sla.series.map((p) => ({
      period: p.period,
      withSla: p.tasksWithSla,
      within: percent(p.withinSlaShare),
      breaches: p.breaches,
    })),
    agents: agents.agents.map((a) => ({
      agent: a.agentId,
      version: a.agentVersion || '–',
      tasks: a.tasks,
      intervention: percent(a.interventionRate),
      modification: percent(a.modificationRate),
      rejection: percent(a.rejectionRate),
      meanEdit: a.meanEditChars === null ? '–' : `${Math.round(a.meanEditChars)} characters`,
    })),
    // Changed agents first: they are what the section is for.
    drift: agents.drift.map(driftRow).sort((a, b) => Number(b.drifted) - Number(a.drifted)),
    calibration: agents.calibration.buckets.map((b) => ({
      bucket: `${b.from.toFixed(1)}–${b.to.toFixed(1)}`,
      decided: b.decided,
      unchanged: b.approvedUnchanged,
      rejected: b.rejected,
      rate: percent(b.unchangedRate),
    })),
    suggestion:
      agents.calibration.suggestion?.text ??
      `No threshold to suggest yet: it needs at least ${agents.calibration.minDecisions} decided tasks above a confidence where ${Math.round(agents.calibration.target * 100)} % were approved unchanged.`,
    roiSeries: roi.series.map((p) => ({
      period: p.period,
      tasks: p.tasks,
      autoApproved: percent(p.autoApprovedShare),
      minutes: minutes(p.reviewerMinutes),
      cost: money(p.cost),
      errors: p.errorsCaught,
    })),
    costNote:
      cost === null
        ? 'No cost per reviewer hour is set (LOOPGATE_REVIEWER_HOUR_COST).'
        : `Cost at ${cost.toFixed(2)} per reviewer hour.`,
    charts: {
      reviewers: {
        type: 'bar',
        label: 'Decisions per reviewer, by approve, modify and reject',
        tableId: 'reviewers-table',
        labels: reviewers.reviewers.map((r) => r.reviewerName),
        datasets: [
          { label: 'Approved', data: reviewers.reviewers.map((r) => Math.round((r.approveRate ?? 0) * r.decisions)) },
          { label: 'Modified', data: reviewers.reviewers.map((r) => Math.round((r.modifyRate ?? 0) * r.decisions)) },
          { label: 'Rejected', data: reviewers.reviewers.map((r) => Math.round((r.rejectRate ?? 0) * r.decisions)) },
        ],
        unit: 'number',
        stacked: true,
      },
      sla: {
        type: 'line',
        label: `Share decided within SLA per ${range.interval}`,
        tableId: 'sla-series-table',
        labels: sla.series.map((p) => p.period),
        datasets: [{ label: 'Within SLA', data: sla.series.map((p) => p.withinSlaShare) }],
        unit: 'percent',
      },
      agents: (() => {
        // A chart of more lines than a reader can tell apart says nothing: the busiest few; the table has them all.
        const shown = [...agents.agents].sort((a, b) => b.tasks - a.tasks).slice(0, CHART_MAX_LINES);
        const periods = [...new Set(shown.flatMap((a) => a.series.map((p) => p.period)))].sort();
        return {
          type: 'line' as const,
          label: `Intervention rate per ${range.interval} of the ${shown.length} agent versions with the most tasks`,
          tableId: 'agents-table',
          labels: periods,
          datasets: shown.map((a) => ({
            label: `${a.agentId} ${a.agentVersion}`.trim(),
            data: periods.map((period) => a.series.find((p) => p.period === period)?.interventionRate ?? null),
          })),
          unit: 'percent' as const,
        };
      })(),
      calibration: {
        type: 'bar',
        label: 'Share approved unchanged by confidence bucket',
        tableId: 'calibration-table',
        labels: agents.calibration.buckets.map((b) => `${b.from.toFixed(1)}–${b.to.toFixed(1)}`),
        datasets: [{ label: 'Approved unchanged', data: agents.calibration.buckets.map((b) => b.unchangedRate) }],
        unit: 'percent',
      },
      roi: {
        type: 'bar',
        label: `Reviewer minutes per ${range.interval}`,
        tableId: 'roi-table',
        labels: roi.series.map((p) => p.period),
        datasets: [{ label: 'Reviewer minutes', data: roi.series.map((p) => Math.round(p.reviewerMinutes * 10) / 10) }],
        unit: 'number',
      },
    },
  };
}

/**
 * /analytics: the executive summary, then reviewers, SLA, agents and drift, calibration and ROI,
 * each chart beside a table of the same numbers. Every role may read it; the numbers come from the
 * rollups (read-analytics.ts), as the API's do.
 */
export function register(router: Router, kit: PageKit): void {
  router.get(
    '/analytics',
    kit.page(async (req, res, web) => {
      kit.send(res, TEMPLATES.analytics, await buildView(kit, web, req.query));
    }),
  );
}
