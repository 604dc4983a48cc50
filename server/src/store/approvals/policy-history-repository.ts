import type { DecisionAction, RiskLevel, TaskClassification } from '@loopgate/shared';
import type { PolicyHistoryRepository, ReplayCursor, ReplayTask } from '../../domain/approvals/approval-ports.js';
import { type ActorType, type JsonText, parseJson, parseJsonOrNull } from '../rows.js';
import { allOf, condition, type Sql } from '../sql.js';

/** The columns of `tasks` a replay reads: routing's inputs, the decision, and whether the payload is gone. */
interface ReplayRow {
  id: string;
  created_at: number | string;
  confidence: number | string | null;
  risk_level: RiskLevel | null;
  payload: JsonText;
  context: JsonText | null;
  tags: JsonText;
  decision_action: DecisionAction | null;
  decided_by_type: ActorType | null;
  payload_erased_at: number | string | null;
  classification: JsonText | null;
}

function rowToReplay(row: ReplayRow): ReplayTask {
  const erased = row.payload_erased_at !== null;
  return {
    id: row.id,
    createdAt: Number(row.created_at),
    confidence: row.confidence === null ? null : Number(row.confidence),
    riskLevel: row.risk_level,
    // An erased task's payload is stored as 'null': not what the agent sent, and never parsed.
    payload: erased ? null : parseJson(row.payload),
    context: erased ? null : parseJsonOrNull(row.context),
    tags: parseJson<string[]>(row.tags),
    // What creation's classification found: replay starts from the risk the agent reported before it.
    classification: parseJsonOrNull<TaskClassification>(row.classification),
    erased,
    decision:
      row.decision_action === null || row.decided_by_type === null
        ? null
        : { action: row.decision_action, by: row.decided_by_type },
  };
}

/** A queue's past tasks for a policy backtest, read through idx_tasks_ws_queue_created in (created_at, id) order. */
export class SqlPolicyHistoryRepository implements PolicyHistoryRepository {
  constructor(private readonly sql: Sql) {}

  async replayPage(
    workspaceId: string,
    queue: string,
    range: { from: number; to: number },
    limit: number,
    after?: ReplayCursor,
  ): Promise<ReplayTask[]> {
    // After a cursor the range starts at its time: a plain lower bound the index seeks to, where
    // `created_at > ? OR (created_at = ? AND id > ?)` alone may make each page scan from `from`.
    const where = allOf(
      condition(
        'workspace_id = ? AND queue = ? AND created_at >= ? AND created_at < ?',
        workspaceId,
        queue,
        after ? Math.max(range.from, after.createdAt) : range.from,
        range.to,
      ),
      after && condition('(created_at > ? OR id > ?)', after.createdAt, after.id),
    );
    const { rows } = await this.sql.query<ReplayRow>(
      `SELECT id, created_at, confidence, risk_level, payload, context, tags, decision_action, decided_by_type,
              payload_erased_at, classification
         FROM tasks WHERE ${where.sql} ORDER BY created_at, id LIMIT ?`,
      [...where.params, limit],
    );
    return rows.map(rowToReplay);
  }
}
