import type { Role } from '@loopgate/shared';
import type { AuditAction, AuditRecord, AuditRepository, AuditTargetType } from '../../domain/audit/audit-ports.js';
import { type ActorType, type JsonText, parseJsonOrNull, stringifyOrNull } from '../rows.js';
import { insertIgnore, insertRow, type Sql } from '../sql.js';

/** An `audit_log` row. */
interface AuditRow {
  id: string;
  workspace_id: string;
  /** 1, 2, 3, … per workspace, taken from the workspace's `audit_heads` row. */
  seq: number;
  created_at: number;
  actor_type: ActorType;
  actor_id: string | null;
  actor_name: string | null;
  actor_role: Role | null;
  action: AuditAction;
  target_type: AuditTargetType;
  target_id: string;
  data: JsonText | null;
  request_id: string | null;
}

/** An `audit_heads` row: the last number a workspace's log gave out. */
interface AuditHeadRow {
  workspace_id: string;
  last_seq: number;
}

function rowToAudit(row: AuditRow): AuditRecord {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    seq: row.seq,
    at: row.created_at,
    actor: { type: row.actor_type, id: row.actor_id, name: row.actor_name, role: row.actor_role },
    action: row.action,
    target: { type: row.target_type, id: row.target_id },
    data: parseJsonOrNull(row.data),
    requestId: row.request_id,
  };
}

/**
 * The audit log and its per-workspace head. The head row (`audit_heads`) is the one thing concurrent
 * writers to a workspace contend for: `UPDATE … SET last_seq = last_seq + 1` takes its row lock on
 * MySQL (the others wait for the commit, then read the new value), and on SQLite every write
 * transaction is serialised already. Reading MAX(seq) instead would let two MySQL transactions see
 * the same maximum; the unique (workspace_id, seq) index is the guard that such a bug cannot pass.
 */
export class SqlAuditRepository implements AuditRepository {
  constructor(private readonly sql: Sql) {}

  async nextSeq(workspaceId: string): Promise<number> {
    if (!(await this.advanceHead(workspaceId))) {
      // No head: workspaces get theirs at creation (and from the migration), so this is a fallback.
      // Two first writers may both get here; on MySQL one of them then deadlocks and is run again.
      await this.restoreHead(workspaceId);
      if (!(await this.advanceHead(workspaceId))) throw new Error(`No audit log head for workspace ${workspaceId}`);
    }
    const { rows } = await this.sql.query<Pick<AuditHeadRow, 'last_seq'>>(
      'SELECT last_seq FROM audit_heads WHERE workspace_id = ?',
      [workspaceId],
    );
    return Number(rows[0]?.last_seq);
  }

  private async advanceHead(workspaceId: string): Promise<boolean> {
    const { affected } = await this.sql.query('UPDATE audit_heads SET last_seq = last_seq + 1 WHERE workspace_id = ?', [
      workspaceId,
    ]);
    return affected === 1;
  }

  async startLog(workspaceId: string): Promise<void> {
    const head: AuditHeadRow = { workspace_id: workspaceId, last_seq: 0 };
    await insertRow(this.sql, 'audit_heads', head, { ignore: true });
  }

  /** A head from the entries already there, so a head that went missing cannot restart the numbering. */
  private async restoreHead(workspaceId: string): Promise<void> {
    await this.sql.query(
      `${insertIgnore(this.sql.dialect)} audit_heads (workspace_id, last_seq)
         SELECT ?, COALESCE(MAX(seq), 0) FROM audit_log WHERE workspace_id = ?`,
      [workspaceId, workspaceId],
    );
  }

  async append(record: AuditRecord): Promise<void> {
    const row: AuditRow = {
      id: record.id,
      workspace_id: record.workspaceId,
      seq: record.seq,
      created_at: record.at,
      actor_type: record.actor.type,
      actor_id: record.actor.id,
      actor_name: record.actor.name,
      actor_role: record.actor.role,
      action: record.action,
      target_type: record.target.type,
      target_id: record.target.id,
      data: stringifyOrNull(record.data),
      request_id: record.requestId,
    };
    await insertRow(this.sql, 'audit_log', row);
  }

  async list(workspaceId: string, afterSeq: number, limit: number): Promise<AuditRecord[]> {
    const { rows } = await this.sql.query<AuditRow>(
      'SELECT * FROM audit_log WHERE workspace_id = ? AND seq > ? ORDER BY seq LIMIT ?',
      [workspaceId, afterSeq, limit],
    );
    return rows.map(rowToAudit);
  }
}
