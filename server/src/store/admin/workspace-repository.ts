import type { WorkspaceRecord, WorkspaceRepository } from '../../domain/admin/admin-ports.js';
import { parseJsonOrNull } from '../rows.js';
import { insertRow, type Sql } from '../sql.js';

/** A `workspaces` row. */
export interface WorkspaceRow {
  id: string;
  slug: string;
  name: string;
  created_at: number;
}

function rowToWorkspace(row: WorkspaceRow): WorkspaceRecord {
  return { id: row.id, slug: row.slug, name: row.name, createdAt: row.created_at };
}

export class SqlWorkspaceRepository implements WorkspaceRepository {
  constructor(private readonly sql: Sql) {}

  async insert(workspace: WorkspaceRecord): Promise<void> {
    const row: WorkspaceRow = {
      id: workspace.id,
      slug: workspace.slug,
      name: workspace.name,
      created_at: workspace.createdAt,
    };
    await insertRow(this.sql, 'workspaces', row);
  }

  async findBySlug(slug: string): Promise<WorkspaceRecord | null> {
    const { rows } = await this.sql.query<WorkspaceRow>('SELECT * FROM workspaces WHERE slug = ?', [slug]);
    return rows[0] ? rowToWorkspace(rows[0]) : null;
  }

  async findById(id: string): Promise<WorkspaceRecord | null> {
    const { rows } = await this.sql.query<WorkspaceRow>('SELECT * FROM workspaces WHERE id = ?', [id]);
    return rows[0] ? rowToWorkspace(rows[0]) : null;
  }

  async list(): Promise<WorkspaceRecord[]> {
    const { rows } = await this.sql.query<WorkspaceRow>('SELECT * FROM workspaces ORDER BY created_at, id');
    return rows.map(rowToWorkspace);
  }

  async findTimeZone(id: string): Promise<string | null> {
    const { rows } = await this.sql.query<{ time_zone: string | null }>(
      'SELECT time_zone FROM workspaces WHERE id = ?',
      [id],
    );
    return rows[0]?.time_zone ?? null;
  }

  async setTimeZone(id: string, timeZone: string | null): Promise<boolean> {
    const { affected } = await this.sql.query('UPDATE workspaces SET time_zone = ? WHERE id = ?', [timeZone, id]);
    return affected === 1;
  }

  async findExternalReviewers(id: string): Promise<string[]> {
    const { rows } = await this.sql.query<{ external_reviewers: string | null }>(
      'SELECT external_reviewers FROM workspaces WHERE id = ?',
      [id],
    );
    const parsed = parseJsonOrNull(rows[0]?.external_reviewers ?? null);
    return Array.isArray(parsed) ? parsed.filter((entry): entry is string => typeof entry === 'string') : [];
  }

  async setExternalReviewers(id: string, allow: readonly string[]): Promise<boolean> {
    const { affected } = await this.sql.query('UPDATE workspaces SET external_reviewers = ? WHERE id = ?', [
      allow.length === 0 ? null : JSON.stringify(allow),
      id,
    ]);
    return affected === 1;
  }
}
