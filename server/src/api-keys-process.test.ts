import { OPERATOR } from './domain/audit/record-audit.js';
import { openStore } from './store/open-store.js';
import { createTestDatabase, DATABASES } from './test-support/databases.js';
import { runCli, type ServerProcess, startServerProcess } from './test-support/server-process.js';
import { until } from './test-support/until.js';

/**
 * The key lifecycle across real processes: the `loopgate api-key list/revoke` CLI against a running
 * server's database, and revocations heard by every server process through Redis at once, well inside
 * the 5-second authentication cache. Runs the compiled server and CLI (`npm run build` first).
 */
const REDIS_URL = process.env.LOOPGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function call(server: ServerProcess, key: string, method: string, path: string, body?: object) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, string> };
}

function listRows(env: NodeJS.ProcessEnv, ...args: string[]) {
  const out = runCli(['api-key', 'list', ...args], env);
  expect([out.status, out.stderr]).toEqual([0, '']);
  const [header, ...rows] = out.stdout.trimEnd().split('\n');
  expect(header).toBe('id\tprefix\tworkspace\tname\trole\tcreated\tlast_used\tcreated_by');
  return rows.map((row) => {
    const [id, prefix, workspace, name, role, created, lastUsed, createdBy] = row.split('\t');
    return { id, prefix, workspace, name, role, created, lastUsed, createdBy };
  });
}

for (const database of DATABASES) {
  describe(`${database}: loopgate api-key list and revoke`, () => {
    test('list shows active keys with creator and last use; revoke by prefix or id refuses the key at once', async () => {
      const db = await createTestDatabase(database);
      const env = { DATABASE_URL: db.url, DATA_DIR: db.dataDir, REDIS_URL };
      const server = await startServerProcess(env);
      try {
        const admin = runCli(['api-key', 'create', '--role', 'admin', '--name', 'ops'], env).stdout.trim();
        const n8n = await call(server, admin, 'POST', '/api/v1/api-keys', { name: 'n8n', role: 'reviewer' });
        expect(n8n.status).toBe(201);
        expect((await call(server, n8n.body.key as string, 'GET', '/api/v1/me')).status).toBe(200);
        const adminId = (await call(server, admin, 'GET', '/api/v1/me')).body.actor as unknown as { id: string };

        // The server records last use off the request path; the CLI sees it once it has landed.
        const rows = await until('the n8n key to show a last use', () => {
          const listed = listRows(env);
          return listed.find((r) => r.name === 'n8n')?.lastUsed !== '-' ? listed : undefined;
        });
        expect(rows).toEqual([
          {
            id: adminId.id,
            prefix: expect.stringMatching(/^lg_[0-9a-z]{8}$/),
            workspace: 'default',
            name: 'ops',
            role: 'admin',
            created: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
            lastUsed: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
            createdBy: `system:${OPERATOR.name}`,
          },
          {
            id: n8n.body.id,
            prefix: n8n.body.prefix,
            workspace: 'default',
            name: 'n8n',
            role: 'reviewer',
            created: n8n.body.createdAt,
            lastUsed: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
            createdBy: `api_key:${adminId.id}`,
          },
        ]);
        // Never a secret.
        expect(runCli(['api-key', 'list'], env).stdout).not.toContain(admin.slice(12));

        expect(runCli(['workspace', 'create', 'acme'], env).status).toBe(0);
        runCli(['api-key', 'create', '--role', 'viewer', '--name', 'acme-bot', '--workspace', 'acme'], env);
        expect(listRows(env, '--workspace', 'acme').map((r) => [r.workspace, r.name])).toEqual([['acme', 'acme-bot']]);
        expect(listRows(env).map((r) => r.name)).toEqual(['ops', 'n8n', 'acme-bot']);
        const unknownWorkspace = runCli(['api-key', 'list', '--workspace', 'nope'], env);
        expect([unknownWorkspace.status, unknownWorkspace.stderr]).toEqual([1, expect.stringContaining('not found')]);

        // Fill the server's cache right before: the revocation must not wait for it to run out.
        expect((await call(server, n8n.body.key as string, 'GET', '/api/v1/me')).status).toBe(200);
        const revoked = runCli(['api-key', 'revoke', n8n.body.prefix as string], env);
        expect([revoked.status, revoked.stdout]).toEqual([0, `${n8n.body.id}\n`]);
        expect((await call(server, n8n.body.key as string, 'GET', '/api/v1/me')).status).toBe(401);
        expect(listRows(env).map((r) => r.name)).toEqual(['ops', 'acme-bot']);

        const twice = runCli(['api-key', 'revoke', n8n.body.id as string], env);
        expect([twice.status, twice.stderr]).toEqual([1, expect.stringContaining('not found')]);
        const byId = runCli(['api-key', 'revoke', listRows(env, '--workspace', 'acme')[0]?.id ?? ''], env);
        expect(byId.status).toBe(0);
        expect(listRows(env).map((r) => r.name)).toEqual(['ops']);
      } finally {
        await server.stop();
      }

      const store = await openStore(db.config);
      try {
        const workspaces = await store.read.workspaces.list();
        const entries = (await Promise.all(workspaces.map((w) => store.read.audit.list(w.id, 0, 100)))).flat();
        expect(entries.map((e) => [e.action, e.actor.name, e.data && (e.data as { name: string }).name])).toEqual([
          ['api_key.created', OPERATOR.name, 'ops'],
          ['api_key.created', 'ops', 'n8n'],
          ['api_key.revoked', OPERATOR.name, 'n8n'],
          ['api_key.created', OPERATOR.name, 'acme-bot'],
          ['api_key.revoked', OPERATOR.name, 'acme-bot'],
        ]);
      } finally {
        await store.close();
        await db.drop();
      }
    }, 90_000);
  });
}

const mysqlOnly = DATABASES.includes('mysql') ? describe : describe.skip;

mysqlOnly('mysql: a key revoked on one server process', () => {
  test('is refused by another process at once, though that process had it cached', async () => {
    const db = await createTestDatabase('mysql');
    const env = { DATABASE_URL: db.url, DATA_DIR: db.dataDir, REDIS_URL };
    const [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    try {
      const admin = runCli(['api-key', 'create', '--role', 'admin', '--name', 'ops'], env).stdout.trim();
      for (let round = 0; round < 3; round++) {
        const created = await call(a, admin, 'POST', '/api/v1/api-keys', { name: `ci-${round}`, role: 'reviewer' });
        expect(created.status).toBe(201);
        const key = created.body.key as string;
        // Both processes now hold the key in their 5-second cache.
        expect((await call(b, key, 'GET', '/api/v1/me')).status).toBe(200);
        expect((await call(a, key, 'GET', '/api/v1/me')).status).toBe(200);
        expect((await call(a, admin, 'DELETE', `/api/v1/api-keys/${created.body.id}`)).status).toBe(204);
        const refused = await call(b, key, 'GET', '/api/v1/me');
        expect([refused.status, refused.body.code]).toEqual([401, 'unauthorized']);
        expect((await call(a, key, 'GET', '/api/v1/me')).status).toBe(401);
      }
      // B lists what A changed.
      const listed = await call(b, admin, 'GET', '/api/v1/api-keys');
      expect((listed.body.data as unknown as { name: string }[]).map((k) => k.name)).toEqual(['ops']);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await db.drop();
    }
  }, 90_000);
});
