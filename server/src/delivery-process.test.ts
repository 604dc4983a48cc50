import { createTestDatabase, DATABASES } from './test-support/databases.js';
import { startReceiver } from './test-support/receiver.js';
import { runCli, type ServerProcess, startServerProcess } from './test-support/server-process.js';
import { sseReader } from './test-support/sse.js';

/**
 * Decision delivery across real server processes: kill -9 between send and mark-delivered, and two
 * processes on one MySQL sharing decisions through Redis. Runs the compiled server (`npx tsc -b server`).
 */
const REDIS_URL = process.env.LOOPGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const deliveryEnv = {
  LOOPGATE_ALLOW_PRIVATE_CALLBACKS: 'true',
  LOOPGATE_WEBHOOK_TIMEOUT_MS: '1000',
  LOOPGATE_OUTBOX_POLL_MS: '100',
  LOG_LEVEL: 'info',
};

async function api(server: ServerProcess, key: string, method: string, path: string, body?: object) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

for (const database of DATABASES) {
  describe(`${database}: delivery survives kill -9`, () => {
    test('killed between send and mark-delivered: resent after restart with the same webhook-id and body', async () => {
      const db = await createTestDatabase(database);
      const receiver = await startReceiver();
      const env = { DATABASE_URL: db.url, DATA_DIR: db.dataDir, ...deliveryEnv };
      let server = await startServerProcess(env);
      try {
        const cli = runCli(['api-key', 'create', '--role', 'admin', '--name', 'crash'], env);
        expect(cli.status).toBe(0);
        const key = cli.stdout.trim();
        receiver.respondWith(() => 'hold');
        const created = await api(server, key, 'POST', '/api/v1/tasks', {
          title: 'Pay invoice 77',
          payload: { invoice: 77 },
          callbackUrl: `${receiver.url}/resume`,
        });
        expect(created.status).toBe(201);
        const id = created.body.id as string;
        expect((await api(server, key, 'POST', `/api/v1/tasks/${id}/decision`, { action: 'approve' })).status).toBe(
          200,
        );
        const [first] = await receiver.waitFor(1);
        // The receiver has the request; the server has not heard back. Crash now.
        await server.kill();
        receiver.respondWith(() => 200);
        server = await startServerProcess(env);
        const [, second] = await receiver.waitFor(2, 20_000);
        expect(second?.headers['webhook-id']).toBe(first?.headers['webhook-id']);
        expect(second?.body).toBe(first?.body);
        expect(JSON.parse(second?.body ?? '{}')).toMatchObject({ type: 'task.decided', data: { taskId: id } });
        // The receiver has answered; the server records it a moment later.
        let row: { id: string; status: string; attempts: number } | undefined;
        for (let i = 0; i < 100 && row?.status !== 'delivered'; i++) {
          if (i > 0) await new Promise((resolve) => setTimeout(resolve, 50));
          const deliveries = await api(server, key, 'GET', `/api/v1/tasks/${id}/deliveries`);
          [row] = deliveries.body.data as { id: string; status: string; attempts: number }[];
        }
        expect(row).toMatchObject({ id: first?.headers['webhook-id'], status: 'delivered', attempts: 1 });
        expect(receiver.requests).toHaveLength(2);
      } finally {
        await server.stop();
        await receiver.close();
        await db.drop();
      }
    }, 60_000);
  });
}

const mysqlOnly = DATABASES.includes('mysql') ? describe : describe.skip;

mysqlOnly('mysql: two server processes with Redis', () => {
  test('a waiter and an SSE stream on process A hear a decision made on B; each delivery is sent once', async () => {
    const db = await createTestDatabase('mysql');
    const receiver = await startReceiver();
    const env = { DATABASE_URL: db.url, DATA_DIR: db.dataDir, REDIS_URL, ...deliveryEnv };
    const [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    const abort = new AbortController();
    try {
      const cli = runCli(['api-key', 'create', '--role', 'reviewer', '--name', 'two'], env);
      expect(cli.status).toBe(0);
      const key = cli.stdout.trim();
      const created = await api(a, key, 'POST', '/api/v1/tasks', { title: 'Ship order 9', payload: { order: 9 } });
      const id = created.body.id as string;

      const stream = await fetch(`${a.url}/api/v1/events?taskId=${id}`, {
        headers: { Authorization: `Bearer ${key}` },
        signal: abort.signal,
      });
      const events = sseReader(stream);
      await events.read(': connected');

      const started = Date.now();
      const waiting = api(a, key, 'GET', `/api/v1/tasks/${id}/wait?timeout=60`);
      // Let the long-poll reach A and subscribe before B decides.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await api(b, key, 'POST', `/api/v1/tasks/${id}/decision`, { action: 'approve' })).status).toBe(200);
      const waited = await waiting;
      expect(waited.body).toMatchObject({ id, status: 'approved' });
      // In-process events alone would hold A's waiter for its full 60 s timeout.
      expect(Date.now() - started).toBeLessThan(30_000);
      await events.read('"status":"approved"');

      // Decisions alternate between A and B; the two outboxes send each delivery exactly once.
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) {
        const server = i % 2 === 0 ? a : b;
        const task = await api(server, key, 'POST', '/api/v1/tasks', {
          title: `Task ${i}`,
          payload: { i },
          callbackUrl: `${receiver.url}/cb/${i}`,
        });
        ids.push(task.body.id as string);
        const other = i % 2 === 0 ? b : a;
        expect(
          (
            await api(other, key, 'POST', `/api/v1/tasks/${task.body.id}/decision`, {
              action: 'reject',
              comment: 'not this one',
            })
          ).status,
        ).toBe(200);
      }
      await receiver.waitFor(20);
      // Give a duplicate every chance to show up.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const webhookIds = receiver.requests.map((r) => r.headers['webhook-id']);
      expect(receiver.requests).toHaveLength(20);
      expect(new Set(webhookIds).size).toBe(20);
      expect(new Set(receiver.requests.map((r) => JSON.parse(r.body).data.taskId))).toEqual(new Set(ids));
    } finally {
      abort.abort();
      await Promise.all([a.stop(), b.stop()]);
      await receiver.close();
      await db.drop();
    }
  }, 90_000);
});
