import { generateKeyPairSync } from 'node:crypto';
import { createWorkspace } from '../../domain/admin/workspaces.js';
import type { AuditCheckpoint } from '../../domain/audit/checkpoint-ports.js';
import { auditSignerOf, checkpointSignatureProblem, signCheckpoint } from '../../domain/audit/checkpoint-signer.js';
import type { Store } from '../../domain/store.js';
import { createTestDatabase, DATABASES, type TestDatabaseHandle } from '../../test-support/databases.js';
import { openStore } from '../open-store.js';

const signer = auditSignerOf(generateKeyPairSync('ed25519').privateKey);

for (const database of DATABASES) {
  describe(`${database}: audit checkpoint repository`, () => {
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

    const checkpoint = (workspaceId: string, seq: number, at = 1_700_000_000_000 + seq): AuditCheckpoint =>
      signCheckpoint(signer, { workspaceId, seq, hash: String(seq % 10).repeat(64), at });

    test('a checkpoint comes back as written and still verifies; a second one at the same seq is skipped', async () => {
      const a = await createWorkspace({ store, clock: Date.now }, 'cp-a');
      const b = await createWorkspace({ store, clock: Date.now }, 'cp-b');
      expect(await store.read.auditCheckpoints.latest(a.id)).toBeNull();
      const first = checkpoint(a.id, 1000);
      expect(await store.transaction((tx) => tx.auditCheckpoints.insert(first))).toBe(true);
      // Another process signed the same head a moment later: its row does not go in, the first stays.
      expect(await store.transaction((tx) => tx.auditCheckpoints.insert(checkpoint(a.id, 1000, 9)))).toBe(false);
      expect(await store.read.auditCheckpoints.list(a.id, 0, 10)).toEqual([first]);
      const [stored] = await store.read.auditCheckpoints.list(a.id, 0, 10);
      if (!stored) throw new Error('not stored');
      expect(checkpointSignatureProblem(stored)).toBeNull();
      expect(await store.read.auditCheckpoints.list(b.id, 0, 10)).toEqual([]);
    });

    test('list pages by seq, oldest first; latest is the highest seq', async () => {
      const workspace = await createWorkspace({ store, clock: Date.now }, 'cp-pages');
      for (const seq of [3000, 1000, 2000, 4000]) {
        await store.transaction((tx) => tx.auditCheckpoints.insert(checkpoint(workspace.id, seq)));
      }
      const seqs = async (after: number, limit: number) =>
        (await store.read.auditCheckpoints.list(workspace.id, after, limit)).map((c) => c.seq);
      expect(await seqs(0, 2)).toEqual([1000, 2000]);
      expect(await seqs(2000, 10)).toEqual([3000, 4000]);
      expect((await store.read.auditCheckpoints.latest(workspace.id))?.seq).toBe(4000);
    });
  });
}
