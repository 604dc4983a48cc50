import type { Role } from '@loopgate/shared';
import type { AuditAction, AuditRecord, AuditRepository, AuditTargetType } from '../../domain/audit/audit-ports.js';
import type { JsonValue } from '../../domain/tasks/task-record.js';
import { insertIgnore, type Row, type Sql } from '../sql.js';

const strOrNull = (value: unknown) => (value === null || value === undefined ? null : String(value));

function rowToAudit(row: Row): AuditRecord {
  return {
    id: String(row.id),
    workspaceId: String(row.workspace_id),
    seq: Number(row.seq),
    at: Number(row.created_at),
    actor: {
      type: String(row.actor_type) as AuditRecord['actor']['type'],
      id: strOrNull(row.actor_id),
      name: strOrNull(row.actor_name),
      role: strOrNull(row.actor_role) as Role | null,
    },
    action: String(row.action) as AuditAction,
    target: { type: String(row.target_type) as AuditTargetType, id: String(row.target_id) },
    data: row.data === null || row.data === undefined ? null : (JSON.parse(String(row.data)) as JsonValue),
    requestId: strOrNull(row.request_id),
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
    const { rows } = await this.sql.query('SELECT last_seq FROM audit_heads WHERE workspace_id = ?', [workspaceId]);
    return Number(rows[0]?.last_seq);
  }

  private async advanceHead(workspaceId: string): Promise<boolean> {
    const { affected } = await this.sql.query('UPDATE audit_heads SET last_seq = last_seq + 1 WHERE workspace_id = ?', [
      workspaceId,
    ]);
    return affected === 1;
  }

  async startLog(workspaceId: string): Promise<void> {
    await this.sql.query(`${insertIgnore(this.sql.dialect)} audit_heads (workspace_id, last_seq) VALUES (?, 0)`, [
      workspaceId,
    ]);
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
    await this.sql.query(
      `INSERT INTO audit_log (id, workspace_id, seq, created_at, actor_type, actor_id, actor_name, actor_role,
         action, target_type, target_id, data, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        record.id,
        record.workspaceId,
        record.seq,
        record.at,
        record.actor.type,
        record.actor.id,
        record.actor.name,
        record.actor.role,
        record.action,
        record.target.type,
        record.target.id,
        record.data === null ? null : JSON.stringify(record.data),
        record.requestId,
      ],
    );
  }

  async list(workspaceId: string, afterSeq: number, limit: number): Promise<AuditRecord[]> {
    const { rows } = await this.sql.query(
      'SELECT * FROM audit_log WHERE workspace_id = ? AND seq > ? ORDER BY seq LIMIT ?',
      [workspaceId, afterSeq, limit],
    );
    return rows.map(rowToAudit);
  }
}
