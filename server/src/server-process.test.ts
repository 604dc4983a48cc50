import { createConnection } from 'mysql2/promise';
import { ConfigError, loadConfig } from './config.js';
import { createTestDatabase, DATABASES } from './test-support/databases.js';
import { runCli, startServerProcess } from './test-support/server-process.js';

describe('config', () => {
  test.each([
    [{ PORT: 'eighty' }, /PORT/],
    [{ DATABASE_URL: 'postgres://x/y' }, /DATABASE_URL must start with mysql:\/\//],
    [{ DATABASE_URL: 'mysql://root@127.0.0.1:3306/' }, /name the database/],
    [
      { LOOPGATE_ADMIN_EMAIL: 'a@b.co' },
      /LOOPGATE_ADMIN_PASSWORD: set LOOPGATE_ADMIN_EMAIL and LOOPGATE_ADMIN_PASSWORD together/,
    ],
    [{ LOOPGATE_ADMIN_EMAIL: 'a@b.co', LOOPGATE_ADMIN_PASSWORD: 'short' }, /at least 12 characters/],
    [{ LOOPGATE_PUBLIC_URL: 'ftp://x' }, /LOOPGATE_PUBLIC_URL/],
  ])('%j fails fast naming the setting', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  test('defaults: port 3000, SQLite under ./data, public URL from the port', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.database).toEqual({ kind: 'sqlite', file: expect.stringMatching(/data\/loopgate\.db$/) });
    expect(config.publicUrl).toBe('http://localhost:3000');
    expect(Object.isFrozen(config)).toBe(true);
  });

  test('a bad setting stops the real process with exit code 2 and the message on stderr', () => {
    const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
    const result = spawnSync(process.execPath, [require.resolve('../dist/main.js')], {
      env: { PATH: process.env.PATH, PORT: 'eighty' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('PORT');
  });
});

for (const database of DATABASES) {
  describe(`${database}: the server process and the loopgate CLI`, () => {
    test('first start creates the admin and migrates; CLI keys work against the running server', async () => {
      const db = await createTestDatabase(database);
      const env = {
        DATABASE_URL: db.url,
        DATA_DIR: db.dataDir,
        LOOPGATE_ADMIN_EMAIL: 'Ops@Example.com',
        LOOPGATE_ADMIN_PASSWORD: 'correct horse battery',
      };
      const server = await startServerProcess(env);
      try {
        expect(server.output()).toContain('created the first admin');
        const created = runCli(['api-key', 'create', '--role', 'reviewer', '--name', 'ci'], env);
        expect(created.status).toBe(0);
        expect(created.stdout).toMatch(/^lg_[0-9a-z]{8}_[0-9a-z]{40}\n$/);
        const key = created.stdout.trim();
        const res = await fetch(`${server.url}/api/v1/tasks`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ title: 'from the CLI key', payload: { ok: true } }),
        });
        expect(res.status).toBe(201);
        expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

        expect(runCli(['workspace', 'create', 'acme'], env)).toMatchObject({
          status: 0,
          stdout: expect.stringMatching(/^wsp_/),
        });
        const dup = runCli(['workspace', 'create', 'acme'], env);
        expect(dup.status).toBe(1);
        expect(dup.stderr).toContain('already exists');
        const acmeKey = runCli(['api-key', 'create', '--role', 'viewer', '--name', 'x', '--workspace', 'acme'], env);
        expect(acmeKey.stdout).toMatch(/^lg_/);
        const foreign = await fetch(`${server.url}/api/v1/tasks`, {
          headers: { Authorization: `Bearer ${acmeKey.stdout.trim()}` },
        });
        expect(((await foreign.json()) as { data: unknown[] }).data).toEqual([]);
        expect(runCli(['api-key', 'create', '--role', 'boss', '--name', 'x'], env).status).not.toBe(0);
        expect(
          runCli(['api-key', 'create', '--role', 'admin', '--name', 'x', '--workspace', 'nope'], env).stderr,
        ).toContain('not found');

        const user = runCli(
          ['user', 'create', '--email', 'rev@example.com', '--role', 'reviewer', '--password-stdin'],
          env,
          'a long enough password\n',
        );
        expect(user).toMatchObject({ status: 0, stdout: expect.stringMatching(/^usr_/) });
        const logIn = async (password: string) => {
          const form = await fetch(`${server.url}/login`);
          const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
          const cookie = (form.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
          const res = await fetch(`${server.url}/login`, {
            method: 'POST',
            redirect: 'manual',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie },
            body: new URLSearchParams({ _csrf: csrf, email: 'rev@example.com', password }),
          });
          const session = res.headers.getSetCookie().find((cookie) => cookie.startsWith('lg_session='));
          return { status: res.status, session: session?.split(';')[0] ?? '' };
        };
        const board = async (session: string) =>
          (await fetch(`${server.url}/board`, { redirect: 'manual', headers: { Cookie: session } })).status;
        const first = await logIn('a long enough password');
        expect([first.status, await board(first.session)]).toEqual([303, 200]);
        // user create on an existing user sets the role and leaves the password alone...
        runCli(
          ['user', 'create', '--email', 'rev@example.com', '--role', 'viewer', '--password-stdin'],
          env,
          'some other password\n',
        );
        expect((await logIn('some other password')).status).toBe(401);
        // ...set-password is the reset.
        expect(
          runCli(
            ['user', 'set-password', '--email', 'rev@example.com', '--password-stdin'],
            env,
            'the new password!\n',
          ),
        ).toMatchObject({ status: 0, stdout: user.stdout });
        // The reset ends the sessions opened with the old password.
        expect(await board(first.session)).toBe(303);
        expect((await logIn('the new password!')).status).toBe(303);
        expect((await logIn('a long enough password')).status).toBe(401);
        const unknown = runCli(
          ['user', 'set-password', '--email', 'nobody@example.com', '--password-stdin'],
          env,
          'the new password!\n',
        );
        expect([unknown.status, unknown.stderr]).toEqual([1, expect.stringContaining('not found')]);
        const short = runCli(
          ['user', 'set-password', '--email', 'rev@example.com', '--password-stdin'],
          env,
          'short\n',
        );
        expect([short.status, short.stderr]).toEqual([1, expect.stringContaining('12 characters')]);
        expect(runCli(['migrate'], env).status).toBe(0);
        const help = runCli(['--help'], env);
        for (const command of ['migrate', 'workspace', 'api-key', 'user']) expect(help.stdout).toContain(command);
      } finally {
        await server.stop();
      }
      // A second start must not create the admin again.
      const again = await startServerProcess(env);
      await again.stop();
      expect(again.output()).not.toContain('created the first admin');
      await db.drop();
    });
  });
}

const mysqlUrl = process.env.LOOPGATE_TEST_MYSQL_AVAILABLE;
(mysqlUrl ? describe : describe.skip)('mysql: database bootstrap', () => {
  test('DATABASE_URL naming a missing database creates it', async () => {
    const name = `lg_test_create_${Date.now()}`;
    const base = new URL(mysqlUrl as string);
    const server = await startServerProcess({
      DATABASE_URL: `${base.protocol}//${base.username}@${base.host}/${name}`,
    });
    await server.stop();
    const connection = await createConnection({
      host: base.hostname,
      port: Number(base.port || 3306),
      user: base.username || 'root',
    });
    const [rows] = await connection.query('SHOW DATABASES LIKE ?', [name]);
    await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await connection.end();
    expect(rows).toHaveLength(1);
  }, 60_000);

  test('an unreachable MySQL stops the start with a clear message', async () => {
    await expect(startServerProcess({ DATABASE_URL: 'mysql://root@127.0.0.1:1/loopgate' })).rejects.toThrow(
      /Cannot connect to MySQL at 127\.0\.0\.1:1/,
    );
  });
});
