import type { RiskLevel } from '@loopgate/shared';
import { AppError } from '../kernel/errors.js';

/**
 * Urgency: the order a person should look at open work in. Most overdue first (the earliest
 * deadline, so a breached task always leads), then the rest by deadline, tasks without one after
 * every task that has one; ties by risk (critical first), then priority (escalation raises it),
 * then age (oldest first), then id so the order is total and paging never repeats a task.
 *
 * The store sorts by the same key in SQL (store/tasks/urgency-sql.ts); urgency.test.ts checks
 * that both give the same order on every database.
 */
export interface UrgencyFacts {
  id: string;
  dueAt: number | null;
  riskLevel: RiskLevel | null;
  priority: number;
  createdAt: number;
}

/** Stands in for "no deadline": later than any real one (epoch ms fit far below it). */
export const NO_DEADLINE = Number.MAX_SAFE_INTEGER;

/** critical 0 … low 3, unknown risk 4: ascending puts the riskiest first. */
export const RISK_RANK: Readonly<Record<RiskLevel, number>> = { critical: 0, high: 1, medium: 2, low: 3 };
export const UNKNOWN_RISK_RANK = 4;

/** The sort key, every part ascending: [deadline, risk rank, -priority, created, id]. */
export type UrgencyKey = [number, number, number, number, string];

export function urgencyKey(task: UrgencyFacts): UrgencyKey {
  return [
    task.dueAt ?? NO_DEADLINE,
    task.riskLevel === null ? UNKNOWN_RISK_RANK : RISK_RANK[task.riskLevel],
    -task.priority,
    task.createdAt,
    task.id,
  ];
}

export function compareUrgency(a: UrgencyFacts, b: UrgencyFacts): number {
  const x = urgencyKey(a);
  const y = urgencyKey(b);
  for (let i = 0; i < 4; i += 1) {
    const d = (x[i] as number) - (y[i] as number);
    if (d !== 0) return d;
  }
  return x[4] < y[4] ? -1 : x[4] > y[4] ? 1 : 0;
}

/** Opaque to clients: base64url of `u:<key parts>`, the position after the last row of a page. */
export function encodeUrgencyCursor(key: UrgencyKey): string {
  return Buffer.from(`u:${key.join(':')}`, 'utf8').toString('base64url');
}

export function decodeUrgencyCursor(cursor: string): UrgencyKey {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^u:(\d{1,16}):([0-4]):(-?\d{1,9}):(\d{1,15}):([a-z]{3}_[0-9a-z]{1,40})$/.exec(decoded);
  if (!match) {
    throw new AppError('validation_failed', 'cursor is not one this API returned for sort=urgency', [
      { path: 'cursor', message: 'invalid cursor' },
    ]);
  }
  return [Number(match[1]), Number(match[2]), Number(match[3]), Number(match[4]), match[5] as string];
}
