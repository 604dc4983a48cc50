import type { Actor, DecisionAction, FormResponse } from '@loopgate/shared';
import { type VoteRecord, type VoteRepository, voterKey } from '../../domain/approvals/approval-ports.js';
import { type ActorType, type JsonText, parseJsonOrNull, stringifyOrNull } from '../rows.js';
import { insertRow, placeholders, type Sql } from '../sql.js';

/** A `task_votes` row; its key (task_id, voter_key) is what makes one person, one vote hold. */
interface VoteRow {
  task_id: string;
  /** voterKey(actor): "type:id". */
  voter_key: string;
  workspace_id: string;
  level: number;
  action: DecisionAction;
  comment: string | null;
  modified_payload: JsonText | null;
  reason_code: string | null;
  /** A JSON object of answers (FormResponse). */
  response: JsonText | null;
  actor_type: ActorType;
  actor_id: string | null;
  actor_name: string | null;
  created_at: number;
}

export class SqlVoteRepository implements VoteRepository {
  constructor(private readonly sql: Sql) {}

  async insert(vote: VoteRecord): Promise<boolean> {
    const row: VoteRow = {
      task_id: vote.taskId,
      voter_key: voterKey(vote.actor),
      workspace_id: vote.workspaceId,
      level: vote.level,
      action: vote.action,
      comment: vote.comment,
      modified_payload: stringifyOrNull(vote.modifiedPayload),
      reason_code: vote.reasonCode,
      response: stringifyOrNull(vote.response),
      actor_type: vote.actor.type,
      actor_id: vote.actor.id,
      actor_name: vote.actor.name,
      created_at: vote.createdAt,
    };
    return insertRow(this.sql, 'task_votes', row, { ignore: true });
  }

  async listForTask(workspaceId: string, taskId: string): Promise<VoteRecord[]> {
    const { rows } = await this.sql.query<VoteRow>(
      'SELECT * FROM task_votes WHERE task_id = ? AND workspace_id = ? ORDER BY created_at, level',
      [taskId, workspaceId],
    );
    return rows.map((row) => ({
      taskId: row.task_id,
      workspaceId: row.workspace_id,
      level: row.level,
      action: row.action,
      comment: row.comment,
      modifiedPayload: parseJsonOrNull(row.modified_payload),
      reasonCode: row.reason_code,
      response: parseJsonOrNull<FormResponse>(row.response),
      actor: { type: row.actor_type, id: row.actor_id, name: row.actor_name },
      createdAt: row.created_at,
    }));
  }

  async votedOn(workspaceId: string, actor: Actor, taskIds: readonly string[]): Promise<Set<string>> {
    if (taskIds.length === 0) return new Set();
    // Through the primary key (task_id, voter_key).
    const { rows } = await this.sql.query<{ task_id: string }>(
      `SELECT task_id FROM task_votes WHERE workspace_id = ? AND voter_key = ? AND task_id IN (${placeholders(taskIds.length)})`,
      [workspaceId, voterKey(actor), ...taskIds],
    );
    return new Set(rows.map((row) => row.task_id));
  }
}
