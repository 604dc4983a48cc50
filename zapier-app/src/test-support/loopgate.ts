import { createTestDatabase, type TestDatabaseHandle } from '../../../server/src/test-support/databases.js';
import { type ReceivedRequest, type Receiver, startReceiver } from '../../../server/src/test-support/receiver.js';
import { runCli, type ServerProcess, startServerProcess } from '../../../server/src/test-support/server-process.js';

/**
 * A real Loopgate server (compiled, SQLite in a temp dir) with keys made by the CLI, plus a local
 * receiver standing in for Zapier's callback and hook URLs. Private callbacks are allowed because
 * everything runs on 127.0.0.1.
 */
export interface Loopgate {
  url: string;
  keys: { zapier: string; reviewer: string; admin: string; viewer: string };
  receiver: Receiver;
  server: ServerProcess;
  /** Calls the API as the user of `key`; returns status and parsed body. */
  api<T = Record<string, unknown>>(
    key: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }>;
  /** The first request to `path` the receiver got (waits for it). */
  requestTo(path: string, timeoutMs?: number): Promise<ReceivedRequest>;
  stop(): Promise<void>;
}

export async function startLoopgate(extraEnv: Record<string, string> = {}): Promise<Loopgate> {
  const db: TestDatabaseHandle = await createTestDatabase('sqlite');
  const env = {
    DATABASE_URL: db.url,
    DATA_DIR: db.dataDir,
    LOOPGATE_ALLOW_PRIVATE_CALLBACKS: 'true',
    LOOPGATE_OUTBOX_POLL_MS: '100',
    LOOPGATE_WEBHOOK_TIMEOUT_MS: '2000',
    LOOPGATE_SLA_SWEEP_SECONDS: '1',
    ...extraEnv,
  };
  const server = await startServerProcess(env);
  const receiver = await startReceiver();
  const key = (role: string, name: string) => {
    const result = runCli(['api-key', 'create', '--role', role, '--name', name], env);
    if (result.status !== 0) throw new Error(`api-key create failed: ${result.stderr}`);
    return result.stdout.trim();
  };
  const keys = {
    zapier: key('reviewer', 'zapier'),
    reviewer: key('reviewer', 'dana'),
    admin: key('admin', 'admin'),
    viewer: key('viewer', 'viewer'),
  };
  return {
    url: server.url,
    keys,
    receiver,
    server,
    async api(key, method, path, body) {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text === '' ? ({} as never) : JSON.parse(text) };
    },
    async requestTo(path, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = receiver.requests.find((request) => request.path === path);
        if (found) return found;
        if (Date.now() > deadline) {
          throw new Error(`no request to ${path} within ${timeoutMs} ms; got ${receiver.requests.map((r) => r.path)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async stop() {
      await server.stop();
      await receiver.close();
      await db.drop();
    },
  };
}
