import { DECIDED_TASK_STATUSES, OPEN_TASK_STATUSES, queueConfigSchema } from '@loopgate/shared';
import type { QueueOpenCounts, QueueRecord, QueueRepository } from '../../domain/approvals/approval-ports.js';
import { type JsonText, parseJson } from '../rows.js';
import { insertRow, isIn, type Sql } from '../sql.js';

/** A `queues` row. */
interface QueueRow {
  id: string;
  workspace_id: string;
  name: string;
  /** The queue's QueueConfig. */
  config: JsonText;
  created_at: number;
  updated_at: number;
  /** 1 when created, +1 on every change of its config. */
  version: number;
}

function rowToQueue(row: QueueRow): QueueRecord {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    // Parsed through the schema so configs stored by an older version get today's defaults.
    config: queueConfigSchema.parse(parseJson(row.config)),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: Number(row.version),
  };
}

export class SqlQueueRepository implements QueueRepository {
  constructor(private readonly sql: Sql) {}

  async insert(queue: QueueRecord): Promise<boolean> {
    const row: QueueRow = {
      id: queue.id,
      workspace_id: queue.workspaceId,
      name: queue.name,
      config: JSON.stringify(queue.config),
      created_at: queue.createdAt,
      updated_at: queue.updatedAt,
      version: queue.version,
    };
    return insertRow(this.sql, 'queues', row, { ignore: true });
  }

  async update(
    workspaceId: string,
    name: string,
    config: QueueRecord['config'],
    now: number,
    expectedVersion?: number,
  ): Promise<boolean> {
    const compare = expectedVersion === undefined ? '' : ' AND version = ?';
    const { affected } = await this.sql.query(
      `UPDATE queues SET config = ?, updated_at = ?, version = version + 1 WHERE workspace_id = ? AND name = ?${compare}`,
      [JSON.stringify(config), now, workspaceId, name, ...(expectedVersion === undefined ? [] : [expectedVersion])],
    );
    return affected === 1;
  }

  async findByName(workspaceId: string, name: string): Promise<QueueRecord | null> {
    const { rows } = await this.sql.query<QueueRow>('SELECT * FROM queues WHERE workspace_id = ? AND name = ?', [
      workspaceId,
      name,
    ]);
    return rows[0] ? rowToQueue(rows[0]) : null;
  }

  async list(workspaceId: string): Promise<QueueRecord[]> {
    const { rows } = await this.sql.query<QueueRow>('SELECT * FROM queues WHERE workspace_id = ? ORDER BY name', [
      workspaceId,
    ]);
    return rows.map(rowToQueue);
  }

  async openCounts(workspaceId: string, now: number): Promise<QueueOpenCounts[]> {
    const open = isIn('status', OPEN_TASK_STATUSES);
    // MySQL answers COUNT and SUM as strings (BIGINT, DECIMAL): read both through Number.
    const { rows } = await this.sql.query<{
      queue: string;
      open_count: number | string;
      breached_count: number | string | null;
    }>(
      `SELECT queue, COUNT(*) AS open_count,
              SUM(CASE WHEN due_at IS NOT NULL AND due_at < ? THEN 1 ELSE 0 END) AS breached_count
         FROM tasks WHERE workspace_id = ? AND ${open.sql} GROUP BY queue`,
      [now, workspaceId, ...open.params],
    );
    return rows.map((row) => ({
      queue: row.queue,
      open: Number(row.open_count),
      breached: Number(row.breached_count ?? 0),
    }));
  }

  async decisionTimes(workspaceId: string, since: number): Promise<{ queue: string; tookMs: number }[]> {
    const decided = isIn('status', DECIDED_TASK_STATUSES);
    // The policy's auto-approvals take no time and no person; they would pull the median to zero.
    const { rows } = await this.sql.query<{ queue: string; took: number | string }>(
      `SELECT queue, closed_at - created_at AS took FROM tasks
        WHERE workspace_id = ? AND closed_at >= ? AND ${decided.sql} AND decided_by_type <> 'policy'`,
      [workspaceId, since, ...decided.params],
    );
    return rows.map((row) => ({ queue: row.queue, tookMs: Number(row.took) }));
  }
}
