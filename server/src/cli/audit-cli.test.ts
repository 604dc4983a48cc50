import { createHash } from 'node:crypto';
import { canonicalJson } from '@loopgate/shared';
import { createWorkspace } from '../domain/admin/workspaces.js';
import { OPERATOR, recordAudit } from '../domain/audit/record-audit.js';
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
  });
}
