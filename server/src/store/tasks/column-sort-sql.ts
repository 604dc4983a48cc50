import type { TaskColumnSort } from '@loopgate/shared';
import type { ColumnKey, ColumnOrder } from '../../domain/tasks/task-ports.js';
import { NO_DEADLINE, RISK_RANK, UNKNOWN_RISK_RANK } from '../../domain/tasks/urgency.js';
import { type Condition, condition } from '../sql.js';

/*
 * domain/tasks/column-sort.ts's values as SQL over the tasks table. A whitelist: only these
 * expressions ever reach ORDER BY, whatever the query string said.
 */
const RISK_SEVERITY_SQL = `CASE risk_level ${Object.entries(RISK_RANK)
  .map(([level, rank]) => `WHEN '${level}' THEN ${UNKNOWN_RISK_RANK - rank}`)
  .join(' ')} ELSE 0 END`;

const COLUMN_SQL: Readonly<Record<TaskColumnSort, string>> = {
  title: 'title',
  queue: 'queue',
  status: 'status',
  risk: RISK_SEVERITY_SQL,
  priority: 'priority',
  due: `COALESCE(due_at, ${NO_DEADLINE})`,
  created: 'created_at',
};

export function columnOrderSql(order: ColumnOrder): string {
  const dir = order.dir === 'desc' ? 'DESC' : 'ASC';
  return `${COLUMN_SQL[order.column]} ${dir}, id ${dir}`;
}

/** Rows strictly after `key` in `order` (a row-value comparison, which SQLite and MySQL share). */
export function afterColumn(order: ColumnOrder, key: ColumnKey | undefined): Condition | undefined {
  return (
    key && condition(`(${COLUMN_SQL[order.column]}, id) ${order.dir === 'desc' ? '<' : '>'} (?, ?)`, key.value, key.id)
  );
}
