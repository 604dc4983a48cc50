import { type MigrationInterface, type QueryRunner, TableColumn } from 'typeorm';
import { entryHash, GENESIS_HASH } from '../../domain/audit/audit-chain.js';
import type { AuditRecord } from '../../domain/audit/audit-ports.js';

interface LegacyAuditRow {
  id: string;
  workspace_id: string;
  seq: number | string;
  created_at: number | string;
  actor_type: AuditRecord['actor']['type'];
  actor_id: string | null;
  actor_name: string | null;
  actor_role: AuditRecord['actor']['role'];
  action: AuditRecord['action'];
  target_type: AuditRecord['target']['type'];
  target_id: string;
  data: string | null;
  request_id: string | null;
}

/**
 * Chains the audit log by hash (issue 16): `prev_hash` / `hash` on every entry and the last hash on
 * each workspace's head. Entries written before this migration are chained here, in seq order, by the
 * same definition new entries use, so a log verifies from its first entry whatever its age.
 * audit_log has no generated columns, so TypeORM's column helpers work on MySQL too.
 */
export class ChainAuditLog1764840000000 implements MigrationInterface {
  name = 'ChainAuditLog1764840000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const hash = { type: 'varchar', length: '64', default: `'${GENESIS_HASH}'` } as const;
    await queryRunner.addColumns('audit_log', [
      new TableColumn({ name: 'prev_hash', ...hash }),
      new TableColumn({ name: 'hash', ...hash }),
    ]);
    await queryRunner.addColumn('audit_heads', new TableColumn({ name: 'last_hash', ...hash }));

    const heads: { workspace_id: string }[] = await queryRunner.query('SELECT workspace_id FROM audit_heads');
    const workspaces = new Set(heads.map((head) => head.workspace_id));
    const logged: { workspace_id: string }[] = await queryRunner.query('SELECT DISTINCT workspace_id FROM audit_log');
    for (const row of logged) workspaces.add(row.workspace_id);
    for (const workspaceId of workspaces) {
      let prevHash = GENESIS_HASH;
      let afterSeq = 0;
      for (;;) {
        const rows: LegacyAuditRow[] = await queryRunner.query(
          'SELECT * FROM audit_log WHERE workspace_id = ? AND seq > ? ORDER BY seq LIMIT 500',
          [workspaceId, afterSeq],
        );
        if (rows.length === 0) break;
        for (const row of rows) {
          const seq = Number(row.seq);
          const hashed = entryHash({
            id: row.id,
            workspaceId,
            seq,
            at: Number(row.created_at),
            actor: { type: row.actor_type, id: row.actor_id, name: row.actor_name, role: row.actor_role },
            action: row.action,
            target: { type: row.target_type, id: row.target_id },
            data: row.data === null ? null : JSON.parse(row.data),
            requestId: row.request_id,
            prevHash,
          });
          await queryRunner.query('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?', [
            prevHash,
            hashed,
            row.id,
          ]);
          prevHash = hashed;
          afterSeq = seq;
        }
      }
      await queryRunner.query('UPDATE audit_heads SET last_hash = ? WHERE workspace_id = ?', [prevHash, workspaceId]);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('audit_heads', 'last_hash');
    await queryRunner.dropColumns('audit_log', ['prev_hash', 'hash']);
  }
}
