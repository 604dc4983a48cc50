import pino from 'pino';
import { startReviewMailer } from '../../jobs/review-mailer.js';
import { PASSWORD, useApprovalsWorld } from '../../test-support/approvals-world.js';
import { DATABASES } from '../../test-support/databases.js';
import { upsertUser } from '../admin/users.js';
import { sweepOnce } from '../approvals/sla-sweeper.js';
import type { EmailMessage } from '../kernel/notifier.js';
import { openReviewLink } from './review-links.js';
import { offerReviewLinks, type ReviewMailDeps } from './review-mail.js';

/** The modify link of a review mail (null for a notice without links). */
function modifyToken(message: EmailMessage): string | null {
  return /Review & modify:\s+\S+\/review\/([\w-]+)/.exec(message.text)?.[1] ?? null;
}

for (const database of DATABASES) {
  describe(`${database}: review mail around escalation`, () => {
    const w = useApprovalsWorld(database);
    const sent: EmailMessage[] = [];
    let reviewMail: ReviewMailDeps;

    beforeAll(async () => {
      const carol = await upsertUser(w, { email: 'carol@example.com', password: PASSWORD, role: 'reviewer' });
      // boss is in both groups: night first, late after the reassign.
      await w.group('late', [carol.userId, 'boss@example.com']);
      await w.queue('handover', {
        levels: [{ name: 'night', group: 'night' }],
        escalation: [
          { action: 'reassign', afterSeconds: 0, group: 'late' },
          { action: 'reminder', afterSeconds: 60 },
        ],
        timeoutAfterSeconds: 600,
      });
      reviewMail = {
        store: w.store,
        clock: w.clock,
        notifier: { send: async (message) => void sent.push(message) },
        publicUrl: 'http://loopgate.test',
      };
    });

    test('a reassign at the deadline mails the new group links that open, once; a reminder re-mails nobody who holds one', async () => {
      // The wiring of server.ts: the bus-driven mailer plus the sweeper's own call before its notice.
      const mailer = startReviewMailer({ ...reviewMail, bus: w.bus, logger: pino({ level: 'silent' }) });
      const sweeper = {
        ...w.sweeper,
        notifier: reviewMail.notifier,
        offerReviewLinks: (task: { workspaceId: string; id: string }, since: number) =>
          offerReviewLinks(reviewMail, task.workspaceId, task.id, { since }),
      };
      try {
        sent.length = 0;
        const task = await w.create({ queue: 'handover', slaSeconds: 300 });
        await mailer.idle();
        expect(sent.map((m) => m.to[0]).sort()).toEqual(['boss@example.com', 'ops@example.com']);
        const opsToken = modifyToken(sent.find((m) => m.to[0] === 'ops@example.com')!)!;

        // At the deadline the sweeper hands the task to the late group.
        sent.length = 0;
        w.now = Date.parse(task.dueAt!);
        expect((await sweepOnce(sweeper)).applied).toBe(1);
        await mailer.idle();
        // One mail each for carol (new) and boss (links died at the deadline): review mail with links, no
        // second link-less notice on top.
        expect(sent.map((m) => m.to[0]).sort()).toEqual(['boss@example.com', 'carol@example.com']);
        for (const message of sent) {
          expect(message.subject).toBe('[Loopgate] Escalated to you: Refund');
          const token = modifyToken(message);
          expect(token).not.toBeNull();
          // Long after the deadline, while the task is open, the link still opens.
          w.now = Date.parse(task.dueAt!) + 59_000;
          await expect(openReviewLink(w, token!)).resolves.toMatchObject({ task: { id: task.id } });
        }
        // A link made before the deadline still ends at it.
        await expect(openReviewLink(w, opsToken)).rejects.toMatchObject({ code: 'review_link_invalid' });

        // The reminder step: carol and boss hold live links, so nobody is mailed again.
        sent.length = 0;
        w.now = Date.parse(task.dueAt!) + 60_000;
        expect((await sweepOnce(sweeper)).applied).toBe(1);
        await mailer.idle();
        expect((await w.events(task.id)).at(-1)?.data?.step).toBe('reminder');
        expect(sent).toEqual([]);

        // A further change of the open task (another sweep, a claim) sends nothing either.
        await sweepOnce(sweeper);
        await mailer.idle();
        expect(sent).toEqual([]);
      } finally {
        await mailer.stop();
      }
    });

    test('two processes offering the same expired links send one mail per reviewer', async () => {
      sent.length = 0;
      const task = await w.create({ queue: 'handover', slaSeconds: 300 });
      const before = await offerReviewLinks(reviewMail, w.workspaceId, task.id);
      expect(before.sent).toBe(2);
      // Past the deadline (no sweep yet): both processes find boss's and ops's links expired.
      w.now = Date.parse(task.dueAt!) + 1_000;
      sent.length = 0;
      const [a, b] = await Promise.all([
        offerReviewLinks(reviewMail, w.workspaceId, task.id),
        offerReviewLinks(reviewMail, w.workspaceId, task.id),
      ]);
      expect(a.sent + b.sent).toBe(2);
      expect(sent.map((m) => m.to[0]).sort()).toEqual(['boss@example.com', 'ops@example.com']);
      expect(sent[0]?.subject).toBe('[Loopgate] Overdue, still needs review: Refund');
      for (const message of sent) {
        await expect(openReviewLink(w, modifyToken(message)!)).resolves.toMatchObject({ task: { id: task.id } });
      }
    });
  });
}
