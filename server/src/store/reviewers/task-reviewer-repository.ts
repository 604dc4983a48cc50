import type { TaskReviewerRepository } from '../../domain/reviewers/reviewer-ports.js';
import { insertRow, type Sql } from '../sql.js';

/** A `task_reviewers` row: an address a task names as a reviewer. */
interface TaskReviewerRow {
  task_id: string;
  /** Lower case. */
  email: string;
  workspace_id: string;
}

export class SqlTaskReviewerRepository implements TaskReviewerRepository {
  constructor(private readonly sql: Sql) {}

  async add(workspaceId: string, taskId: string, emails: string[]): Promise<void> {
    for (const email of new Set(emails.map((e) => e.trim().toLowerCase()))) {
      const row: TaskReviewerRow = { task_id: taskId, email, workspace_id: workspaceId };
      await insertRow(this.sql, 'task_reviewers', row, { ignore: true });
    }
  }

  async listForTask(workspaceId: string, taskId: string): Promise<string[]> {
    // Primary key (task_id, email).
    const { rows } = await this.sql.query<Pick<TaskReviewerRow, 'email'>>(
      'SELECT email FROM task_reviewers WHERE task_id = ? AND workspace_id = ? ORDER BY email',
      [taskId, workspaceId],
    );
    return rows.map((row) => row.email);
  }
}
