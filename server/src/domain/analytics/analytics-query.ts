import { z } from 'zod';

/**
 * What an analytics request may ask for, shared by the API and the page so both refuse the same
 * input: a range of UTC days, a queue, an agent id and an interval. Unknown parameters are refused.
 */
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
