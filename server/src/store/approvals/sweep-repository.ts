import type { DueTask, SweepRepository } from '../../domain/approvals/approval-ports.js';
import { isIn, type Sql } from '../sql.js';
import type { TaskRow } from '../tasks/task-repository.js';

export class SqlSweepRepository implements SweepRepository {
  constructor(private readonly sql: Sql) {}

  async due(now: number, limit: number): Promise<DueTask[]> {
    // `next_sweep_at <= ?` holds for no NULL, so every row read has one.
    const { rows } = await this.sql.query<Pick<TaskRow, 'id' | 'workspace_id'> & { next_sweep_at: number }>(
      'SELECT id, workspace_id, next_sweep_at FROM tasks WHERE next_sweep_at <= ? ORDER BY next_sweep_at LIMIT ?',
      [now, limit],
    );
    return rows.map((row) => ({ id: row.id, workspaceId: row.workspace_id, nextSweepAt: row.next_sweep_at }));
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
    const assignees = isIn('assignee_id', assigneeIds);
    const { rows } = await this.sql.query<{ assignee_id: string; n: number }>(
      `SELECT assignee_id, COUNT(*) AS n FROM tasks
        WHERE workspace_id = ? AND ${assignees.sql} AND status IN ('pending_review', 'in_review')
        GROUP BY assignee_id`,
      [workspaceId, ...assignees.params],
    );
    for (const row of rows) load.set(row.assignee_id, row.n);
    return load;
  }
}
