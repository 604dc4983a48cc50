import type { Role } from '@loopgate/shared';
import { GENESIS_HASH } from '../../domain/audit/audit-chain.js';
import type {
  AuditAction,
  AuditFilter,
  AuditHead,
  AuditRecord,
  AuditRepository,
  AuditTargetType,
} from '../../domain/audit/audit-ports.js';
import { type ActorType, type JsonText, parseJsonOrNull, stringifyOrNull } from '../rows.js';
import { deleteBatch, insertIgnore, insertRow, type Sql } from '../sql.js';

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
  /** The previous entry's hash (64 zeros for seq 1). */
  prev_hash: string;
  /** SHA-256 hex over prev_hash and the entry's canonical JSON (domain/audit/audit-chain.ts). */
  hash: string;
}

/** An `audit_heads` row: the last number a workspace's log gave out, and that entry's hash. */
interface AuditHeadRow {
  workspace_id: string;
  last_seq: number;
  last_hash: string;
}

function rowToAudit(row: AuditRow): AuditRecord {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    // MySQL's driver gives BIGINT as a string when it outgrows a double; ours never do.
    seq: Number(row.seq),
    at: Number(row.created_at),
    actor: { type: row.actor_type, id: row.actor_id, name: row.actor_name, role: row.actor_role },
    action: row.action,
    target: { type: row.target_type, id: row.target_id },
    data: parseJsonOrNull(row.data),
    requestId: row.request_id,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/**
 * The audit log and its per-workspace head. The head row (`audit_heads`) is the one thing concurrent
 * writers to a workspace contend for: `UPDATE … SET last_seq = last_seq + 1` takes its row lock on
 * MySQL (the others wait for the commit, then read the new value), and on SQLite every write
 * transaction is serialised already. Reading MAX(seq) instead would let two MySQL transactions see
 * the same maximum; the unique (workspace_id, seq) index is the guard that such a bug cannot pass.
 * The head also carries the last entry's hash, read under the same lock, so the chain's next link
 * never races either.
 */
export class SqlAuditRepository implements AuditRepository {
  constructor(private readonly sql: Sql) {}

  async nextSeq(workspaceId: string): Promise<{ seq: number; prevHash: string }> {
    if (!(await this.advanceHead(workspaceId))) {
      // No head: workspaces get theirs at creation (and from the migration), so this is a fallback.
      // Two first writers may both get here; on MySQL one of them then deadlocks and is run again.
      await this.restoreHead(workspaceId);
      if (!(await this.advanceHead(workspaceId))) throw new Error(`No audit log head for workspace ${workspaceId}`);
    }
    const { rows } = await this.sql.query<Pick<AuditHeadRow, 'last_seq' | 'last_hash'>>(
      'SELECT last_seq, last_hash FROM audit_heads WHERE workspace_id = ?',
      [workspaceId],
    );
    return { seq: Number(rows[0]?.last_seq), prevHash: String(rows[0]?.last_hash) };
  }

  private async advanceHead(workspaceId: string): Promise<boolean> {
    const { affected } = await this.sql.query('UPDATE audit_heads SET last_seq = last_seq + 1 WHERE workspace_id = ?', [
      workspaceId,
    ]);
    return affected === 1;
  }

  async startLog(workspaceId: string): Promise<void> {
    const head: AuditHeadRow = { workspace_id: workspaceId, last_seq: 0, last_hash: GENESIS_HASH };
    await insertRow(this.sql, 'audit_heads', head, { ignore: true });
  }

  /** A head from the entries already there, so a head that went missing cannot restart the numbering or the chain. */
  private async restoreHead(workspaceId: string): Promise<void> {
    const { rows } = await this.sql.query<Pick<AuditRow, 'seq' | 'hash'>>(
      'SELECT seq, hash FROM audit_log WHERE workspace_id = ? ORDER BY seq DESC LIMIT 1',
      [workspaceId],
    );
    const last = rows[0];
    await this.sql.query(
      `${insertIgnore(this.sql.dialect)} audit_heads (workspace_id, last_seq, last_hash) VALUES (?, ?, ?)`,
      [workspaceId, last ? Number(last.seq) : 0, last ? last.hash : GENESIS_HASH],
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
      prev_hash: record.prevHash,
      hash: record.hash,
    };
    await insertRow(this.sql, 'audit_log', row);
    // The head row is this transaction's already (nextSeq locked it), so this waits on nobody.
    await this.sql.query('UPDATE audit_heads SET last_hash = ? WHERE workspace_id = ? AND last_seq = ?', [
      record.hash,
      record.workspaceId,
      record.seq,
    ]);
  }

  async list(workspaceId: string, afterSeq: number, limit: number): Promise<AuditRecord[]> {
    const { rows } = await this.sql.query<AuditRow>(
      'SELECT * FROM audit_log WHERE workspace_id = ? AND seq > ? ORDER BY seq LIMIT ?',
      [workspaceId, afterSeq, limit],
    );
    return rows.map(rowToAudit);
  }

  async listMatching(
    workspaceId: string,
    filter: AuditFilter,
    afterSeq: number,
    limit: number,
  ): Promise<AuditRecord[]> {
    const where = ['workspace_id = ?', 'seq > ?'];
    const params: unknown[] = [workspaceId, afterSeq];
    const narrow = (condition: string, value: unknown) => {
      where.push(condition);
      params.push(value);
    };
    if (filter.from !== undefined) narrow('created_at >= ?', filter.from);
    if (filter.to !== undefined) narrow('created_at < ?', filter.to);
    if (filter.actorId !== undefined) narrow('actor_id = ?', filter.actorId);
    if (filter.taskId !== undefined) narrow("target_type = 'task' AND target_id = ?", filter.taskId);
    // Walks the (workspace_id, seq) unique index; the other conditions filter along it.
    const { rows } = await this.sql.query<AuditRow>(
      `SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`,
      [...params, limit],
    );
    return rows.map(rowToAudit);
  }

  async findBySeq(workspaceId: string, seq: number): Promise<AuditRecord | null> {
    const { rows } = await this.sql.query<AuditRow>('SELECT * FROM audit_log WHERE workspace_id = ? AND seq = ?', [
      workspaceId,
      seq,
    ]);
    return rows[0] ? rowToAudit(rows[0]) : null;
  }

  async head(workspaceId: string): Promise<AuditHead | null> {
    const { rows } = await this.sql.query<AuditHeadRow>('SELECT * FROM audit_heads WHERE workspace_id = ?', [
      workspaceId,
    ]);
    const row = rows[0];
    return row ? { lastSeq: Number(row.last_seq), lastHash: row.last_hash } : null;
  }

  async latestPruneCheckpoint(workspaceId: string): Promise<AuditRecord | null> {
    const { rows } = await this.sql.query<AuditRow>(
      "SELECT * FROM audit_log WHERE workspace_id = ? AND action = 'audit.pruned' ORDER BY seq DESC LIMIT 1",
      [workspaceId],
    );
    return rows[0] ? rowToAudit(rows[0]) : null;
  }

  async lastSeqBefore(workspaceId: string, before: number): Promise<number> {
    const { rows } = await this.sql.query<{ last: number | null }>(
      'SELECT MAX(seq) AS last FROM audit_log WHERE workspace_id = ? AND created_at < ?',
      [workspaceId, before],
    );
    return Number(rows[0]?.last ?? 0);
  }

  async prunePrefix(workspaceId: string, throughSeq: number, limit: number): Promise<number> {
    const { affected } = await this.sql.query(
      deleteBatch(this.sql.dialect, 'audit_log', 'workspace_id = ? AND seq <= ? ORDER BY seq'),
      [workspaceId, throughSeq, limit],
    );
    return affected;
  }
}
