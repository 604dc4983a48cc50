import { queueConfigSchema } from '@loopgate/shared';
import type { QueueRecord, QueueRepository } from '../../domain/approvals/approval-ports.js';
import { type JsonText, parseJson } from '../rows.js';
import { insertRow, type Sql } from '../sql.js';

/** A `queues` row. */
interface QueueRow {
  id: string;
  workspace_id: string;
  name: string;
  /** The queue's QueueConfig. */
  config: JsonText;
  created_at: number;
  updated_at: number;
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
    };
    return insertRow(this.sql, 'queues', row, { ignore: true });
  }

  async update(workspaceId: string, name: string, config: QueueRecord['config'], now: number): Promise<boolean> {
    const { affected } = await this.sql.query(
      'UPDATE queues SET config = ?, updated_at = ? WHERE workspace_id = ? AND name = ?',
      [JSON.stringify(config), now, workspaceId, name],
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
}
