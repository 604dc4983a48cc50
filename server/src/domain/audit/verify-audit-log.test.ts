import type { DataSource } from 'typeorm';
import { openStore } from '../../store/open-store.js';
import { createTestDatabase, DATABASES, type TestDatabaseHandle } from '../../test-support/databases.js';
import { rawDataSource } from '../../test-support/raw-data-source.js';
import { createWorkspace } from '../admin/workspaces.js';
import type { Store } from '../store.js';
import { entryHash } from './audit-chain.js';
import type { AuditEntry } from './audit-ports.js';
import { OPERATOR, recordAudit } from './record-audit.js';
import { verifyAuditLog } from './verify-audit-log.js';

const entry = (workspaceId: string, n: number): AuditEntry => ({
  workspaceId,
  at: 1_700_000_000_000 + n,
  actor: OPERATOR,
  action: 'api_key.created',
  target: { type: 'api_key', id: `key_${n}` },
  data: { name: `key ${n}` },
  requestId: null,
});

/** Tampering underneath the application, as someone with the database would: each is found at its seq. */
for (const database of DATABASES) {
  describe(`${database}: verifying the audit chain`, () => {
    let db: TestDatabaseHandle;
    let store: Store;
    let raw: DataSource;
    let slugs = 0;

    beforeAll(async () => {
      db = await createTestDatabase(database);
      store = await openStore(db.config);
      raw = await rawDataSource(db, []);
    });
    afterAll(async () => {
      await raw.destroy();
      await store.close();
      await db.drop();
    });

    /** A fresh workspace with `count` entries; small pages so the walk crosses page boundaries. */
    async function logOf(count: number): Promise<string> {
      slugs += 1;
      const workspace = await createWorkspace({ store, clock: Date.now }, `verify-${slugs}`);
      for (let n = 1; n <= count; n++) await store.transaction((tx) => recordAudit(tx, entry(workspace.id, n)));
      return workspace.id;
    }
    const verify = (workspaceId: string, fromSeq?: number) =>
      verifyAuditLog({ store }, workspaceId, { pageSize: 3, fromSeq });

    test('an untouched log verifies, whole or from a seq', async () => {
      const id = await logOf(8);
      expect(await verify(id)).toEqual({
        ok: true,
        workspaceId: id,
        checked: 8,
        firstSeq: 1,
        lastSeq: 8,
        checkpoints: { checked: 0, otherKeys: 0 },
      });
      expect(await verify(id, 5)).toMatchObject({ ok: true, checked: 4, firstSeq: 5 });
      const empty = await logOf(0);
      expect(await verify(empty)).toMatchObject({ ok: true, checked: 0 });
    });

    test('a flipped byte in an entry: hash mismatch at that seq', async () => {
      const id = await logOf(8);
      await raw.query(`UPDATE audit_log SET data = ? WHERE workspace_id = ? AND seq = 5`, ['{"name":"kez 5"}', id]);
      expect(await verify(id)).toMatchObject({ ok: false, seq: 5, reason: 'hash_mismatch', checked: 4 });
      // Verifying from before the tampering finds it too; from after it, the rest is fine.
      expect(await verify(id, 3)).toMatchObject({ ok: false, seq: 5 });
      expect(await verify(id, 6)).toMatchObject({ ok: true, checked: 3 });
    });

    test('a deleted row: a gap at its seq; a deleted last row: the head names it', async () => {
      const id = await logOf(8);
      await raw.query('DELETE FROM audit_log WHERE workspace_id = ? AND seq = 4', [id]);
      expect(await verify(id)).toMatchObject({ ok: false, seq: 4, reason: 'gap' });
      const tail = await logOf(8);
      await raw.query('DELETE FROM audit_log WHERE workspace_id = ? AND seq = 8', [tail]);
      expect(await verify(tail)).toMatchObject({ ok: false, seq: 8, reason: 'head_mismatch' });
      const head = await logOf(8);
      await raw.query('DELETE FROM audit_log WHERE workspace_id = ? AND seq <= 2', [head]);
      expect(await verify(head)).toMatchObject({ ok: false, seq: 3, reason: 'gap' });
    });

    test('two rows swapped: found at the first of the pair', async () => {
      const id = await logOf(8);
      // Swap seq 3 and 6 through a free number (the (workspace_id, seq) pair is unique).
      await raw.query('UPDATE audit_log SET seq = 1000 WHERE workspace_id = ? AND seq = 3', [id]);
      await raw.query('UPDATE audit_log SET seq = 3 WHERE workspace_id = ? AND seq = 6', [id]);
      await raw.query('UPDATE audit_log SET seq = 6 WHERE workspace_id = ? AND seq = 1000', [id]);
      expect(await verify(id)).toMatchObject({ ok: false, seq: 3, reason: 'hash_mismatch' });
    });

    test('an edited hash: found at that seq; a rewritten entry with a recomputed hash breaks the next link', async () => {
      const id = await logOf(8);
      await raw.query(`UPDATE audit_log SET hash = ? WHERE workspace_id = ? AND seq = 6`, ['f'.repeat(64), id]);
      expect(await verify(id)).toMatchObject({ ok: false, seq: 6, reason: 'hash_mismatch' });

      // Rewriting seq 2 and recomputing its hash the right way still breaks seq 3's link to it.
      const forged = await logOf(5);
      const [second] = await store.read.audit.list(forged, 1, 1);
      if (!second) throw new Error('no seq 2');
      const rewritten = { ...second, data: { name: 'forged' } };
      const { hash: _old, ...unhashed } = rewritten;
      await raw.query('UPDATE audit_log SET data = ?, hash = ? WHERE id = ?', [
        JSON.stringify(rewritten.data),
        entryHash(unhashed),
        second.id,
      ]);
      expect(await verify(forged)).toMatchObject({ ok: false, seq: 3, reason: 'broken_link' });
    });
  });
}
