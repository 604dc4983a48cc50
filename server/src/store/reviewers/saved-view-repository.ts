import type { SavedViewRecord, SavedViewRepository } from '../../domain/reviewers/reviewer-ports.js';
import { insertRow, type Sql } from '../sql.js';

/** A `saved_views` row. */
interface SavedViewRow {
  id: string;
  workspace_id: string;
  user_id: string;
  name: string;
  query: string;
  created_at: number;
}

function rowToView(row: SavedViewRow): SavedViewRecord {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    userId: row.user_id,
    name: row.name,
    query: row.query,
    createdAt: Number(row.created_at),
  };
}

export class SqlSavedViewRepository implements SavedViewRepository {
  constructor(private readonly sql: Sql) {}

  async insert(view: SavedViewRecord): Promise<boolean> {
    const row: SavedViewRow = {
      id: view.id,
      workspace_id: view.workspaceId,
      user_id: view.userId,
      name: view.name,
      query: view.query,
      created_at: view.createdAt,
    };
    return insertRow(this.sql, 'saved_views', row, { ignore: true });
  }

  async replaceQuery(workspaceId: string, userId: string, name: string, query: string): Promise<boolean> {
    const { rows } = await this.sql.query<{ id: string }>(
      'SELECT id FROM saved_views WHERE workspace_id = ? AND user_id = ? AND name = ?',
      [workspaceId, userId, name],
    );
    const id = rows[0]?.id;
    if (id === undefined) return false;
    // By id: MySQL reports an UPDATE that changes nothing (the same query again) as 0 affected rows.
    await this.sql.query('UPDATE saved_views SET query = ? WHERE id = ?', [query, id]);
    return true;
  }

  async listForUser(workspaceId: string, userId: string): Promise<SavedViewRecord[]> {
    const { rows } = await this.sql.query<SavedViewRow>(
      'SELECT * FROM saved_views WHERE workspace_id = ? AND user_id = ? ORDER BY name, id',
      [workspaceId, userId],
    );
    return rows.map(rowToView);
  }

  async delete(workspaceId: string, userId: string, id: string): Promise<boolean> {
    const { affected } = await this.sql.query(
      'DELETE FROM saved_views WHERE id = ? AND workspace_id = ? AND user_id = ?',
      [id, workspaceId, userId],
    );
    return affected === 1;
  }
}
