import type { UrgencyKey } from '../../domain/tasks/urgency.js';
import { type Condition, condition } from '../sql.js';

/*
 * domain/tasks/urgency.ts's key as SQL over the tasks table, for ORDER BY and for keyset paging: the
 * virtual columns of migration 1764813200000 (COALESCE(due_at, NO_DEADLINE), the risk rank, -priority),
 * then created_at and id, so idx_tasks_ws_urgency and idx_tasks_ws_urgency_board serve the order.
 * Ids are compared as stored (ASCII), which is also how the JS key compares them.
 */
const KEY_PARTS = ['urgency_due', 'urgency_risk', 'urgency_priority', 'created_at', 'id'] as const;

export const URGENCY_ORDER_SQL = KEY_PARTS.join(', ');

/** Rows strictly after `key` in urgency order (a row-value comparison, which SQLite and MySQL share). */
export function afterUrgency(key: UrgencyKey | undefined): Condition | undefined {
  return key && condition(`(${KEY_PARTS.join(', ')}) > (?, ?, ?, ?, ?)`, ...key);
}
