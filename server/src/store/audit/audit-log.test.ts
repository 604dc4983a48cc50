import { createWorkspace } from '../../domain/admin/workspaces.js';
import { entryHash, GENESIS_HASH } from '../../domain/audit/audit-chain.js';
import type { AuditEntry } from '../../domain/audit/audit-ports.js';
import { OPERATOR, recordAudit } from '../../domain/audit/record-audit.js';
import { newId } from '../../domain/kernel/ids.js';
import type { Store } from '../../domain/store.js';
import { createTestDatabase, DATABASES, type TestDatabaseHandle } from '../../test-support/databases.js';
import { rawDataSource } from '../../test-support/raw-data-source.js';
import { CreateAuditLog1764740000000 } from '../migrations/1764740000000-create-audit-log.js';
import { ChainAuditLog1764840000000 } from '../migrations/1764840000000-chain-audit-log.js';
import { MIGRATIONS } from '../migrations/index.js';
import { openStore } from '../open-store.js';

const entry = (workspaceId: string, n: number): AuditEntry => ({
  workspaceId,
  at: 1_700_000_000_000 + n,
  actor: OPERATOR,
  action: 'api_key.created',
  target: { type: 'api_key', id: `key_${n}` },
  data: { n },
  requestId: null,
});

for (const database of DATABASES) {
  describe(`${database}: audit log`, () => {
    let db: TestDatabaseHandle;
    let store: Store;

    beforeAll(async () => {
      db = await createTestDatabase(database);
      store = await openStore(db.config);
    });
    afterAll(async () => {
      await store.close();
      await db.drop();
    });

    const log = (workspaceId: string) => store.read.audit.list(workspaceId, 0, 1000);

    test('concurrent writers to two workspaces: each log is numbered 1, 2, 3, … without gaps or duplicates', async () => {
      const [a, b] = await Promise.all([
        createWorkspace({ store, clock: Date.now }, 'audit-a'),
        createWorkspace({ store, clock: Date.now }, 'audit-b'),
      ]);
      const writes = Array.from({ length: 60 }, (_, n) =>
        store.transaction((tx) => recordAudit(tx, entry(n % 2 === 0 ? a.id : b.id, n))),
      );
      const records = await Promise.all(writes);
      for (const workspace of [a, b]) {
        const entries = await log(workspace.id);
        expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
        // Each call was told the number it wrote.
        const told = records.filter((r) => r.workspaceId === workspace.id).map((r) => r.seq);
        expect(told.sort((x, y) => x - y)).toEqual(entries.map((e) => e.seq));
      }
      expect((await log(a.id))[0]).toEqual({
        ...entry(a.id, 0),
        id: expect.stringMatching(/^aud_/),
        seq: 1,
        prevHash: GENESIS_HASH,
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
    });

    test('an entry comes back exactly as it was written, actor role and request id included', async () => {
      const workspace = await createWorkspace({ store, clock: Date.now }, 'audit-round-trip');
      const written: AuditEntry[] = [
        {
          ...entry(workspace.id, 1),
          actor: { type: 'user', id: 'usr_ann', name: 'Ann "admin"', role: 'admin' },
          action: 'api_key.revoked',
          data: null,
          requestId: 'req-1',
        },
        { ...entry(workspace.id, 2), data: { name: 'ünïcode <key>', roles: ['admin', 'viewer'] } },
      ];
      for (const each of written) await store.transaction((tx) => recordAudit(tx, each));
      expect(await log(workspace.id)).toEqual(
        written.map((each, i) => ({
          ...each,
          id: expect.stringMatching(/^aud_/),
          seq: i + 1,
          prevHash: expect.any(String),
          hash: expect.any(String),
        })),
      );
      expect(await store.read.audit.list(workspace.id, 1, 10)).toHaveLength(1);
      expect(await store.read.audit.list(workspace.id, 0, 1)).toHaveLength(1);
    });

    test('an entry whose transaction fails leaves no entry and no gap', async () => {
      const workspace = await createWorkspace({ store, clock: Date.now }, 'audit-rollback');
      await store.transaction((tx) => recordAudit(tx, entry(workspace.id, 1)));
      await expect(
        store.transaction(async (tx) => {
          await recordAudit(tx, entry(workspace.id, 2));
          throw new Error('the change failed');
        }),
      ).rejects.toThrow('the change failed');
      await store.transaction((tx) => recordAudit(tx, entry(workspace.id, 3)));
      expect((await log(workspace.id)).map((e) => [e.seq, e.data])).toEqual([
        [1, { n: 1 }],
        [2, { n: 3 }],
      ]);
    });

    test('each entry links to the one before and hashes prev_hash + its canonical JSON; the head keeps the last hash', async () => {
      const workspace = await createWorkspace({ store, clock: Date.now }, 'audit-chain');
      for (const n of [1, 2, 3]) await store.transaction((tx) => recordAudit(tx, entry(workspace.id, n)));
      const entries = await log(workspace.id);
      expect(entries.map((e) => e.prevHash)).toEqual([GENESIS_HASH, entries[0]?.hash, entries[1]?.hash]);
      for (const each of entries) {
        const { hash, ...unhashed } = each;
        expect(hash).toBe(entryHash(unhashed));
      }
      expect(await store.read.audit.head(workspace.id)).toEqual({ lastSeq: 3, lastHash: entries[2]?.hash });
    });

    test('a workspace without a head (made outside createWorkspace) gets one, numbered after its entries', async () => {
      const id = newId('workspace');
      await store.transaction((tx) => tx.workspaces.insert({ id, slug: 'headless', name: 'x', createdAt: 1 }));
      const concurrent = await Promise.all(
        [1, 2, 3, 4].map((n) => store.transaction((tx) => recordAudit(tx, entry(id, n)))),
      );
      expect(concurrent.map((r) => r.seq).sort()).toEqual([1, 2, 3, 4]);
      // The head goes missing (restored from a partial backup, say): the numbering still carries on.
      const raw = await rawDataSource(db, []);
      await raw.query('DELETE FROM audit_heads WHERE workspace_id = ?', [id]);
      await raw.destroy();
      const fifth = await store.transaction((tx) => recordAudit(tx, entry(id, 5)));
      expect(fifth.seq).toBe(5);
      // … and so does the chain: the restored head carries the fourth entry's hash.
      expect(fifth.prevHash).toBe((await store.read.audit.findBySeq(id, 4))?.hash);
    });
  });

  describe(`${database}: upgrading to the hash-chained audit log`, () => {
    test('entries written before the chain are chained in seq order, and new entries link to the last', async () => {
      const db = await createTestDatabase(database);
      const before = MIGRATIONS.indexOf(ChainAuditLog1764840000000);
      const old = await rawDataSource(db, MIGRATIONS.slice(0, before));
      await old.runMigrations();
      await old.query("INSERT INTO workspaces (id, slug, name, created_at) VALUES ('wsp_old', 'old', 'Old', 1)");
      await old.query("INSERT INTO audit_heads (workspace_id, last_seq) VALUES ('wsp_old', 2)");
      for (const seq of [1, 2]) {
        await old.query(
          `INSERT INTO audit_log (id, workspace_id, seq, created_at, actor_type, actor_id, actor_name, actor_role,
             action, target_type, target_id, data, request_id)
           VALUES (?, 'wsp_old', ?, ?, 'user', 'usr_a', 'Ann', 'admin', 'api_key.created', 'api_key', 'key_1', ?, NULL)`,
          [`aud_${seq}`, seq, 1000 + seq, JSON.stringify({ seq })],
        );
      }
      await old.destroy();
      const store = await openStore(db.config);
      try {
        const entries = await store.read.audit.list('wsp_old', 0, 10);
        expect(entries.map((e) => e.prevHash)).toEqual([GENESIS_HASH, entries[0]?.hash]);
        for (const { hash, ...unhashed } of entries) expect(hash).toBe(entryHash(unhashed));
        const third = await store.transaction((tx) => recordAudit(tx, entry('wsp_old', 3)));
        expect([third.seq, third.prevHash]).toEqual([3, entries[1]?.hash]);
      } finally {
        await store.close();
        await db.drop();
      }
    });
  });

  describe(`${database}: upgrading to the key lifecycle and audit log`, () => {
    test('existing workspaces get an empty log; existing keys have no creator and no last use', async () => {
      const db = await createTestDatabase(database);
      const before = MIGRATIONS.indexOf(CreateAuditLog1764740000000);
      const old = await rawDataSource(db, MIGRATIONS.slice(0, before));
      await old.runMigrations();
      await old.query("INSERT INTO workspaces (id, slug, name, created_at) VALUES ('wsp_old', 'old', 'Old', 1)");
      await old.query(
        `INSERT INTO api_keys (id, workspace_id, name, role, prefix, key_hash, created_at, revoked_at)
         VALUES ('key_old', 'wsp_old', 'legacy', 'admin', 'lg_oldoldol', 'hash', 2, NULL)`,
      );
      await old.destroy();

      const store = await openStore(db.config);
      try {
        const raw = await rawDataSource(db, []);
        const heads = await raw.query('SELECT workspace_id, last_seq FROM audit_heads');
        await raw.destroy();
        expect(
          heads.map((h: { workspace_id: string; last_seq: unknown }) => [h.workspace_id, Number(h.last_seq)]),
        ).toEqual([['wsp_old', 0]]);
        expect(await store.read.apiKeys.listActive('wsp_old')).toEqual([
          expect.objectContaining({ id: 'key_old', name: 'legacy', createdBy: null, lastUsedAt: null }),
        ]);
        const first = await store.transaction((tx) => recordAudit(tx, entry('wsp_old', 1)));
        expect(first.seq).toBe(1);
        expect(first.prevHash).toBe(GENESIS_HASH);
      } finally {
        await store.close();
        await db.drop();
      }
    });
  });
}
