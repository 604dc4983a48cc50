import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli, type ServerProcess, startServerProcess } from '../../../server/src/test-support/server-process.js';
import { Loopgate } from '../client.js';

/**
 * The real server (server/dist over SQLite in a temp directory) as a child process, with an agent's
 * key and a person's (two reviewers: separation of duties keeps a task's creator from deciding it).
 * `restart()` stops and starts it on the same port and data, as a deploy would.
 */
export interface RealServer {
  url: string;
  /** The agent's API key, for a process of its own (an example run as a user would). */
  agentKey: string;
  agent: Loopgate;
  person: Loopgate;
  /** An admin's client (revoking approvals, halting). */
  admin: Loopgate;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRealServer(): Promise<RealServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'loopgate-sdk-'));
  const env = { DATA_DIR: dataDir, PORT: String(await freePort()), LOOPGATE_OUTBOX_POLL_MS: '100' };
  const key = (name: string, role = 'reviewer') =>
    runCli(['api-key', 'create', '--role', role, '--name', name], env).stdout.trim().split('\n').at(-1) ?? '';
  const agentKey = key('agent');
  const personKey = key('person');
  const adminKey = key('admin', 'admin');
  let server: ServerProcess = await startServerProcess(env);
  return {
    url: server.url,
    agentKey,
    agent: new Loopgate({ baseUrl: server.url, apiKey: agentKey }),
    person: new Loopgate({ baseUrl: server.url, apiKey: personKey }),
    admin: new Loopgate({ baseUrl: server.url, apiKey: adminKey }),
    async restart() {
      await server.stop();
      server = await startServerProcess(env);
    },
    async stop() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function pause(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once `find` returns something, checking every 20 ms (for tests waiting on another party). */
export async function eventually<T>(find: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('eventually: nothing turned up in time');
    await pause(20);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
