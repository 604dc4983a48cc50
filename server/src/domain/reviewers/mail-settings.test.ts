import { PASSWORD, useApprovalsWorld } from '../../test-support/approvals-world.js';
import { DATABASES } from '../../test-support/databases.js';
import { refusal } from '../../test-support/outcomes.js';
import { upsertUser } from '../admin/users.js';
import type { EmailMessage } from '../kernel/notifier.js';
import {
  isTimeZone,
  mailPreferences,
  parseMailSettings,
  setWorkspaceTimeZone,
  updateMailSettings,
} from './mail-settings.js';
import { humanTime, sendReviewMails } from './review-mail.js';

test('time zones are checked by Intl.DateTimeFormat; times read as people write them', () => {
  expect(['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'].map(isTimeZone)).toEqual([
    true,
    true,
    true,
    true,
  ]);
  expect(['', 'Mars/Olympus', 'Europe/Berlin; DROP', 'x'.repeat(65)].map(isTimeZone)).toEqual([
    false,
    false,
    false,
    false,
  ]);
  const at = Date.UTC(2026, 11, 1, 13, 5);
  expect(humanTime(at)).toBe('Tue 1 Dec 2026, 13:05 UTC');
  expect(humanTime(at, 'Europe/Berlin')).toBe('Tue 1 Dec 2026, 14:05 CET');
  expect(humanTime(Date.UTC(2026, 6, 1, 13, 5), 'Europe/Berlin')).toBe('Wed 1 Jul 2026, 15:05 CEST');
  expect(parseMailSettings({ timeZone: 'europe/berlin', mailMode: 'daily', mailsPerHour: '5' })).toEqual({
    timeZone: 'Europe/Berlin',
    mailMode: 'daily',
    mailsPerHour: 5,
  });
  expect(parseMailSettings({})).toEqual({ timeZone: null, mailMode: null, mailsPerHour: null });
});

test('bad settings are refused field by field', () => {
  try {
    parseMailSettings({ timeZone: 'Mars/Olympus', mailMode: 'weekly', mailsPerHour: '0' });
    throw new Error('accepted');
  } catch (error) {
    expect((error as { fieldErrors?: { path: string }[] }).fieldErrors?.map((f) => f.path)).toEqual([
      'timeZone',
      'mailMode',
      'mailsPerHour',
    ]);
  }
});

for (const database of DATABASES) {
  describe(`${database}: mail settings and the recipient's time zone`, () => {
    const w = useApprovalsWorld(database);

    test('stored per user and per workspace; UTC, each task and the default cap until set', async () => {
      const { userId } = await upsertUser(w, { email: 'tz@example.com', password: PASSWORD, role: 'reviewer' });
      expect(await w.store.read.users.findMailSettings(userId)).toEqual({
        timeZone: null,
        mailMode: null,
        mailsPerHour: null,
      });
      expect(await mailPreferences(w.store.read, w.workspaceId, userId)).toEqual({
        timeZone: 'UTC',
        mailMode: 'each',
        mailsPerHour: 20,
      });
      expect(await setWorkspaceTimeZone(w, w.workspaceId, 'america/new_york')).toBe('America/New_York');
      expect(await w.store.read.workspaces.findTimeZone(w.workspaceId)).toBe('America/New_York');
      expect((await mailPreferences(w.store.read, w.workspaceId, userId)).timeZone).toBe('America/New_York');
      await updateMailSettings(w, userId, { timeZone: 'Europe/Berlin', mailMode: 'hourly', mailsPerHour: 3 });
      // The same values again are no error (MySQL counts matched rows, not changed ones).
      await updateMailSettings(w, userId, { timeZone: 'Europe/Berlin', mailMode: 'hourly', mailsPerHour: 3 });
      expect(await w.store.read.users.findMailSettings(userId)).toEqual({
        timeZone: 'Europe/Berlin',
        mailMode: 'hourly',
        mailsPerHour: 3,
      });
      expect(await mailPreferences(w.store.read, w.workspaceId, userId)).toEqual({
        timeZone: 'Europe/Berlin',
        mailMode: 'hourly',
        mailsPerHour: 3,
      });
      const bad = await refusal(setWorkspaceTimeZone(w, w.workspaceId, 'Nowhere/Land'));
      expect(bad.code).toBe('validation_failed');
      expect(await w.store.read.workspaces.findTimeZone(w.workspaceId)).toBe('America/New_York');
      await updateMailSettings(w, userId, {});
      expect(await w.store.read.users.findMailSettings(userId)).toEqual({
        timeZone: null,
        mailMode: null,
        mailsPerHour: null,
      });
      expect(await setWorkspaceTimeZone(w, w.workspaceId, null)).toBeNull();
    });

    test("review mail shows the deadline in each recipient's time zone, no raw ISO", async () => {
      const ops = await w.store.read.users.findByEmail('ops@example.com');
      await updateMailSettings(w, ops!.id, { timeZone: 'Europe/Berlin' });
      await setWorkspaceTimeZone(w, w.workspaceId, 'Asia/Kolkata');
      await w.queue('tz', { levels: [{ name: 'night', group: 'night' }] });
      w.now = Date.UTC(2026, 11, 1, 12, 5);
      const task = await w.create({ queue: 'tz', slaSeconds: 3600 });
      const mail: EmailMessage[] = [];
      const deps = {
        store: w.store,
        clock: w.clock,
        notifier: { send: async (m: EmailMessage) => void mail.push(m) },
        publicUrl: 'http://lg.test',
      };
      expect(await sendReviewMails(deps, w.workspaceId, task.id)).toBe(2);
      const deadline = (to: string) => /Deadline:\s+(.*)/.exec(mail.find((m) => m.to[0] === to)?.text ?? '')?.[1];
      expect(deadline('ops@example.com')).toBe('Tue 1 Dec 2026, 14:05 CET');
      // boss chose nothing: the workspace's zone.
      expect(deadline('boss@example.com')).toBe('Tue 1 Dec 2026, 18:35 GMT+5:30');
      expect(mail.map((m) => m.text).join('')).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
      await setWorkspaceTimeZone(w, w.workspaceId, null);
    });
  });
}
