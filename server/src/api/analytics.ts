import { z } from 'zod';
import { type AnalyticsDeps, type AnalyticsReportName, readAnalytics } from '../domain/analytics/read-analytics.js';
import { problemResponses } from './problem-responses.js';
import { type AnyRouteSpec, defineRoute } from './route.js';

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a day as YYYY-MM-DD')
  .refine(
    (value) =>
      !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value),
    'not a calendar day',
  );

export const analyticsQuerySchema = z
  .object({
    from: day.optional().describe('First UTC day, inclusive (default: 29 days before `to`)'),
    to: day.optional().describe('Last UTC day, inclusive (default: today)'),
    queue: z.string().min(1).max(200).optional(),
    agent: z.string().min(1).max(128).optional().describe('An agent id'),
    interval: z.enum(['day', 'week']).default('day'),
  })
  .strict();

export type AnalyticsQueryInput = z.output<typeof analyticsQuerySchema>;

/** The defaults a query leaves out: the last 30 days up to today (UTC). */
export function resolveRange(query: AnalyticsQueryInput, now: number) {
  const to = query.to ?? new Date(now).toISOString().slice(0, 10);
  const from = query.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10);
  return { ...query, from, to };
}

const SUMMARIES: Record<AnalyticsReportName, string> = {
  reviewers:
    'Reviewer performance: decisions, approve/modify/reject rates, median and p90 time to decision, fast-decision share',
  sla: 'SLA compliance per queue: share decided within SLA, breaches, escalations, over time',
  agents:
    'AI performance per agent and version: intervention, modification and rejection rates over time, drift test, confidence calibration',
  roi: 'ROI: auto-approved share, reviewer minutes, cost, errors caught, and the executive summary against the previous period',
};

/** Analytics from the rollups (every role reads them). */
export function analyticsRoutes(deps: AnalyticsDeps): AnyRouteSpec[] {
  return (Object.keys(SUMMARIES) as AnalyticsReportName[]).map((name) =>
    defineRoute({
      method: 'get',
      path: `/api/v1/analytics/${name}`,
      summary: SUMMARIES[name],
      tags: ['analytics'],
      permission: 'task:read',
      query: analyticsQuerySchema,
      responses: {
        200: { description: 'The report; `freshness.lagMs` says how far behind the rollups are' },
        ...problemResponses(400, 401),
      },
      async handler({ principal, query }) {
        return { status: 200, body: await readAnalytics(deps, principal, name, resolveRange(query, deps.clock())) };
      },
    }),
  );
}
