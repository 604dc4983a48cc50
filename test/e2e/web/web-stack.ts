import net from 'node:net';
import { SMTPServer } from 'smtp-server';
import {
  createTestDatabase,
  type TestDatabase,
  type TestDatabaseHandle,
} from '../../../server/src/test-support/databases.js';
import { runCli, type ServerProcess, startServerProcess } from '../../../server/src/test-support/server-process.js';

export const PASSWORD = 'correct horse battery';

export interface ReceivedMail {
  to: string[];
  raw: string;
  /** The body with quoted-printable soft breaks and escapes undone. */
  text: string;
}

/** A real SMTP server on 127.0.0.1 that keeps what it receives (no TLS, no auth: loopback only). */
export async function startSmtp(): Promise<{ port: number; mails: ReceivedMail[]; close(): Promise<void> }> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        raw += chunk;
      });
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw, text: decodeQuotedPrintable(raw) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function decodeQuotedPrintable(raw: string): string {
  if (!/Content-Transfer-Encoding: quoted-printable/i.test(raw)) return raw;
  return raw
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface WebStack {
  url: string;
  server: ServerProcess;
  db: TestDatabaseHandle;
  keys: { admin: string; reviewer: string };
  smtp: Awaited<ReturnType<typeof startSmtp>>;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are whatever the API sent; the tests assert their shape
  api(path: string, init?: { method?: string; body?: unknown; key?: string }): Promise<{ status: number; body: any }>;
  /** Stops the server process and starts it again on the same port and database. */
  restart(): Promise<void>;
  /** Another server process on the same database (and a port of its own); the caller stops it. */
  startPeer(): Promise<ServerProcess>;
  stop(): Promise<void>;
}

/**
 * One Loopgate server process on a fresh database of the given kind (dropped by `stop()`), mailing
 * through a real SMTP server, with users (admin, two reviewers in the "ops" group, a viewer), API keys
 * and a "support" queue.
 */
export async function startWebStack(database: TestDatabase): Promise<WebStack> {
  const smtp = await startSmtp();
  const db = await createTestDatabase(database);
  let server: ServerProcess | undefined;
  const stop = async () => {
    await server?.stop();
    await smtp.close();
    await db.drop();
  };
  try {
    const port = await freePort();
    const env = { DATABASE_URL: db.url, DATA_DIR: db.dataDir };
    const keys = createUsersAndKeys(env);
    const serverEnv = (onPort: number) => ({
      ...env,
      PORT: String(onPort),
      LOOPGATE_PUBLIC_URL: `http://127.0.0.1:${onPort}`,
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      LOOPGATE_SLA_SWEEP_SECONDS: '0',
    });
    server = await startServerProcess(serverEnv(port));
    const url = server.url;
    const api: WebStack['api'] = async (path, init = {}) => {
      const res = await fetch(`${url}${path}`, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers: { Authorization: `Bearer ${init.key ?? keys.admin}`, 'Content-Type': 'application/json' },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };
    const group = await api('/api/v1/reviewer-groups', {
      body: { name: 'ops', members: ['rev@example.com', 'rev2@example.com'] },
    });
    if (group.status !== 201) throw new Error(`group: ${JSON.stringify(group.body)}`);
    const queue = await api('/api/v1/queues', { body: { name: 'support', config: { reviewerGroups: ['ops'] } } });
    if (queue.status !== 201) throw new Error(`queue: ${JSON.stringify(queue.body)}`);
    const stack: WebStack = {
      url,
      server,
      db,
      keys,
      smtp,
      api,
      async restart() {
        await server?.stop();
        server = await startServerProcess(serverEnv(port));
        stack.server = server;
      },
      async startPeer() {
        return startServerProcess(serverEnv(await freePort()));
      },
      stop,
    };
    return stack;
  } catch (error) {
    // A MySQL database outlives the test process: drop it (and stop the server) when set-up fails half way.
    await stop();
    throw error;
  }
}

function createUsersAndKeys(env: NodeJS.ProcessEnv): WebStack['keys'] {
  const users: [string, string][] = [
    ['admin@example.com', 'admin'],
    ['rev@example.com', 'reviewer'],
    ['rev2@example.com', 'reviewer'],
    ['view@example.com', 'viewer'],
  ];
  for (const [email, role] of users) {
    const out = runCli(['user', 'create', '--email', email, '--role', role, '--password-stdin'], env, PASSWORD);
    if (out.status !== 0) throw new Error(`user create failed: ${out.stderr}`);
  }
  const key = (role: string) => {
    const out = runCli(['api-key', 'create', '--role', role, '--name', `e2e-${role}`], env);
    if (out.status !== 0) throw new Error(`api-key create failed: ${out.stderr}`);
    return out.stdout.trim();
  };
  return { admin: key('admin'), reviewer: key('reviewer') };
}
