import { NO_DEADLINE, RISK_RANK, UNKNOWN_RISK_RANK, type UrgencyKey } from '../../domain/tasks/urgency.js';
import { type Condition, condition } from '../sql.js';

/*
 * domain/tasks/urgency.ts's key as SQL over the tasks table, for ORDER BY and for keyset paging.
 * Ids are compared as stored (ASCII), which is also how the JS key compares them.
 */
const RISK_RANK_SQL = `CASE risk_level ${Object.entries(RISK_RANK)
  .map(([level, rank]) => `WHEN '${level}' THEN ${rank}`)
  .join(' ')} ELSE ${UNKNOWN_RISK_RANK} END`;

const KEY_PARTS = [`COALESCE(due_at, ${NO_DEADLINE})`, RISK_RANK_SQL, '-priority', 'created_at', 'id'] as const;

export const URGENCY_ORDER_SQL = KEY_PARTS.join(', ');

/** Rows strictly after `key` in urgency order (a row-value comparison, which SQLite and MySQL share). */
export function afterUrgency(key: UrgencyKey | undefined): Condition | undefined {
  return key && condition(`(${KEY_PARTS.join(', ')}) > (?, ?, ?, ?, ?)`, ...key);
}
