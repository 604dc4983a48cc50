import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { canonicalJson } from '@loopgate/shared';
import type { DataSource } from 'typeorm';
import { openStore } from '../../store/open-store.js';
import { createTestDatabase, DATABASES, type TestDatabaseHandle } from '../../test-support/databases.js';
import { rawDataSource } from '../../test-support/raw-data-source.js';
import { createWorkspace } from '../admin/workspaces.js';
import type { Store } from '../store.js';
import { entryHash } from './audit-chain.js';
import type { AuditEntry } from './audit-ports.js';
import { auditSignerOf } from './checkpoint-signer.js';
import { OPERATOR, recordAudit } from './record-audit.js';
import { verifyAuditLog } from './verify-audit-log.js';
import { CHECKPOINT_MAX_AGE_MS, writeAuditCheckpoints } from './write-audit-checkpoints.js';

const T0 = 1_700_000_000_000;
const entry = (workspaceId: string, n: number): AuditEntry => ({
  workspaceId,
  at: T0 + n,
  actor: OPERATOR,
  action: 'api_key.created',
  target: { type: 'api_key', id: `key_${n}` },
  data: { n },
  requestId: null,
});

const signer = auditSignerOf(generateKeyPairSync('ed25519').privateKey);

for (const database of DATABASES) {
  describe(`${database}: signed audit checkpoints`, () => {
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

    async function logOf(count: number): Promise<string> {
      slugs += 1;
      const workspace = await createWorkspace({ store, clock: Date.now }, `checkpoints-${slugs}`);
      await append(workspace.id, 1, count);
      return workspace.id;
    }
    async function append(workspaceId: string, from: number, to: number): Promise<void> {
      for (let n = from; n <= to; n++) await store.transaction((tx) => recordAudit(tx, entry(workspaceId, n)));
    }
    const checkpointsOf = (workspaceId: string) => store.read.auditCheckpoints.list(workspaceId, 0, 100);
    /** One run of the writer for the test's workspace only (other tests' workspaces are signed too: harmless). */
    const sign = (now: number, every = 5) => writeAuditCheckpoints({ store, signer }, { now, every });

    test('the head is signed once `every` entries are past the last checkpoint; the signature verifies with node:crypto', async () => {
      const id = await logOf(4);
      await sign(T0 + 10);
      expect(await checkpointsOf(id)).toEqual([]);
      await append(id, 5, 5);
      await sign(T0 + 20);
      const [first, ...rest] = await checkpointsOf(id);
      expect(rest).toEqual([]);
      const fifth = await store.read.audit.findBySeq(id, 5);
      expect(first).toEqual({
        workspaceId: id,
        seq: 5,
        hash: fifth?.hash,
        at: T0 + 20,
        signature: expect.any(String),
        keyId: signer.keyId,
        publicKey: signer.publicKey,
      });
      // What an outsider does with an exported checkpoint and nothing of Loopgate's but canonical JSON.
      if (!first) throw new Error('no checkpoint');
      const message = canonicalJson({ workspaceId: id, seq: 5, hash: first.hash, at: first.at });
      expect(
        verify(null, Buffer.from(message), createPublicKey(first.publicKey), Buffer.from(first.signature, 'base64')),
      ).toBe(true);
      expect(
        verify(
          null,
          Buffer.from(message.replace('"seq":5', '"seq":6')),
          createPublicKey(first.publicKey),
          Buffer.from(first.signature, 'base64'),
        ),
      ).toBe(false);
      // Nothing new: nothing signed again.
      await sign(T0 + CHECKPOINT_MAX_AGE_MS * 3);
      expect(await checkpointsOf(id)).toHaveLength(1);
      expect(await verifyAuditLog({ store }, id, { currentKeyId: signer.keyId })).toMatchObject({
        ok: true,
        checked: 5,
        checkpoints: { checked: 1, otherKeys: 0 },
      });
    });

    test('fewer entries are signed once the oldest unsigned one is an hour old', async () => {
      const id = await logOf(2);
      await sign(T0 + 1 + CHECKPOINT_MAX_AGE_MS - 1, 1000);
      expect(await checkpointsOf(id)).toEqual([]);
      await sign(T0 + 1 + CHECKPOINT_MAX_AGE_MS, 1000);
      expect((await checkpointsOf(id)).map((c) => c.seq)).toEqual([2]);
    });

    test('writers on several processes at once store one checkpoint per head', async () => {
      const id = await logOf(5);
      const runs = await Promise.all([1, 2, 3, 4].map((n) => sign(T0 + 100 + n)));
      expect((await checkpointsOf(id)).map((c) => c.seq)).toEqual([5]);
      expect(runs.reduce((sum, run) => sum + run.written, 0)).toBeGreaterThanOrEqual(1);
    });

    test('a tampered checkpoint is named at its seq: signature, hash and key id', async () => {
      const id = await logOf(10);
      await sign(T0 + 100);
      await append(id, 11, 15);
      await sign(T0 + 200);
      expect((await checkpointsOf(id)).map((c) => c.seq)).toEqual([10, 15]);
      await raw.query('UPDATE audit_checkpoints SET created_at = created_at + 1 WHERE workspace_id = ? AND seq = 15', [
        id,
      ]);
      expect(await verifyAuditLog({ store }, id)).toMatchObject({
        ok: false,
        seq: 15,
        reason: 'checkpoint_signature',
        message: expect.stringContaining('signature does not verify'),
      });
      // Re-signed with another key while claiming to be this one: the key id gives it away.
      const forger = auditSignerOf(generateKeyPairSync('ed25519').privateKey);
      await raw.query('UPDATE audit_checkpoints SET public_key = ? WHERE workspace_id = ? AND seq = 10', [
        forger.publicKey,
        id,
      ]);
      expect(await verifyAuditLog({ store }, id)).toMatchObject({ ok: false, seq: 10, reason: 'checkpoint_signature' });
    });

    test('a log rewritten after a checkpoint (every hash recomputed) still chains, and the checkpoint finds it', async () => {
      const id = await logOf(6);
      await sign(T0 + 100);
      // Someone with the database edits entry 3 and recomputes every hash after it, and the head: the
      // chain alone cannot tell.
      const entries = await store.read.audit.list(id, 0, 100);
      let prevHash = entries[1]?.hash ?? '';
      for (const each of entries.slice(2)) {
        const data = each.seq === 3 ? { n: 333 } : each.data;
        const hash = entryHash({ ...each, data, prevHash });
        await raw.query('UPDATE audit_log SET data = ?, prev_hash = ?, hash = ? WHERE workspace_id = ? AND seq = ?', [
          JSON.stringify(data),
          prevHash,
          hash,
          id,
          each.seq,
        ]);
        prevHash = hash;
      }
      await raw.query('UPDATE audit_heads SET last_hash = ? WHERE workspace_id = ?', [prevHash, id]);
      expect(await verifyAuditLog({ store }, id)).toMatchObject({
        ok: false,
        checked: 6,
        seq: 6,
        reason: 'checkpoint_mismatch',
        message: expect.stringContaining('rewritten after it was signed'),
      });
    });

    test('entries cut off the end (head moved back with them) are found by the checkpoint past the end', async () => {
      const id = await logOf(5);
      await sign(T0 + 100);
      const fourth = await store.read.audit.findBySeq(id, 4);
      await raw.query('DELETE FROM audit_log WHERE workspace_id = ? AND seq = 5', [id]);
      await raw.query('UPDATE audit_heads SET last_seq = 4, last_hash = ? WHERE workspace_id = ?', [fourth?.hash, id]);
      expect(await verifyAuditLog({ store }, id)).toMatchObject({
        ok: false,
        seq: 5,
        reason: 'checkpoint_mismatch',
        message: expect.stringContaining('the log ends at seq 4'),
      });
    });

    test('checkpoints signed by an earlier key still verify, and are counted as such', async () => {
      const id = await logOf(5);
      await sign(T0 + 100);
      const next = auditSignerOf(generateKeyPairSync('ed25519').privateKey);
      await append(id, 6, 10);
      await writeAuditCheckpoints({ store, signer: next }, { now: T0 + 200, every: 5 });
      expect(await verifyAuditLog({ store }, id, { currentKeyId: next.keyId })).toMatchObject({
        ok: true,
        checkpoints: { checked: 2, otherKeys: 1 },
      });
    });
  });
}
