import { type Actor, type DecisionAction, queueConfigSchema } from '@loopgate/shared';
import type {
  DueTask,
  GroupMember,
  GroupMemberType,
  QueueRecord,
  QueueRepository,
  ReviewerGroupRecord,
  ReviewerGroupRepository,
  SweepRepository,
  VoteRecord,
  VoteRepository,
} from '../../domain/approvals/approval-ports.js';
import { voterKey } from '../../domain/approvals/approval-ports.js';
import type { JsonValue } from '../../domain/tasks/task-record.js';
import { insertIgnore, type Row, type Sql } from '../sql.js';

const strOrNull = (value: unknown) => (value === null || value === undefined ? null : String(value));

function rowToQueue(row: Row): QueueRecord {
  return {
    id: String(row.id),
    workspaceId: String(row.workspace_id),
    name: String(row.name),
    // Parsed through the schema so configs stored by an older version get today's defaults.
    config: queueConfigSchema.parse(JSON.parse(String(row.config))),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export class SqlQueueRepository implements QueueRepository {
  constructor(private readonly sql: Sql) {}

  async insert(queue: QueueRecord): Promise<boolean> {
    const { affected } = await this.sql.query(
      `${insertIgnore(this.sql.dialect)} queues (id, workspace_id, name, config, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
      [queue.id, queue.workspaceId, queue.name, JSON.stringify(queue.config), queue.createdAt, queue.updatedAt],
    );
    return affected === 1;
  }

  async update(workspaceId: string, name: string, config: QueueRecord['config'], now: number): Promise<boolean> {
    const { affected } = await this.sql.query(
      'UPDATE queues SET config = ?, updated_at = ? WHERE workspace_id = ? AND name = ?',
      [JSON.stringify(config), now, workspaceId, name],
    );
    return affected === 1;
  }

  async findByName(workspaceId: string, name: string): Promise<QueueRecord | null> {
    const { rows } = await this.sql.query('SELECT * FROM queues WHERE workspace_id = ? AND name = ?', [
      workspaceId,
      name,
    ]);
    return rows[0] ? rowToQueue(rows[0]) : null;
  }

  async list(workspaceId: string): Promise<QueueRecord[]> {
    const { rows } = await this.sql.query('SELECT * FROM queues WHERE workspace_id = ? ORDER BY name', [workspaceId]);
    return rows.map(rowToQueue);
  }
}

export class SqlReviewerGroupRepository implements ReviewerGroupRepository {
  constructor(private readonly sql: Sql) {}

  async insert(group: Omit<ReviewerGroupRecord, 'members'>): Promise<boolean> {
    const { affected } = await this.sql.query(
      `${insertIgnore(this.sql.dialect)} reviewer_groups (id, workspace_id, name, created_at) VALUES (?, ?, ?, ?)`,
      [group.id, group.workspaceId, group.name, group.createdAt],
    );
    return affected === 1;
  }

  private async withMembers(rows: Row[]): Promise<ReviewerGroupRecord[]> {
    const groups: ReviewerGroupRecord[] = rows.map((row) => ({
      id: String(row.id),
      workspaceId: String(row.workspace_id),
      name: String(row.name),
      createdAt: Number(row.created_at),
      members: [],
    }));
    if (groups.length === 0) return groups;
    const byId = new Map(groups.map((group) => [group.id, group]));
    const { rows: members } = await this.sql.query(
      `SELECT m.group_id, m.member_type, m.member_id, u.email, COALESCE(u.name, k.name) AS name
         FROM reviewer_group_members m
         LEFT JOIN users u ON m.member_type = 'user' AND u.id = m.member_id
         LEFT JOIN api_keys k ON m.member_type = 'api_key' AND k.id = m.member_id
        WHERE m.group_id IN (${groups.map(() => '?').join(', ')})
        ORDER BY m.group_id, m.position`,
      groups.map((group) => group.id),
    );
    for (const row of members) {
      byId.get(String(row.group_id))?.members.push({
        type: String(row.member_type) as GroupMemberType,
        id: String(row.member_id),
        email: strOrNull(row.email),
        name: strOrNull(row.name),
      });
    }
    return groups;
  }

  async findByName(workspaceId: string, name: string): Promise<ReviewerGroupRecord | null> {
    const { rows } = await this.sql.query('SELECT * FROM reviewer_groups WHERE workspace_id = ? AND name = ?', [
      workspaceId,
      name,
    ]);
    return (await this.withMembers(rows))[0] ?? null;
  }

  async list(workspaceId: string): Promise<ReviewerGroupRecord[]> {
    const { rows } = await this.sql.query('SELECT * FROM reviewer_groups WHERE workspace_id = ? ORDER BY name', [
      workspaceId,
    ]);
    return this.withMembers(rows);
  }

  async replaceMembers(groupId: string, members: GroupMember[], now: number): Promise<void> {
    await this.sql.query('DELETE FROM reviewer_group_members WHERE group_id = ?', [groupId]);
    if (members.length === 0) return;
    await this.sql.query(
      `INSERT INTO reviewer_group_members (group_id, member_type, member_id, position, created_at) VALUES ${members
        .map(() => '(?, ?, ?, ?, ?)')
        .join(', ')}`,
      members.flatMap((member, position) => [groupId, member.type, member.id, position, now]),
    );
  }

  async resolveMember(workspaceId: string, ref: string): Promise<GroupMember | null> {
    if (ref.startsWith('key_')) {
      const { rows } = await this.sql.query(
        'SELECT id, name FROM api_keys WHERE id = ? AND workspace_id = ? AND revoked_at IS NULL',
        [ref, workspaceId],
      );
      const row = rows[0];
      return row ? { type: 'api_key', id: String(row.id), email: null, name: strOrNull(row.name) } : null;
    }
    const byEmail = ref.includes('@');
    const { rows } = await this.sql.query(
      `SELECT u.id, u.email, u.name FROM users u JOIN memberships m ON m.user_id = u.id AND m.workspace_id = ?
        WHERE ${byEmail ? 'u.email = ?' : 'u.id = ?'}`,
      [workspaceId, byEmail ? ref.trim().toLowerCase() : ref],
    );
    const row = rows[0];
    return row ? { type: 'user', id: String(row.id), email: strOrNull(row.email), name: strOrNull(row.name) } : null;
  }
}

export class SqlVoteRepository implements VoteRepository {
  constructor(private readonly sql: Sql) {}

  async insert(vote: VoteRecord): Promise<boolean> {
    const { affected } = await this.sql.query(
      `${insertIgnore(this.sql.dialect)} task_votes (task_id, voter_key, workspace_id, level, action, comment, modified_payload, actor_type, actor_id, actor_name, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        vote.taskId,
        voterKey(vote.actor),
        vote.workspaceId,
        vote.level,
        vote.action,
        vote.comment,
        vote.modifiedPayload === null ? null : JSON.stringify(vote.modifiedPayload),
        vote.actor.type,
        vote.actor.id,
        vote.actor.name,
        vote.createdAt,
      ],
    );
    return affected === 1;
  }

  async listForTask(workspaceId: string, taskId: string): Promise<VoteRecord[]> {
    const { rows } = await this.sql.query(
      'SELECT * FROM task_votes WHERE task_id = ? AND workspace_id = ? ORDER BY created_at, level',
      [taskId, workspaceId],
    );
    return rows.map((row) => ({
      taskId: String(row.task_id),
      workspaceId: String(row.workspace_id),
      level: Number(row.level),
      action: String(row.action) as DecisionAction,
      comment: strOrNull(row.comment),
      modifiedPayload:
        row.modified_payload === null || row.modified_payload === undefined
          ? null
          : (JSON.parse(String(row.modified_payload)) as JsonValue),
      actor: {
        type: String(row.actor_type) as Actor['type'],
        id: strOrNull(row.actor_id),
        name: strOrNull(row.actor_name),
      },
      createdAt: Number(row.created_at),
    }));
  }
}

export class SqlSweepRepository implements SweepRepository {
  constructor(private readonly sql: Sql) {}

  async due(now: number, limit: number): Promise<DueTask[]> {
    const { rows } = await this.sql.query(
      'SELECT id, workspace_id, next_sweep_at FROM tasks WHERE next_sweep_at <= ? ORDER BY next_sweep_at LIMIT ?',
      [now, limit],
    );
    return rows.map((row) => ({
      id: String(row.id),
      workspaceId: String(row.workspace_id),
      nextSweepAt: Number(row.next_sweep_at),
    }));
  }

  async forget(id: string): Promise<void> {
    await this.sql.query(
      "UPDATE tasks SET next_sweep_at = NULL WHERE id = ? AND status NOT IN ('pending_review', 'in_review')",
      [id],
    );
  }

  async reschedule(
    workspaceId: string,
    queue: string,
    stepOffsetsMs: number[],
    timeoutOffsetMs: number,
  ): Promise<number> {
    const offset =
      stepOffsetsMs.length === 0
        ? '?'
        : `CASE escalation_step ${stepOffsetsMs.map(() => 'WHEN ? THEN ?').join(' ')} ELSE ? END`;
    const { affected } = await this.sql.query(
      `UPDATE tasks SET next_sweep_at = due_at + ${offset}
       WHERE workspace_id = ? AND queue = ? AND status IN ('pending_review', 'in_review') AND due_at IS NOT NULL`,
      [...stepOffsetsMs.flatMap((ms, step) => [step, ms]), timeoutOffsetMs, workspaceId, queue],
    );
    return affected;
  }

  async openLoad(workspaceId: string, assigneeIds: string[]): Promise<Map<string, number>> {
    const load = new Map<string, number>(assigneeIds.map((id) => [id, 0]));
    if (assigneeIds.length === 0) return load;
    const { rows } = await this.sql.query(
      `SELECT assignee_id, COUNT(*) AS n FROM tasks
        WHERE workspace_id = ? AND assignee_id IN (${assigneeIds.map(() => '?').join(', ')}) AND status IN ('pending_review', 'in_review')
        GROUP BY assignee_id`,
      [workspaceId, ...assigneeIds],
    );
    for (const row of rows) load.set(String(row.assignee_id), Number(row.n));
    return load;
  }
}

export function createApprovalRepositories(sql: Sql) {
  return {
    queues: new SqlQueueRepository(sql),
    reviewerGroups: new SqlReviewerGroupRepository(sql),
    votes: new SqlVoteRepository(sql),
    sweep: new SqlSweepRepository(sql),
  };
}
