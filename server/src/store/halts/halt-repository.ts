import type { HaltScope } from '@loopgate/shared';
import type { HaltRecord, HaltRepository, HaltTarget } from '../../domain/halts/halt-ports.js';
import { type ActorType, actorOrNull } from '../rows.js';
import { insertRow, placeholders, type Sql } from '../sql.js';

/** A `halts` row. */
interface HaltRow {
  id: string;
  workspace_id: string;
  scope: HaltScope;
  value: string | null;
  /** `<scope>:<value>` while active, NULL once resumed: the unique index allows one active halt per target. */
  active_key: string | null;
  reason: string | null;
  created_by_type: ActorType;
  created_by_id: string | null;
  created_by_name: string | null;
  created_at: number;
  resumed_by_type: ActorType | null;
  resumed_by_id: string | null;
  resumed_by_name: string | null;
  resumed_at: number | null;
}

/** The one spelling of a target's key, shared by the insert and the lookup. */
function activeKey(target: HaltTarget): string {
  return `${target.scope}:${target.value ?? ''}`;
}

function rowToHalt(row: HaltRow): HaltRecord {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    scope: row.scope,
    value: row.value,
    reason: row.reason,
    createdBy: { type: row.created_by_type, id: row.created_by_id, name: row.created_by_name },
    createdAt: Number(row.created_at),
    resumedBy: actorOrNull(row.resumed_by_type, row.resumed_by_id, row.resumed_by_name),
    resumedAt: row.resumed_at === null ? null : Number(row.resumed_at),
  };
}

export class SqlHaltRepository implements HaltRepository {
  constructor(private readonly sql: Sql) {}

  async insert(halt: HaltRecord): Promise<boolean> {
    const row: HaltRow = {
      id: halt.id,
      workspace_id: halt.workspaceId,
      scope: halt.scope,
      value: halt.value,
      active_key: activeKey(halt),
      reason: halt.reason,
      created_by_type: halt.createdBy.type,
      created_by_id: halt.createdBy.id,
      created_by_name: halt.createdBy.name,
      created_at: halt.createdAt,
      resumed_by_type: null,
      resumed_by_id: null,
      resumed_by_name: null,
      resumed_at: null,
    };
    return insertRow(this.sql, 'halts', row, { ignore: true });
  }

  async findById(workspaceId: string, id: string): Promise<HaltRecord | null> {
    const { rows } = await this.sql.query<HaltRow>('SELECT * FROM halts WHERE workspace_id = ? AND id = ?', [
      workspaceId,
      id,
    ]);
    return rows[0] ? rowToHalt(rows[0]) : null;
  }

  async findActive(workspaceId: string, targets: readonly HaltTarget[]): Promise<HaltRecord[]> {
    if (targets.length === 0) return [];
    const { rows } = await this.sql.query<HaltRow>(
      `SELECT * FROM halts WHERE workspace_id = ? AND active_key IN (${placeholders(targets.length)})
        ORDER BY created_at, id`,
      [workspaceId, ...targets.map(activeKey)],
    );
    return rows.map(rowToHalt);
  }

  async list(workspaceId: string, limit: number): Promise<HaltRecord[]> {
    const { rows } = await this.sql.query<HaltRow>(
      `SELECT * FROM halts WHERE workspace_id = ?
        ORDER BY CASE WHEN resumed_at IS NULL THEN 0 ELSE 1 END, COALESCE(resumed_at, -created_at) DESC, id
        LIMIT ?`,
      [workspaceId, limit],
    );
    return rows.map(rowToHalt);
  }

  async resume(workspaceId: string, id: string, by: HaltRecord['createdBy'], at: number): Promise<boolean> {
    const { affected } = await this.sql.query(
      `UPDATE halts SET active_key = NULL, resumed_by_type = ?, resumed_by_id = ?, resumed_by_name = ?, resumed_at = ?
        WHERE workspace_id = ? AND id = ? AND resumed_at IS NULL`,
      [by.type, by.id, by.name, at, workspaceId, id],
    );
    return affected === 1;
  }
}
