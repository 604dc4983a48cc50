import type { AuditCheckpoint, AuditCheckpointRepository } from '../../domain/audit/checkpoint-ports.js';
import { insertRow, type Sql } from '../sql.js';

/** An `audit_checkpoints` row. */
interface AuditCheckpointRow {
  workspace_id: string;
  seq: number;
  hash: string;
  created_at: number;
  /** Base64 Ed25519 signature. */
  signature: string;
  key_id: string;
  /** SPKI PEM. */
  public_key: string;
}

function rowToCheckpoint(row: AuditCheckpointRow): AuditCheckpoint {
  return {
    workspaceId: row.workspace_id,
    seq: Number(row.seq),
    hash: row.hash,
    at: Number(row.created_at),
    signature: row.signature,
    keyId: row.key_id,
    publicKey: row.public_key,
  };
}

export class SqlAuditCheckpointRepository implements AuditCheckpointRepository {
  constructor(private readonly sql: Sql) {}

  async insert(checkpoint: AuditCheckpoint): Promise<boolean> {
    const row: AuditCheckpointRow = {
      workspace_id: checkpoint.workspaceId,
      seq: checkpoint.seq,
      hash: checkpoint.hash,
      created_at: checkpoint.at,
      signature: checkpoint.signature,
      key_id: checkpoint.keyId,
      public_key: checkpoint.publicKey,
    };
    return insertRow(this.sql, 'audit_checkpoints', row, { ignore: true });
  }

  async latest(workspaceId: string): Promise<AuditCheckpoint | null> {
    const { rows } = await this.sql.query<AuditCheckpointRow>(
      'SELECT * FROM audit_checkpoints WHERE workspace_id = ? ORDER BY seq DESC LIMIT 1',
      [workspaceId],
    );
    return rows[0] ? rowToCheckpoint(rows[0]) : null;
  }

  async list(workspaceId: string, afterSeq: number, limit: number): Promise<AuditCheckpoint[]> {
    const { rows } = await this.sql.query<AuditCheckpointRow>(
      'SELECT * FROM audit_checkpoints WHERE workspace_id = ? AND seq > ? ORDER BY seq LIMIT ?',
      [workspaceId, afterSeq, limit],
    );
    return rows.map(rowToCheckpoint);
  }
}
