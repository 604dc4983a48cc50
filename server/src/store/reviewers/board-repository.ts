import { type BoardColumnFilter, detectorLabel, parsePointer, type TaskClassification } from '@loopgate/shared';
import type {
  BoardCard,
  BoardColumnQuery,
  BoardFilter,
  BoardRepository,
} from '../../domain/reviewers/reviewer-ports.js';
import { BOARD_COUNT_CAP } from '../../domain/reviewers/reviewer-ports.js';
import { actorOrNull, type JsonText, parseJson, parseJsonOrNull } from '../rows.js';
import {
  allOf,
  type Condition,
  compare,
  condition,
  equals,
  isIn,
  placeholders,
  type Sql,
  type SqlDialect,
} from '../sql.js';
import { hasTag, taskFilterConditions } from '../tasks/task-filters.js';
import type { TaskRow } from '../tasks/task-repository.js';
import { URGENCY_ORDER_SQL } from '../tasks/urgency-sql.js';

/** The columns of `tasks` a board card shows. */
const CARD_COLUMNS = [
  'id',
  'title',
  'queue',
  'source',
  'status',
  'risk_level',
  'confidence',
  'assignee_name',
  'assignee_id',
  'claimed',
  'escalated',
  'priority',
  'current_level',
  'levels_required',
  'due_at',
  'created_at',
  'closed_at',
  'decision_action',
  'agent_id',
  'agent_name',
  'created_by_type',
  'created_by_id',
  'created_by_name',
  'assignee_type',
  'assigned_group',
  'classification',
] as const satisfies readonly (keyof TaskRow)[];

type CardRow = Pick<TaskRow, (typeof CARD_COLUMNS)[number]>;

function rowToCard(row: CardRow): BoardCard {
  return {
    id: row.id,
    title: row.title,
    queue: row.queue,
    source: row.source,
    status: row.status,
    riskLevel: row.risk_level,
    confidence: row.confidence,
    assigneeName: row.assignee_name,
    assigneeId: row.assignee_id,
    claimed: row.claimed === 1,
    escalated: row.escalated === 1,
    priority: row.priority,
    level: row.current_level,
    levels: row.levels_required,
    dueAt: row.due_at,
    createdAt: row.created_at,
    closedAt: row.closed_at,
    decisionAction: row.decision_action,
    agent: row.agent_id === null ? null : { id: row.agent_id, name: row.agent_name },
    createdBy: { type: row.created_by_type, id: row.created_by_id, name: row.created_by_name },
    assignee: actorOrNull(row.assignee_type, row.assignee_id, row.assignee_name),
    assignedGroup: row.assigned_group,
    sensitive: sensitiveLabels(row.classification),
  };
}

/** The chips a card shows: one per detector that fired, never a value (the column holds none). */
function sensitiveLabels(json: JsonText | null): string[] {
  const classification = parseJsonOrNull<TaskClassification>(json);
  return classification ? classification.findings.map(detectorLabel) : [];
}

const ORDERS: Record<BoardColumnQuery['order'], string> = {
  urgency: URGENCY_ORDER_SQL,
  recently_closed: 'closed_at DESC, id DESC',
};

/** A filter column's filter as one parenthesised condition: every field given must match. */
function matches(filter: BoardColumnFilter): Condition {
  const all = allOf(
    equals('queue', filter.queue),
    equals('source', filter.source),
    equals('risk_level', filter.riskLevel),
    compare('current_level', '>=', filter.minLevel),
    filter.tag === undefined ? undefined : hasTag(filter.tag),
  );
  return condition(`(${all.sql})`, ...all.params);
}

/** None of an earlier column's filters: NULL (a task without a risk level) counts as not matching. */
function matchesNone(filters: readonly BoardColumnFilter[] | undefined): Condition[] {
  return (filters ?? []).map((filter) => {
    const each = matches(filter);
    return condition(`COALESCE(${each.sql}, 0) = 0`, ...each.params);
  });
}

/**
 * A JSON Pointer as a JSON path (`/customer/name` → `$."customer"."name"`), every key quoted, so it
 * follows objects only, as the pointer does. cardFieldSchema keeps `"` and `\` out of the keys.
 */
function jsonPath(pointer: string): string {
  const tokens = parsePointer(pointer);
  if (tokens === null || tokens.some((token) => /["\\]/.test(token))) throw new Error(`not a card field: ${pointer}`);
  return `$${tokens.map((token) => `."${token}"`).join('')}`;
}

/** The value at a JSON path as JSON text on both databases (SQLite's -> gives JSON; json_extract would unquote). */
function extractJson(dialect: SqlDialect): string {
  return dialect === 'mysql' ? 'CAST(JSON_EXTRACT(payload, ?) AS CHAR)' : 'payload -> ?';
}

/** How many of the newest tasks the tag suggestions are read from. */
const RECENT_TAGGING_WINDOW = 1000;

const flag = (value: boolean | undefined) => (value === undefined ? undefined : value ? 1 : 0);

export class SqlBoardRepository implements BoardRepository {
  constructor(private readonly sql: Sql) {}

  async sources(workspaceId: string, limit: number): Promise<string[]> {
    // A loose index scan over idx_tasks_ws_source, one seek per distinct source however many tasks
    // there are: DISTINCT reads every index entry on both databases, and MariaDB plans a recursive
    // CTE's correlated seek as a scan of the whole workspace.
    const sources: string[] = [];
    while (sources.length < limit) {
      const after = sources.at(-1);
      const { rows } = await this.sql.query<{ source: string }>(
        `SELECT source FROM tasks WHERE workspace_id = ?${after === undefined ? '' : ' AND source > ?'} ORDER BY source LIMIT 1`,
        after === undefined ? [workspaceId] : [workspaceId, after],
      );
      const next = rows[0]?.source;
      if (next === undefined) break;
      sources.push(next);
    }
    return sources;
  }

  async recentTags(workspaceId: string, limit: number): Promise<string[]> {
    // Tags are a JSON array per task: the latest RECENT_TAGGING_WINDOW tasks (newest first off
    // idx_tasks_ws_created) say which are in use, in bounded time however few of them carry tags.
    const { rows } = await this.sql.query<Pick<TaskRow, 'tags'>>(
      `SELECT tags FROM (SELECT tags FROM tasks WHERE workspace_id = ? ORDER BY created_at DESC LIMIT ${RECENT_TAGGING_WINDOW}) recent
       WHERE tags <> '[]'`,
      [workspaceId],
    );
    const tags = new Set(rows.flatMap((row) => parseJson<string[]>(row.tags)));
    return [...tags].sort().slice(0, limit);
  }

  async column(
    workspaceId: string,
    column: BoardColumnQuery,
    filter: BoardFilter,
    limit: number,
  ): Promise<{ cards: BoardCard[]; total: number }> {
    // Through idx_tasks_ws_urgency_board (workspace, status, escalated, claimed, urgency key): a column
    // of one status and both flags reads its first cards in order straight off the index.
    const where = allOf(
      ...taskFilterConditions(workspaceId, filter),
      isIn('status', column.statuses),
      equals('escalated', flag(column.escalated)),
      equals('claimed', flag(column.claimed)),
      compare('closed_at', '>', column.closedAfter),
      column.match ? matches(column.match) : undefined,
      ...matchesNone(column.exclude),
    );
    const { rows } =
      column.order === 'urgency'
        ? await this.urgentFirst(workspaceId, column, filter, limit)
        : await this.sql.query<CardRow>(
            `SELECT ${CARD_COLUMNS.join(', ')} FROM tasks WHERE ${where.sql} ORDER BY ${ORDERS[column.order]} LIMIT ?`,
            [...where.params, limit],
          );
    const cards = rows.map(rowToCard);
    let total = cards.length;
    if (cards.length === limit) {
      const counted = await this.sql.query<{ n: number }>(
        `SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM tasks WHERE ${where.sql} LIMIT ${BOARD_COUNT_CAP}) capped`,
        where.params,
      );
      total = counted.rows[0]?.n ?? cards.length;
    }
    return { cards, total };
  }

  /**
   * A column's first cards in urgency order, read off idx_tasks_ws_urgency_board. The index gives
   * the order only where status, escalated and claimed are each one value, so a column spanning
   * several (In Progress: two statuses; Escalated: two statuses, either claim state; a filter
   * column: all of them) reads the first `limit` of each combination in index order and sorts
   * those few — never every matching row, which at 100k open tasks was most of the board's time.
   */
  private urgentFirst(workspaceId: string, column: BoardColumnQuery, filter: BoardFilter, limit: number) {
    const flags = (fixed: boolean | undefined) => (fixed === undefined ? [false, true] : [fixed]);
    const parts: Condition[] = [];
    for (const status of column.statuses) {
      for (const escalated of flags(column.escalated)) {
        for (const claimed of flags(column.claimed)) {
          const where = allOf(
            ...taskFilterConditions(workspaceId, filter),
            equals('status', status),
            equals('escalated', flag(escalated)),
            equals('claimed', flag(claimed)),
            compare('closed_at', '>', column.closedAfter),
            column.match ? matches(column.match) : undefined,
            ...matchesNone(column.exclude),
          );
          parts.push(
            condition(
              `SELECT * FROM (SELECT ${CARD_COLUMNS.join(', ')}, urgency_due, urgency_risk, urgency_priority FROM tasks WHERE ${where.sql} ORDER BY ${URGENCY_ORDER_SQL} LIMIT ?) part${parts.length}`,
              ...where.params,
              limit,
            ),
          );
        }
      }
    }
    return this.sql.query<CardRow>(
      `SELECT ${CARD_COLUMNS.join(', ')} FROM (${parts.map((part) => part.sql).join(' UNION ALL ')}) firsts ORDER BY ${URGENCY_ORDER_SQL} LIMIT ?`,
      [...parts.flatMap((part) => part.params), limit],
    );
  }

  async payloadValues(
    workspaceId: string,
    taskIds: readonly string[],
    pointers: readonly string[],
  ): Promise<Map<string, (string | null)[]>> {
    const values = new Map<string, (string | null)[]>();
    if (taskIds.length === 0 || pointers.length === 0) return values;
    const fields = pointers.map((_, index) => `${extractJson(this.sql.dialect)} AS v${index}`).join(', ');
    // By primary key: `+workspace_id` keeps the workspace check out of index choice, or SQLite
    // (without statistics) reads these few rows through a workspace index, i.e. the whole workspace.
    const { rows } = await this.sql.query<Record<string, string | null> & { id: string }>(
      `SELECT id, ${fields} FROM tasks WHERE +workspace_id = ? AND id IN (${placeholders(taskIds.length)})`,
      [...pointers.map(jsonPath), workspaceId, ...taskIds],
    );
    for (const row of rows) {
      values.set(
        row.id,
        pointers.map((_, index) => row[`v${index}`] ?? null),
      );
    }
    return values;
  }
}
