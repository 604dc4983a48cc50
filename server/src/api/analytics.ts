import { analyticsQuerySchema, resolveRange } from '../domain/analytics/analytics-query.js';
import { type AnalyticsDeps, type AnalyticsReportName, readAnalytics } from '../domain/analytics/read-analytics.js';
import { problemResponses } from './problem-responses.js';
import { type AnyRouteSpec, defineRoute } from './route.js';

const SUMMARIES: Record<AnalyticsReportName, string> = {
  reviewers:
    'Reviewer performance: decisions, approve/modify/reject rates, median and p90 time to decision, fast-decision share',
  sla: 'SLA compliance per queue: share decided within SLA, breaches, escalations, over time; median time per board stage; the current backlog by age',
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
