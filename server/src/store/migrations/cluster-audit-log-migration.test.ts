import { createTestDatabase, DATABASES, type TestDatabaseHandle } from '../../test-support/databases.js';
import { rawDataSource } from '../../test-support/raw-data-source.js';
import { ClusterAuditLogBySeq1764840600000 } from './1764840600000-cluster-audit-log-by-seq.js';
import { MIGRATIONS } from './index.js';

const BEFORE = MIGRATIONS.slice(0, MIGRATIONS.indexOf(ClusterAuditLogBySeq1764840600000));
const LATER_AND_THIS = MIGRATIONS.length - MIGRATIONS.indexOf(ClusterAuditLogBySeq1764840600000);

const insertEntry = (seq: number, id: string) =>
  [
    `INSERT INTO audit_log (id, workspace_id, seq, created_at, actor_type, action, target_type, target_id, prev_hash, hash)
       VALUES (?, 'wsp_old', ?, 1, 'system', 'task.created', 'task', 'tsk_1', 'p', 'h')`,
    [id, seq],
  ] as const;

for (const database of DATABASES) {
  describe(`${database}: migration 1764840600000 (audit log keyed by workspace and seq)`, () => {
    let db: TestDatabaseHandle;

    beforeAll(async () => {
      db = await createTestDatabase(database);
      const before = await rawDataSource(db, BEFORE);
      await before.runMigrations();
      await before.query("INSERT INTO workspaces (id, slug, name, created_at) VALUES ('wsp_old', 'old', 'Old', 1)");
      await before.query(...insertEntry(1, 'aud_z'));
      await before.query(...insertEntry(2, 'aud_a'));
      await before.destroy();
    });
    afterAll(async () => {
      await db.drop();
    });

    test('entries survive, and both the entry id and (workspace, seq) stay unique', async () => {
      const source = await rawDataSource(db, MIGRATIONS);
      try {
        await source.runMigrations();
        const rows: { id: string; seq: unknown }[] = await source.query(
          "SELECT id, seq FROM audit_log WHERE workspace_id = 'wsp_old' ORDER BY seq",
        );
        expect(rows.map((row) => [row.id, Number(row.seq)])).toEqual([
          ['aud_z', 1],
          ['aud_a', 2],
        ]);
        await expect(source.query(...insertEntry(3, 'aud_z'))).rejects.toThrow(/duplicate|unique/i);
        await expect(source.query(...insertEntry(2, 'aud_new'))).rejects.toThrow(/duplicate|unique/i);
        if (database === 'mysql') {
          const primary: { Column_name: string }[] = await source.query(
            "SHOW INDEX FROM audit_log WHERE Key_name = 'PRIMARY'",
          );
          expect(primary.map((column) => column.Column_name)).toEqual(['workspace_id', 'seq']);
        }
      } finally {
        await source.destroy();
      }
    });

    test('down restores the id key, and up runs again', async () => {
      const source = await rawDataSource(db, MIGRATIONS);
      try {
        for (let i = 0; i < LATER_AND_THIS; i++) await source.undoLastMigration();
        if (database === 'mysql') {
          const primary: { Column_name: string }[] = await source.query(
            "SHOW INDEX FROM audit_log WHERE Key_name = 'PRIMARY'",
          );
          expect(primary.map((column) => column.Column_name)).toEqual(['id']);
        }
        await expect(source.query(...insertEntry(2, 'aud_new'))).rejects.toThrow(/duplicate|unique/i);
        await source.runMigrations();
        const counted: { n: unknown }[] = await source.query('SELECT COUNT(*) AS n FROM audit_log');
        expect(Number(counted[0]?.n)).toBe(2);
      } finally {
        await source.destroy();
      }
    });
  });
}
