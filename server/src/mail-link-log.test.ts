import { SMTPServer } from 'smtp-server';
import { createTestDatabase, DATABASES } from './test-support/databases.js';
import { runCli, type ServerProcess, startServerProcess } from './test-support/server-process.js';
import { until } from './test-support/until.js';

const PASSWORD = 'correct horse battery';

interface LogLine {
  level: number;
  msg: string;
  reviewLink?: string;
  invitationLink?: string;
}

/** pino's real output of the process: one JSON object per line. */
function logLines(server: ServerProcess): LogLine[] {
  return server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

async function startSmtp(): Promise<{ port: number; received: string[]; close(): Promise<void> }> {
  const received: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        received.push(...session.envelope.rcptTo.map((r) => r.address));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Makes the server send one review mail and one invitation mail, through the API and the users page. */
async function sendBothMails(url: string, adminKey: string, tag: string): Promise<void> {
  const api = async (path: string, body: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${adminKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 201) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  };
  await api('/api/v1/reviewer-groups', { name: `ops-${tag}`, members: ['ops@example.com'] });
  await api('/api/v1/queues', { name: `support-${tag}`, config: { reviewerGroups: [`ops-${tag}`] } });
  await api('/api/v1/tasks', { title: 'Mail me', queue: `support-${tag}`, payload: { n: 1 } });

  const form = await fetch(`${url}/login`);
  const loginCsrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const login = await fetch(`${url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Cookie: (form.headers.get('set-cookie') ?? '').split(';')[0] ?? '',
    },
    body: new URLSearchParams({ _csrf: loginCsrf, email: 'ops@example.com', password: PASSWORD }),
  });
  const session =
    login.headers
      .getSetCookie()
      .find((c) => c.startsWith('lg_session='))
      ?.split(';')[0] ?? '';
  const users = await fetch(`${url}/admin/users`, { headers: { Cookie: session } });
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(await users.text())?.[1] ?? '';
  const invited = await fetch(`${url}/admin/users/invite`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: session },
    body: new URLSearchParams({ _csrf: csrf, email: `invitee-${tag}@example.com`, role: 'viewer' }),
  });
  if (invited.status !== 303) throw new Error(`invite: ${invited.status} ${await invited.text()}`);
}

for (const database of DATABASES) {
  describe(`${database}: mail links in the log`, () => {
    test('without SMTP_URL review and invitation links are logged at warn, saying why; with SMTP_URL never', async () => {
      const db = await createTestDatabase(database);
      const smtp = await startSmtp();
      const env = {
        DATABASE_URL: db.url,
        DATA_DIR: db.dataDir,
        LOOPGATE_ADMIN_EMAIL: 'ops@example.com',
        LOOPGATE_ADMIN_PASSWORD: PASSWORD,
        LOOPGATE_SLA_SWEEP_SECONDS: '0',
      };
      try {
        const adminKey = runCli(['api-key', 'create', '--role', 'admin', '--name', 'test'], env).stdout.trim();

        const offline = await startServerProcess(env);
        try {
          await sendBothMails(offline.url, adminKey, 'offline');
          const [review, invitation] = await until(
            'both links in the log',
            () => {
              const lines = logLines(offline);
              const found = [lines.find((l) => l.reviewLink), lines.find((l) => l.invitationLink)];
              return found[0] && found[1] ? found : undefined;
            },
            { timeoutMs: 15_000, intervalMs: 100 },
          );
          for (const line of [review, invitation]) {
            expect(line?.level).toBe(40);
            expect(line?.msg).toContain('no SMTP_URL is set, so nobody receives it');
            expect(line?.msg).toContain('its link is logged here instead');
          }
          expect(review?.reviewLink).toMatch(/\/review\/[\w-]{43}$/);
          expect(invitation?.invitationLink).toMatch(/\/invite\/[\w-]{43}$/);
        } finally {
          await offline.stop();
        }

        const online = await startServerProcess({ ...env, SMTP_URL: `smtp://127.0.0.1:${smtp.port}` });
        try {
          await sendBothMails(online.url, adminKey, 'online');
          await until(
            'both mails over SMTP',
            () =>
              smtp.received.includes('ops@example.com') && smtp.received.includes('invitee-online@example.com')
                ? true
                : undefined,
            { timeoutMs: 15_000, intervalMs: 100 },
          );
        } finally {
          await online.stop();
        }
        expect(online.output()).toContain('Loopgate is listening');
        expect(online.output()).not.toMatch(/\/(review|invite)\/[\w-]{43}/);
        expect(online.output()).not.toContain('SMTP_URL');
      } finally {
        await smtp.close();
        await db.drop();
      }
    }, 90_000);
  });
}
