import type { TaskStatus } from '@loopgate/shared';
import type { TaskEventRepository } from '../../domain/tasks/task-ports.js';
import type { TaskEventRecord } from '../../domain/tasks/task-record.js';
import { type ActorType, type JsonText, parseJsonOrNull, stringifyOrNull } from '../rows.js';
import { insertRow, type Sql } from '../sql.js';

/** A `task_events` row. */
interface TaskEventRow {
  /** Autoincrement: the order events were appended in. */
  seq: number;
  id: string;
  workspace_id: string;
  task_id: string;
  type: string;
  from_status: TaskStatus | null;
  to_status: TaskStatus | null;
  actor_type: ActorType;
  actor_id: string | null;
  actor_name: string | null;
  reason: string | null;
  data: JsonText | null;
  created_at: number;
}

export class SqlTaskEventRepository implements TaskEventRepository {
  constructor(private readonly sql: Sql) {}

  async append(event: TaskEventRecord): Promise<void> {
    const row: Omit<TaskEventRow, 'seq'> = {
      id: event.id,
      workspace_id: event.workspaceId,
      task_id: event.taskId,
      type: event.type,
      from_status: event.fromStatus,
      to_status: event.toStatus,
      actor_type: event.actor.type,
      actor_id: event.actor.id,
      actor_name: event.actor.name,
      reason: event.reason,
      data: stringifyOrNull(event.data),
      created_at: event.createdAt,
    };
    await insertRow(this.sql, 'task_events', row);
  }

  async listForTask(workspaceId: string, taskId: string): Promise<TaskEventRecord[]> {
    const { rows } = await this.sql.query<TaskEventRow>(
      'SELECT * FROM task_events WHERE task_id = ? AND workspace_id = ? ORDER BY seq',
      [taskId, workspaceId],
    );
    return rows.map((row) => ({
      id: row.id,
      workspaceId: row.workspace_id,
      taskId: row.task_id,
      type: row.type,
      fromStatus: row.from_status,
      toStatus: row.to_status,
      actor: { type: row.actor_type, id: row.actor_id, name: row.actor_name },
      reason: row.reason,
      data: parseJsonOrNull(row.data),
      createdAt: row.created_at,
    }));
  }
}
