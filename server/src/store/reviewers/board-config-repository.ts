import type { BoardConfigRecord, BoardConfigRepository } from '../../domain/reviewers/reviewer-ports.js';
import { type JsonText, parseJson } from '../rows.js';
import { insertRow, type Sql } from '../sql.js';

/** A `board_configs` row. */
interface BoardConfigRow {
  workspace_id: string;
  /** `{ "columns": [...] }` as boardConfigSchema reads it. */
  config: JsonText;
  version: number;
  updated_at: number;
  updated_by: string | null;
}

export class SqlBoardConfigRepository implements BoardConfigRepository {
  constructor(private readonly sql: Sql) {}

  async find(workspaceId: string): Promise<BoardConfigRecord | null> {
    const { rows } = await this.sql.query<BoardConfigRow>('SELECT * FROM board_configs WHERE workspace_id = ?', [
      workspaceId,
    ]);
    const row = rows[0];
    if (!row) return null;
    return {
      workspaceId: row.workspace_id,
      columns: parseJson<Pick<BoardConfigRecord, 'columns'>>(row.config).columns,
      version: Number(row.version),
      updatedAt: Number(row.updated_at),
      updatedBy: row.updated_by,
    };
  }

  async save(record: BoardConfigRecord): Promise<boolean> {
    const config = JSON.stringify({ columns: record.columns });
    if (record.version === 1) {
      const row: BoardConfigRow = {
        workspace_id: record.workspaceId,
        config,
        version: 1,
        updated_at: record.updatedAt,
        updated_by: record.updatedBy,
      };
      return insertRow(this.sql, 'board_configs', row, { ignore: true });
    }
    const { affected } = await this.sql.query(
      'UPDATE board_configs SET config = ?, version = ?, updated_at = ?, updated_by = ? WHERE workspace_id = ? AND version = ?',
      [config, record.version, record.updatedAt, record.updatedBy, record.workspaceId, record.version - 1],
    );
    return affected === 1;
  }
}
