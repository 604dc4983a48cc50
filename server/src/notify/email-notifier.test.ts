import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEmailNotifier } from './email-notifier.js';

test('without SMTP_URL each message is written as an .eml file under the mail directory', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'loopgate-mail-'));
  try {
    const notifier = createEmailNotifier({
      smtpUrl: null,
      mailDir: path.join(dir, 'mail'),
      from: 'Loopgate <lg@example.com>',
    });
    expect(notifier.mode).toBe('file');
    await notifier.send({ to: ['a@example.com', 'b@example.com'], subject: 'Reminder', text: 'Task tsk_1 is due' });
    await notifier.send({ to: ['a@example.com'], subject: 'Again', text: 'second' });
    const files = readdirSync(path.join(dir, 'mail'));
    expect(files).toHaveLength(2);
    const first = files
      .map((f) => readFileSync(path.join(dir, 'mail', f), 'utf8'))
      .find((m) => m.includes('Subject: Reminder'));
    expect(first).toMatch(/^From: Loopgate <lg@example.com>$/m);
    expect(first).toMatch(/^To: a@example.com, b@example.com$/m);
    expect(first).toContain('Task tsk_1 is due');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('with SMTP_URL it uses SMTP', () => {
  expect(
    createEmailNotifier({ smtpUrl: 'smtp://127.0.0.1:2525', mailDir: '/nonexistent', from: 'x@example.com' }).mode,
  ).toBe('smtp');
});
