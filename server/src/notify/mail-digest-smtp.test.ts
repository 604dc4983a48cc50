import { upsertUser } from '../domain/admin/users.js';
import { sendDueDigests } from '../domain/reviewers/mail-digest.js';
import { updateMailSettings } from '../domain/reviewers/mail-settings.js';
import { openReviewLink } from '../domain/reviewers/review-links.js';
import { digestDueAt, offerReviewLinks, type ReviewMailDeps } from '../domain/reviewers/review-mail.js';
import { cancelTask } from '../domain/tasks/cancel-task.js';
import { PASSWORD, useApprovalsWorld } from '../test-support/approvals-world.js';
import { DATABASES } from '../test-support/databases.js';
import { startSmtp } from '../test-support/smtp.js';
import { renderReviewMailHtml } from '../web/kit/mail.js';
import { createEmailNotifier } from './email-notifier.js';

const HOUR = 3_600_000;
const tokensIn = (text: string) => [...text.matchAll(/Review & modify:\s+\S+\/review\/([\w-]+)/g)].map((m) => m[1]!);

test('hourly digests go out at the next full hour; daily ones at 08:00 in the reader’s time zone', () => {
  const at = Date.UTC(2026, 11, 1, 13, 5);
  expect(digestDueAt('hourly', at, 'UTC')).toBe(Date.UTC(2026, 11, 1, 14, 0));
  expect(digestDueAt('daily', at, 'UTC')).toBe(Date.UTC(2026, 11, 2, 8, 0));
  expect(digestDueAt('daily', at, 'Europe/Berlin')).toBe(Date.UTC(2026, 11, 2, 7, 0));
  expect(digestDueAt('daily', at, 'Asia/Kolkata')).toBe(Date.UTC(2026, 11, 2, 2, 30));
});

for (const database of DATABASES) {
  describe(`${database}: digests and the hourly cap (real SMTP)`, () => {
    const w = useApprovalsWorld(database);
    let smtp: Awaited<ReturnType<typeof startSmtp>>;
    let deps: ReviewMailDeps;
    const mailsTo = (email: string) => smtp.mails.filter((m) => m.to.includes(email));

    beforeAll(async () => {
      smtp = await startSmtp();
      deps = {
        store: w.store,
        clock: w.clock,
        notifier: createEmailNotifier({
          smtpUrl: smtp.url,
          mailDir: '/nonexistent',
          from: 'Loopgate <lg@example.com>',
        }),
        publicUrl: 'https://lg.example.com',
        renderHtml: renderReviewMailHtml,
      };
      const dig = await upsertUser(w, { email: 'digest@example.com', password: PASSWORD, role: 'reviewer' });
      const cap = await upsertUser(w, { email: 'capped@example.com', password: PASSWORD, role: 'reviewer' });
      await updateMailSettings(w, dig.userId, { mailMode: 'hourly' });
      await updateMailSettings(w, cap.userId, { mailsPerHour: 3 });
      await w.group('digesters', [dig.userId]);
      await w.group('cappers', [cap.userId]);
      await w.queue('digested', { levels: [{ name: 'one', group: 'digesters' }] });
      await w.queue('capped', { levels: [{ name: 'one', group: 'cappers' }] });
    });
    afterAll(() => smtp.close());

    test('an hourly digest groups the tasks, one link set each, and leaves out a task closed before it', async () => {
      smtp.mails.length = 0;
      w.now = Date.UTC(2026, 11, 1, 13, 5);
      const tasks = [];
      for (const title of ['Digest one', 'Digest two', 'Digest three']) {
        const task = await w.create({ queue: 'digested', title });
        tasks.push(task);
        expect((await offerReviewLinks(deps, w.workspaceId, task.id)).sent).toBe(0);
        // Hearing of the same task again queues it once.
        await offerReviewLinks(deps, w.workspaceId, task.id);
      }
      await cancelTask(w.deps, w.as('reviewer'), tasks[2]!.id, { reason: 'not needed' });
      expect(mailsTo('digest@example.com')).toHaveLength(0);
      // Not due before the full hour.
      w.now = Date.UTC(2026, 11, 1, 13, 59);
      expect(await sendDueDigests(deps)).toBe(0);
      w.now = Date.UTC(2026, 11, 1, 14, 0);
      expect(await sendDueDigests(deps)).toBe(1);
      expect(await sendDueDigests(deps)).toBe(0);
      const [digest, ...more] = mailsTo('digest@example.com');
      expect(more).toHaveLength(0);
      expect(digest!.subject).toBe('[Loopgate] Digest: 2 tasks need your review');
      expect(digest!.text).toContain('Digest one');
      expect(digest!.text).toContain('Digest two');
      expect(digest!.text).not.toContain('Digest three');
      const tokens = tokensIn(digest!.text);
      expect(tokens).toHaveLength(2);
      const opened = await Promise.all(tokens.map(async (token) => (await openReviewLink(w, token)).task.id));
      expect(opened.sort()).toEqual([tasks[0]!.id, tasks[1]!.id].sort());
      // Offered again later (another change of the same task): they hold live links, nothing is queued.
      await offerReviewLinks(deps, w.workspaceId, tasks[0]!.id);
      w.now += HOUR;
      expect(await sendDueDigests(deps)).toBe(0);
    });

    test('the hourly cap holds: three mails, the rest folded into the next digest', async () => {
      smtp.mails.length = 0;
      w.now = Date.UTC(2026, 11, 1, 15, 10);
      const titles = ['Cap 1', 'Cap 2', 'Cap 3', 'Cap 4', 'Cap 5'];
      for (const title of titles) {
        const task = await w.create({ queue: 'capped', title });
        await offerReviewLinks(deps, w.workspaceId, task.id);
        w.now += 60_000;
      }
      const now = mailsTo('capped@example.com');
      expect(now.map((m) => m.subject)).toEqual(['Cap 1', 'Cap 2', 'Cap 3'].map((t) => `[Loopgate] Review: ${t}`));
      w.now = Date.UTC(2026, 11, 1, 16, 0);
      expect(await sendDueDigests(deps)).toBe(1);
      const all = mailsTo('capped@example.com');
      expect(all).toHaveLength(4);
      expect(all[3]!.subject).toBe('[Loopgate] Digest: 2 tasks need your review');
      expect(all[3]!.text).toContain('Cap 4');
      expect(all[3]!.text).toContain('Cap 5');
      expect(tokensIn(all[3]!.text)).toHaveLength(2);
    });
  });
}
