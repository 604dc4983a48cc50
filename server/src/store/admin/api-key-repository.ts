import type { Role } from '@loopgate/shared';
import type { ApiKeyRecord, ApiKeyRepository } from '../../domain/admin/admin-ports.js';
import { type ActorType, actorOrNull } from '../rows.js';
import { insertRow, type Sql } from '../sql.js';

/** An `api_keys` row. The key itself is never stored, only its hash. */
export interface ApiKeyRow {
  id: string;
  workspace_id: string;
  name: string;
  role: Role;
  prefix: string;
  key_hash: string;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
  /** The creator; all three NULL for keys from before it was recorded. */
  created_by_type: ActorType | null;
  created_by_id: string | null;
  created_by_name: string | null;
}

function rowToApiKey(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    role: row.role,
    prefix: row.prefix,
    keyHash: row.key_hash,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
    createdBy: actorOrNull(row.created_by_type, row.created_by_id, row.created_by_name),
  };
}

export class SqlApiKeyRepository implements ApiKeyRepository {
  constructor(private readonly sql: Sql) {}

  async insert(key: ApiKeyRecord): Promise<void> {
    const row: ApiKeyRow = {
      id: key.id,
      workspace_id: key.workspaceId,
      name: key.name,
      role: key.role,
      prefix: key.prefix,
      key_hash: key.keyHash,
      created_at: key.createdAt,
      revoked_at: key.revokedAt,
      last_used_at: key.lastUsedAt,
      created_by_type: key.createdBy?.type ?? null,
      created_by_id: key.createdBy?.id ?? null,
      created_by_name: key.createdBy?.name ?? null,
    };
    await insertRow(this.sql, 'api_keys', row);
  }

  async findByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const { rows } = await this.sql.query<ApiKeyRow>('SELECT * FROM api_keys WHERE key_hash = ?', [keyHash]);
    return rows[0] ? rowToApiKey(rows[0]) : null;
  }

  async findById(workspaceId: string, id: string): Promise<ApiKeyRecord | null> {
    const { rows } = await this.sql.query<ApiKeyRow>('SELECT * FROM api_keys WHERE id = ? AND workspace_id = ?', [
      id,
      workspaceId,
    ]);
    return rows[0] ? rowToApiKey(rows[0]) : null;
  }

  async listActive(workspaceId: string | null): Promise<ApiKeyRecord[]> {
    const { rows } =
      workspaceId === null
        ? await this.sql.query<ApiKeyRow>('SELECT * FROM api_keys WHERE revoked_at IS NULL ORDER BY created_at, id')
        : await this.sql.query<ApiKeyRow>(
            'SELECT * FROM api_keys WHERE workspace_id = ? AND revoked_at IS NULL ORDER BY created_at, id',
            [workspaceId],
          );
    return rows.map(rowToApiKey);
  }

  async findActiveByRef(ref: string): Promise<ApiKeyRecord[]> {
    const { rows } = await this.sql.query<ApiKeyRow>(
      'SELECT * FROM api_keys WHERE (id = ? OR prefix = ?) AND revoked_at IS NULL ORDER BY created_at, id',
      [ref, ref],
    );
    return rows.map(rowToApiKey);
  }

  async revoke(workspaceId: string, id: string, now: number): Promise<boolean> {
    const { affected } = await this.sql.query(
      'UPDATE api_keys SET revoked_at = ? WHERE id = ? AND workspace_id = ? AND revoked_at IS NULL',
      [now, id, workspaceId],
    );
    return affected === 1;
  }

  async touchLastUsed(id: string, now: number, staleBefore: number): Promise<boolean> {
    const { affected } = await this.sql.query(
      'UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)',
      [now, id, staleBefore],
    );
    return affected === 1;
  }
}
