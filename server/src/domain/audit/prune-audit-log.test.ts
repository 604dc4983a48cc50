import { openStore } from '../../store/open-store.js';
import { createTestDatabase, DATABASES, type TestDatabaseHandle } from '../../test-support/databases.js';
import { rawDataSource } from '../../test-support/raw-data-source.js';
import { createWorkspace } from '../admin/workspaces.js';
import type { Store } from '../store.js';
import { pruneAuditLogs } from './prune-audit-log.js';
import { OPERATOR, recordAudit } from './record-audit.js';
import { verifyAuditLog } from './verify-audit-log.js';

const DAY = 24 * 60 * 60 * 1000;
const NOW = Date.UTC(2026, 11, 1);

for (const database of DATABASES) {
  describe(`${database}: audit retention`, () => {
    let db: TestDatabaseHandle;
    let store: Store;
    let slugs = 0;

    beforeAll(async () => {
      db = await createTestDatabase(database);
      store = await openStore(db.config);
    });
    afterAll(async () => {
      await store.close();
      await db.drop();
    });

    /** A workspace whose entry n was written `ages[n-1]` days before NOW. */
    async function logAged(ages: number[]): Promise<string> {
      slugs += 1;
      const workspace = await createWorkspace({ store, clock: () => NOW }, `retention-${slugs}`);
      for (const [i, age] of ages.entries()) {
        await store.transaction((tx) =>
          recordAudit(tx, {
            workspaceId: workspace.id,
            at: NOW - age * DAY,
            actor: OPERATOR,
            action: 'api_key.created',
            target: { type: 'api_key', id: `key_${i + 1}` },
            data: { i },
            requestId: null,
          }),
        );
      }
      return workspace.id;
    }
    const seqs = async (id: string) => (await store.read.audit.list(id, 0, 1000)).map((e) => [e.seq, e.action]);

    test('pruning removes the prefix older than the retention, writes one checkpoint, and the log still verifies', async () => {
      const id = await logAged([400, 300, 200, 190, 100, 10]);
      const result = await pruneAuditLogs({ store }, { now: NOW, retentionMs: 183 * DAY, batchSize: 2 });
      expect(result.entries).toBeGreaterThanOrEqual(4);
      expect(await seqs(id)).toEqual([
        [5, 'api_key.created'],
        [6, 'api_key.created'],
        [7, 'audit.pruned'],
      ]);
      const checkpoint = await store.read.audit.findBySeq(id, 7);
      expect(checkpoint?.data).toMatchObject({ lastPrunedSeq: 4 });
      expect(await verifyAuditLog({ store }, id)).toMatchObject({ ok: true, firstSeq: 5, lastSeq: 7, checked: 3 });

      // Nothing more is old enough: a second run changes nothing and writes no second checkpoint.
      const again = await pruneAuditLogs({ store }, { now: NOW, retentionMs: 183 * DAY, batchSize: 2 });
      expect(await seqs(id)).toHaveLength(3);
      expect(again.checkpoints).toBe(0);

      // Time passes: the next prune removes the old checkpoint too, and its own vouches for the rest.
      const later = NOW + 200 * DAY;
      await pruneAuditLogs({ store }, { now: later, retentionMs: 183 * DAY, batchSize: 2 });
      expect((await seqs(id)).map(([seq]) => seq)).toEqual([8]);
      expect(await verifyAuditLog({ store }, id)).toMatchObject({ ok: true, firstSeq: 8 });
      // New entries chain on after the checkpoint.
      await store.transaction((tx) =>
        recordAudit(tx, {
          workspaceId: id,
          at: later,
          actor: OPERATOR,
          action: 'board.configured',
          target: { type: 'board', id },
          data: null,
          requestId: null,
        }),
      );
      expect(await verifyAuditLog({ store }, id)).toMatchObject({ ok: true, checked: 2 });
    });

    test('a run stopped half-way still verifies, and the next run finishes the prefix', async () => {
      const id = await logAged([400, 399, 398, 397, 396, 1]);
      const controller = new AbortController();
      controller.abort();
      // Aborted before its first workspace: nothing happens at all.
      expect(
        await pruneAuditLogs({ store }, { now: NOW, retentionMs: 183 * DAY, batchSize: 2, signal: controller.signal }),
      ).toEqual({
        entries: 0,
        checkpoints: 0,
      });
      // Stop after the checkpoint and the first batch, as a process that stops would.
      let batches = 0;
      const stopping = new AbortController();
      const counting: Pick<Store, 'read' | 'transaction'> = {
        read: store.read,
        transaction: async (work) => {
          const out = await store.transaction(work);
          if (typeof out === 'number' && ++batches === 1) stopping.abort();
          return out;
        },
      };
      const onlyThis = {
        ...counting,
        read: { ...store.read, workspaces: { ...store.read.workspaces, list: async () => [{ id }] } },
      } as unknown as Pick<Store, 'read' | 'transaction'>;
      await pruneAuditLogs(
        { store: onlyThis },
        { now: NOW, retentionMs: 183 * DAY, batchSize: 2, signal: stopping.signal },
      );
      expect((await seqs(id)).map(([seq]) => seq)).toEqual([3, 4, 5, 6, 7]);
      expect(await verifyAuditLog({ store }, id)).toMatchObject({ ok: true, firstSeq: 3 });
      await pruneAuditLogs({ store }, { now: NOW, retentionMs: 183 * DAY, batchSize: 2 });
      expect((await seqs(id)).map(([seq]) => seq)).toEqual([6, 7]);
      expect(await verifyAuditLog({ store }, id)).toMatchObject({ ok: true, firstSeq: 6 });
    });

    test('a prefix deleted without a checkpoint, or a forged checkpoint hash, fails verification', async () => {
      const id = await logAged([400, 300, 1]);
      await pruneAuditLogs({ store }, { now: NOW, retentionMs: 183 * DAY, batchSize: 10 });
      expect(await verifyAuditLog({ store }, id)).toMatchObject({ ok: true });
      const raw = await rawDataSource(db, []);
      // A checkpoint naming another hash: the first kept entry no longer links to it.
      const [checkpoint] = await raw.query(
        "SELECT id, data FROM audit_log WHERE workspace_id = ? AND action = 'audit.pruned'",
        [id],
      );
      const forged = { ...JSON.parse(checkpoint.data), lastPrunedHash: 'a'.repeat(64) };
      await raw.query('UPDATE audit_log SET data = ? WHERE id = ?', [JSON.stringify(forged), checkpoint.id]);
      expect(await verifyAuditLog({ store }, id)).toMatchObject({ ok: false, seq: 3, reason: 'broken_link' });
      // Deleting a prefix behind retention's back, with no checkpoint for it: a gap.
      const bare = await logAged([5, 4, 3]);
      await raw.query('DELETE FROM audit_log WHERE workspace_id = ? AND seq = 1', [bare]);
      await raw.destroy();
      expect(await verifyAuditLog({ store }, bare)).toMatchObject({ ok: false, seq: 2, reason: 'gap' });
      // Keeping forever prunes nothing.
      const kept = await logAged([4000]);
      expect(await pruneAuditLogs({ store }, { now: NOW, retentionMs: null, batchSize: 10 })).toEqual({
        entries: 0,
        checkpoints: 0,
      });
      expect(await seqs(kept)).toHaveLength(1);
    });
  });
}
