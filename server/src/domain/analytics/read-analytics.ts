import { authorize, type Principal } from '../kernel/access.js';
import { AppError } from '../kernel/errors.js';
import type { Store } from '../store.js';
import {
  addDays,
  agentsReport,
  BACKLOG_AGE_EDGES_MS,
  backlogReport,
  DRIFT,
  type Interval,
  reviewersReport,
  roiReport,
  slaReport,
} from './analytics-reports.js';

export type AnalyticsReportName = 'reviewers' | 'sla' | 'agents' | 'roi';

export interface AnalyticsQuery {
  /** Inclusive UTC days, `YYYY-MM-DD`. */
  from: string;
  to: string;
  queue?: string;
  agent?: string;
  interval: Interval;
}

export interface AnalyticsDeps {
  store: Store;
  clock: () => number;
  /** Cost of an hour of reviewer time, in the workspace's currency; null: not configured. */
  costPerHour: number | null;
}

/** The longest range one request may ask for: rollups are per day, and this keeps a request bounded. */
export const MAX_RANGE_DAYS = 400;

/** How current the numbers are: when the job last ran and how far behind that is. */
export interface Freshness {
  foldedAt: number | null;
  lagMs: number | null;
}

interface ReportFrame {
  from: string;
  to: string;
  interval: Interval;
  freshness: Freshness;
}

/** Each report's answer, by name. */
export interface AnalyticsReports {
  reviewers: ReportFrame & ReturnType<typeof reviewersReport>;
  sla: ReportFrame &
    ReturnType<typeof slaReport> & { backlog: { asOf: number; queues: ReturnType<typeof backlogReport> } };
  agents: ReportFrame & ReturnType<typeof agentsReport>;
  roi: ReportFrame & { costPerHour: number | null } & ReturnType<typeof roiReport>;
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
}

/** One analytics report of the caller's workspace (every role may read them), from the rollups only. */
export async function readAnalytics<Name extends AnalyticsReportName>(
  deps: AnalyticsDeps,
  principal: Principal,
  name: Name,
  query: AnalyticsQuery,
): Promise<AnalyticsReports[Name]> {
  return (await readReport(deps, principal, name, query)) as AnalyticsReports[Name];
}

async function readReport(deps: AnalyticsDeps, principal: Principal, name: AnalyticsReportName, query: AnalyticsQuery) {
  authorize(principal, 'task:read');
  const days = daysBetween(query.from, query.to);
  if (days < 1)
    throw new AppError('validation_failed', '`from` must not be after `to`', [
      { path: 'query.from', message: 'after to' },
    ]);
  if (days > MAX_RANGE_DAYS)
    throw new AppError('validation_failed', `Ask for at most ${MAX_RANGE_DAYS} days at a time`, [
      { path: 'query.from', message: `more than ${MAX_RANGE_DAYS} days before to` },
    ]);
  const filter = { queue: query.queue, agentId: query.agent };
  // Only the reviewer report needs the reviewer slice; the others read the smaller table without it.
  const cube = name === 'reviewers' ? 'reviewers' : 'work';
  const read = (fromDay: string, toDay: string) =>
    deps.store.read.analytics.listRollups(principal.workspaceId, { cube, fromDay, toDay, ...filter });
  const watermark = await deps.store.read.analytics.readWatermark();
  const freshness: Freshness = {
    foldedAt: watermark?.foldedAt ?? null,
    lagMs: watermark ? Math.max(0, deps.clock() - watermark.foldedAt) : null,
  };
  const range = { from: query.from, to: query.to, interval: query.interval };
  switch (name) {
    case 'reviewers':
      return { ...range, freshness, ...reviewersReport(await read(query.from, query.to)) };
    case 'sla': {
      // The backlog is now, whatever the range: a grouped count over the open tasks, not the rollups.
      const asOf = deps.clock();
      const open = await deps.store.read.analytics.backlogByAge(
        principal.workspaceId,
        filter,
        asOf,
        BACKLOG_AGE_EDGES_MS,
      );
      return {
        ...range,
        freshness,
        ...slaReport(await read(query.from, query.to), query.interval),
        backlog: { asOf, queues: backlogReport(open) },
      };
    }
    case 'agents': {
      // The drift window ends where the range does, so one read from the earlier start serves both:
      // reading them apart would read the days they share twice (the most rows a request reads).
      const driftFrom = addDays(query.to, -(DRIFT.recentDays + DRIFT.baselineDays - 1));
      // YYYY-MM-DD days sort as strings: the earlier of the two starts.
      const both = await read([driftFrom, query.from].sort()[0] ?? query.from, query.to);
      const rollups = both.filter((rollup) => rollup.day >= query.from);
      const driftRollups = both.filter((rollup) => rollup.day >= driftFrom);
      return {
        ...range,
        freshness,
        ...agentsReport(rollups, driftRollups, { interval: query.interval, toDay: query.to }),
      };
    }
    case 'roi': {
      const rollups = await read(query.from, query.to);
      const previous = await read(addDays(query.from, -days), addDays(query.from, -1));
      return {
        ...range,
        freshness,
        costPerHour: deps.costPerHour,
        ...roiReport(rollups, previous, { interval: query.interval, costPerHour: deps.costPerHour }),
      };
    }
  }
}
