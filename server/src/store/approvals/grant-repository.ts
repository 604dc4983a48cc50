import type { GrantScope } from '@loopgate/shared';
import type { GrantProbe, GrantRecord, GrantRepository } from '../../domain/approvals/grant-ports.js';
import { type ActorType, actorOrNull } from '../rows.js';
import { insertRow, type Sql } from '../sql.js';

/** A `standing_grants` row. */
interface GrantRow {
  id: string;
  workspace_id: string;
  queue: string;
  agent_id: string;
  scope: GrantScope;
  match_key: string;
  payload_digest: string | null;
  title: string | null;
  from_task_id: string;
  created_by_type: ActorType;
  created_by_id: string | null;
  created_by_name: string | null;
  created_at: number;
  expires_at: number;
  revoked_by_type: ActorType | null;
  revoked_by_id: string | null;
  revoked_by_name: string | null;
  revoked_at: number | null;
  revoke_reason: string | null;
  use_count: number;
}

function rowToGrant(row: GrantRow): GrantRecord {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    queue: row.queue,
    agentId: row.agent_id,
    scope: row.scope,
    matchKey: row.match_key,
    payloadDigest: row.payload_digest,
    title: row.title,
    fromTaskId: row.from_task_id,
    createdBy: { type: row.created_by_type, id: row.created_by_id, name: row.created_by_name },
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    revokedBy: actorOrNull(row.revoked_by_type, row.revoked_by_id, row.revoked_by_name),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    revokeReason: row.revoke_reason,
    uses: Number(row.use_count),
  };
}

export class SqlGrantRepository implements GrantRepository {
  constructor(private readonly sql: Sql) {}

  async insert(grant: GrantRecord): Promise<void> {
    const row: GrantRow = {
      id: grant.id,
      workspace_id: grant.workspaceId,
      queue: grant.queue,
      agent_id: grant.agentId,
      scope: grant.scope,
      match_key: grant.matchKey,
      payload_digest: grant.payloadDigest,
      title: grant.title,
      from_task_id: grant.fromTaskId,
      created_by_type: grant.createdBy.type,
      created_by_id: grant.createdBy.id,
      created_by_name: grant.createdBy.name,
      created_at: grant.createdAt,
      expires_at: grant.expiresAt,
      revoked_by_type: null,
      revoked_by_id: null,
      revoked_by_name: null,
      revoked_at: null,
      revoke_reason: null,
      use_count: 0,
    };
    await insertRow(this.sql, 'standing_grants', row);
  }

  async findById(workspaceId: string, id: string): Promise<GrantRecord | null> {
    const { rows } = await this.sql.query<GrantRow>('SELECT * FROM standing_grants WHERE workspace_id = ? AND id = ?', [
      workspaceId,
      id,
    ]);
    return rows[0] ? rowToGrant(rows[0]) : null;
  }

  async findMatch(workspaceId: string, probe: GrantProbe, now: number): Promise<GrantRecord | null> {
    // One equality lookup per scope over idx_standing_grants_match, expiry as its range.
    const { rows } = await this.sql.query<GrantRow>(
      `SELECT * FROM standing_grants
        WHERE workspace_id = ? AND queue = ? AND agent_id = ? AND revoked_at IS NULL AND expires_at > ?
          AND ((scope = 'payload' AND match_key = ?) OR (scope = 'title' AND match_key = ?))
        ORDER BY created_at, id LIMIT 1`,
      [workspaceId, probe.queue, probe.agentId, now, probe.keys.payload, probe.keys.title],
    );
    return rows[0] ? rowToGrant(rows[0]) : null;
  }

  async listFromTask(workspaceId: string, taskId: string): Promise<GrantRecord[]> {
    const { rows } = await this.sql.query<GrantRow>(
      'SELECT * FROM standing_grants WHERE workspace_id = ? AND from_task_id = ? ORDER BY created_at, id',
      [workspaceId, taskId],
    );
    return rows.map(rowToGrant);
  }

  async list(workspaceId: string, now: number, limit: number): Promise<GrantRecord[]> {
    const { rows } = await this.sql.query<GrantRow>(
      `SELECT * FROM standing_grants WHERE workspace_id = ?
        ORDER BY CASE WHEN revoked_at IS NULL AND expires_at > ? THEN 0 ELSE 1 END,
          CASE WHEN revoked_at IS NULL AND expires_at > ? THEN expires_at ELSE -created_at END, id
        LIMIT ?`,
      [workspaceId, now, now, limit],
    );
    return rows.map(rowToGrant);
  }

  async recordUse(workspaceId: string, id: string, now: number): Promise<boolean> {
    const { affected } = await this.sql.query(
      `UPDATE standing_grants SET use_count = use_count + 1
        WHERE workspace_id = ? AND id = ? AND revoked_at IS NULL AND expires_at > ?`,
      [workspaceId, id, now],
    );
    return affected === 1;
  }

  async revoke(
    workspaceId: string,
    id: string,
    by: GrantRecord['createdBy'],
    at: number,
    reason: string | null,
  ): Promise<boolean> {
    const { affected } = await this.sql.query(
      `UPDATE standing_grants SET revoked_by_type = ?, revoked_by_id = ?, revoked_by_name = ?, revoked_at = ?, revoke_reason = ?
        WHERE workspace_id = ? AND id = ? AND revoked_at IS NULL`,
      [by.type, by.id, by.name, at, reason, workspaceId, id],
    );
    return affected === 1;
  }
}
