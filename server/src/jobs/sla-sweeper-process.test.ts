import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { createTestDatabase, DATABASES } from '../test-support/databases.js';
import { runCli, type ServerProcess, startServerProcess } from '../test-support/server-process.js';

/**
 * Several server processes over one MySQL, each running the node-cron SLA sweeper every second,
 * with hundreds of tasks breaching the same instant: every escalation step and every timeout must
 * happen exactly once (one event each, one e-mail each), whichever process gets there first.
 * SQLite is one process's embedded database, so this is a MySQL-only test.
 */
const TASKS = 300;
const PROCESSES = 3;

for (const database of DATABASES.filter((d) => d === 'mysql')) {
  describe(`${database}: SLA sweeper across ${PROCESSES} server processes`, () => {
    test(`${TASKS} tasks breaching at once: each step applied exactly once`, async () => {
      const db = await createTestDatabase(database);
      const env = {
        DATABASE_URL: db.url,
        DATA_DIR: db.dataDir,
        LOOPGATE_SLA_SWEEP_SECONDS: '1',
        LOOPGATE_ADMIN_EMAIL: 'ops@example.com',
        LOOPGATE_ADMIN_PASSWORD: 'correct horse battery',
      };
      const servers: ServerProcess[] = [];
      try {
        servers.push(await startServerProcess(env));
        const key = runCli(['api-key', 'create', '--role', 'admin', '--name', 'ci'], env).stdout.trim();
        expect(key).toMatch(/^lg_/);
        const reviewer = runCli(['user', 'create', '--email', 'night@example.com', '--role', 'reviewer'], {
          ...env,
          LOOPGATE_USER_PASSWORD: 'correct horse battery',
        });
        expect(reviewer.status).toBe(0);
        for (let i = 1; i < PROCESSES; i++) servers.push(await startServerProcess(env));

        const call = async (url: string, method: string, route: string, body?: unknown) => {
          const res = await fetch(`${url}${route}`, {
            method,
            headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
            body: body === undefined ? undefined : JSON.stringify(body),
          });
          return { status: res.status, body: (await res.json()) as Record<string, unknown> };
        };
        const base = servers[0]!.url;
        expect(
          (await call(base, 'POST', '/api/v1/reviewer-groups', { name: 'night', members: ['night@example.com'] }))
            .status,
        ).toBe(201);
        const queue = await call(base, 'POST', '/api/v1/queues', {
          name: 'burst',
          config: {
            levels: [{ name: 'night', group: 'night' }],
            escalation: [
              { action: 'reminder', afterSeconds: 0 },
              { action: 'raise_priority', afterSeconds: 1 },
            ],
            timeoutAfterSeconds: 2,
          },
        });
        expect(queue.status).toBe(201);

        // Created with a distant deadline through the API (so routing, assignment and the sweep index
        // are set as in production), then all moved to one deadline, so they breach at the same instant
        // however long creating them took on a busy machine.
        const dueAt = new Date(Date.now() + 3_600_000).toISOString();
        const ids: string[] = [];
        for (let batch = 0; batch < TASKS; batch += 20) {
          const created = await Promise.all(
            Array.from({ length: Math.min(20, TASKS - batch) }, (_, i) =>
              call(servers[(batch + i) % PROCESSES]!.url, 'POST', '/api/v1/tasks', {
                title: `burst ${batch + i}`,
                payload: { n: batch + i },
                queue: 'burst',
                dueAt,
              }),
            ),
          );
          for (const res of created) {
            expect([res.status, res.body.detail]).toEqual([201, undefined]);
            ids.push(res.body.id as string);
          }
        }

        let reviewMails = 0;
        const conn = await createConnection({ ...mysqlOptions(db.url) });
        try {
          const breach = Date.now() + 1_500;
          const [moved] = await conn.query(
            "UPDATE tasks SET due_at = ?, next_sweep_at = ? WHERE queue = 'burst' AND status = 'pending_review'",
            [breach, breach],
          );
          expect((moved as { affectedRows: number }).affectedRows).toBe(TASKS);
          const deadline = Date.now() + 40_000;
          let expired = 0;
          while (Date.now() < deadline) {
            const [rows] = await conn.query("SELECT COUNT(*) AS n FROM tasks WHERE status = 'expired'");
            expired = Number((rows as { n: number }[])[0]!.n);
            if (expired === TASKS) break;
            await new Promise((resolve) => setTimeout(resolve, 250));
          }
          expect(expired).toBe(TASKS);

          const [eventRows] = await conn.query('SELECT task_id, type, data FROM task_events ORDER BY seq');
          const perTask = new Map<string, string[]>();
          for (const row of eventRows as { task_id: string; type: string; data: string | null }[]) {
            const step = row.type === 'escalated' ? `escalated:${JSON.parse(row.data ?? '{}').step}` : row.type;
            perTask.set(row.task_id, [...(perTask.get(row.task_id) ?? []), step]);
          }
          for (const id of ids) {
            expect([id, perTask.get(id)]).toEqual([
              id,
              ['created', 'escalated:reminder', 'escalated:raise_priority', 'expired'],
            ]);
          }
          const [dueLeft] = await conn.query('SELECT COUNT(*) AS n FROM tasks WHERE next_sweep_at IS NOT NULL');
          expect(Number((dueLeft as { n: number }[])[0]!.n)).toBe(0);
          // The reviewer's hourly cap (20 by default) held across the three processes: the other review
          // mails wait as digest items (the tasks expired since, so the digest will leave them out).
          const [slots] = await conn.query('SELECT COUNT(*) AS n FROM mail_sends');
          const [waiting] = await conn.query('SELECT COUNT(*) AS n FROM mail_digest_items');
          reviewMails = Number((slots as { n: number }[])[0]!.n);
          expect(reviewMails + Number((waiting as { n: number }[])[0]!.n)).toBe(TASKS);
        } finally {
          await conn.end();
        }

        // Review mail up to the cap (links live past the moved deadline, so none is renewed); no reminder,
        // since its only recipient holds a live link or waits for a digest; one escalation notice per task.
        const mails = readdirSync(path.join(db.dataDir, 'mail'))
          .filter((f) => f.endsWith('.eml'))
          .map((f) => readFileSync(path.join(db.dataDir, 'mail', f), 'utf8'))
          // Undo quoted-printable soft line breaks and escapes, so body text can be matched.
          .map((mail) =>
            mail
              .replace(/=\r?\n/g, '')
              .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
          );
        expect(mails.filter((mail) => mail.includes('Review & modify:'))).toHaveLength(reviewMails);
        expect(reviewMails).toBeGreaterThanOrEqual(20);
        // 20 an hour; the burst may straddle one full hour.
        expect(reviewMails).toBeLessThanOrEqual(40);
        expect(mails.filter((mail) => mail.includes('is still waiting for a decision'))).toHaveLength(0);
        expect(mails.filter((mail) => mail.includes('is overdue and has been escalated'))).toHaveLength(TASKS);

        // The work really was shared: the steps each process logged add up to exactly three per task.
        // Stopped first, so every process has flushed its last log lines.
        await Promise.all(
          servers.map(async (server) => {
            const drained = new Promise((resolve) =>
              server.child.stdout?.readableEnded ? resolve(null) : server.child.stdout?.once('end', resolve),
            );
            await server.stop();
            await drained;
          }),
        );
        const appliedBy = servers.map((server) =>
          server
            .output()
            .split('\n')
            .filter((line) => line.includes('"msg":"SLA sweep"'))
            .reduce((sum, line) => sum + Number(JSON.parse(line).applied), 0),
        );
        expect(appliedBy.reduce((a, b) => a + b, 0)).toBe(TASKS * 3);
        expect(appliedBy.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
      } finally {
        await Promise.all(servers.map((server) => server.stop()));
        await db.drop();
      }
    }, 180_000);
  });
}

function mysqlOptions(url: string) {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 3306),
    user: decodeURIComponent(parsed.username || 'root'),
    password: decodeURIComponent(parsed.password),
    database: parsed.pathname.replace(/^\//, ''),
  };
}
