import { createHash, createPrivateKey, createPublicKey, verify } from 'node:crypto';
import { canonicalJson } from '@loopgate/shared';
import { createWorkspace } from '../domain/admin/workspaces.js';
import { auditSignerOf } from '../domain/audit/checkpoint-signer.js';
import { OPERATOR, recordAudit } from '../domain/audit/record-audit.js';
import { writeAuditCheckpoints } from '../domain/audit/write-audit-checkpoints.js';
import { openStore } from '../store/open-store.js';
import { createTestDatabase, DATABASES } from '../test-support/databases.js';
import { rawDataSource } from '../test-support/raw-data-source.js';
import { runCli } from '../test-support/server-process.js';

/** `loopgate audit verify` and `audit export` as an operator runs them (the compiled CLI: `npm run build` first). */
for (const database of DATABASES) {
  describe(`${database}: loopgate audit`, () => {
    test('verify names the broken seq and exits 1; export writes lines that verify with their prev_hash', async () => {
      const db = await createTestDatabase(database);
      const env = { DATABASE_URL: db.url, DATA_DIR: db.dataDir };
      const store = await openStore(db.config);
      try {
        const acme = await createWorkspace({ store, clock: Date.now }, 'acme');
        const other = await createWorkspace({ store, clock: Date.now }, 'other');
        for (const [workspace, n] of [
          [acme, 5],
          [other, 2],
        ] as const) {
          for (let i = 1; i <= n; i++) {
            await store.transaction((tx) =>
              recordAudit(tx, {
                workspaceId: workspace.id,
                at: 1_700_000_000_000 + i,
                actor: OPERATOR,
                action: 'api_key.created',
                target: { type: 'api_key', id: `key_${i}` },
                data: { i },
                requestId: null,
              }),
            );
          }
        }

        const fine = runCli(['audit', 'verify'], env);
        expect([fine.status, fine.stdout]).toEqual([
          0,
          expect.stringMatching(/^acme\tok\t5 entries through seq 5\nother\tok\t2 entries through seq 2\n$/),
        ]);

        const exported = runCli(['audit', 'export', '--workspace', 'acme'], env);
        expect(exported.status).toBe(0);
        const lines = exported.stdout
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l));
        expect(lines.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5]);
        for (const [i, line] of lines.entries()) {
          const { prevHash, hash, ...rest } = line;
          expect(createHash('sha256').update(prevHash).update(canonicalJson(rest)).digest('hex')).toBe(hash);
          if (i > 0) expect(prevHash).toBe(lines[i - 1].hash);
        }
        const csv = runCli(
          ['audit', 'export', '--workspace', 'acme', '--format', 'csv', '--from', '2023-11-14T22:13:20.003Z'],
          env,
        );
        expect(csv.stdout.split('\n')[0]).toMatch(/^seq,id,at,time,/);
        expect(csv.stdout.trimEnd().split('\n')).toHaveLength(1 + 3);

        const raw = await rawDataSource(db, []);
        await raw.query('DELETE FROM audit_log WHERE workspace_id = ? AND seq = 3', [acme.id]);
        await raw.destroy();
        const broken = runCli(['audit', 'verify'], env);
        expect(broken.status).toBe(1);
        expect(broken.stdout).toContain('acme\tbroken\tseq 3\tgap');
        expect(broken.stdout).toContain('other\tok');
        expect(broken.stderr).toContain('audit chain broken: acme at seq 3');
        const one = runCli(['audit', 'verify', '--workspace', 'other'], env);
        expect([one.status, one.stdout]).toEqual([0, expect.stringMatching(/^other\tok/)]);
        const after = runCli(['audit', 'verify', '--workspace', 'acme', '--from', '4'], env);
        expect(after.status).toBe(0);
      } finally {
        await store.close();
        await db.drop();
      }
    }, 90_000);

    test('keygen makes a key the server accepts; checkpoints are written out verifiable; verify checks them', async () => {
      const db = await createTestDatabase(database);
      const store = await openStore(db.config);
      try {
        const keygen = runCli(['audit', 'keygen'], { DATA_DIR: db.dataDir });
        expect(keygen.status).toBe(0);
        expect(keygen.stdout).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/);
        expect(keygen.stderr).toContain('-----BEGIN PUBLIC KEY-----');
        const signer = auditSignerOf(createPrivateKey(keygen.stdout));
        const env = { DATABASE_URL: db.url, DATA_DIR: db.dataDir, LOOPGATE_AUDIT_SIGNING_KEY: keygen.stdout };
        const acme = await createWorkspace({ store, clock: Date.now }, 'acme');
        for (let i = 1; i <= 4; i++) {
          await store.transaction((tx) =>
            recordAudit(tx, {
              workspaceId: acme.id,
              at: 1_700_000_000_000 + i,
              actor: OPERATOR,
              action: 'api_key.created',
              target: { type: 'api_key', id: `key_${i}` },
              data: { i },
              requestId: null,
            }),
          );
          if (i % 2 === 0) await writeAuditCheckpoints({ store, signer }, { now: 1_700_000_100_000 + i, every: 2 });
        }
        const listed = runCli(['audit', 'checkpoints', '--workspace', 'acme'], env);
        expect(listed.status).toBe(0);
        expect(listed.stderr).toContain(`2 checkpoints in workspace acme; this server signs with key ${signer.keyId}`);
        const checkpoints = listed.stdout
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l));
        expect(checkpoints.map((c) => c.seq)).toEqual([2, 4]);
        for (const { signature, publicKey, workspaceId, seq, hash, at } of checkpoints) {
          const message = Buffer.from(canonicalJson({ workspaceId, seq, hash, at }));
          expect(verify(null, message, createPublicKey(publicKey), Buffer.from(signature, 'base64'))).toBe(true);
        }
        const fine = runCli(['audit', 'verify'], env);
        expect([fine.status, fine.stdout]).toEqual([
          0,
          expect.stringContaining('acme\tok\t4 entries through seq 4, 2 checkpoints\n'),
        ]);

        const raw = await rawDataSource(db, []);
        await raw.query('UPDATE audit_checkpoints SET signature = ? WHERE seq = 4', [
          Buffer.alloc(64).toString('base64'),
        ]);
        await raw.destroy();
        const broken = runCli(['audit', 'verify', '--workspace', 'acme'], env);
        expect(broken.status).toBe(1);
        expect(broken.stdout).toContain('acme\tbroken\tseq 4\tcheckpoint_signature');

        const badKey = runCli(['audit', 'verify'], { ...env, LOOPGATE_AUDIT_SIGNING_KEY: 'not-a-key' });
        expect(badKey.status).toBe(1);
        expect(badKey.stderr).toContain('LOOPGATE_AUDIT_SIGNING_KEY: expected an Ed25519 private key');
        expect(badKey.stderr).not.toContain('not-a-key');
      } finally {
        await store.close();
        await db.drop();
      }
    }, 90_000);
  });
}
