/**
 * E-mail review links end to end: a real server process mails a real SMTP server; the link from
 * the received mail opens a confirm page (GET decides nothing), the POST decides, a second use is
 * refused, and both the API and a client long-polling the task see the decision.
 */
import { DATABASES } from '../../../server/src/test-support/databases.js';
import { until } from '../../../server/src/test-support/until.js';
import { type ReceivedMail, startWebStack, type WebStack } from './web-stack.js';

for (const database of DATABASES) {
  describe(`${database}: e-mail review links (real SMTP)`, () => {
    let stack: WebStack;
    beforeAll(async () => {
      stack = await startWebStack(database);
    });
    afterAll(async () => stack?.stop());

    const linkIn = (mail: ReceivedMail, label: string) =>
      new RegExp(`${label}:\\s+(http\\S+)`).exec(mail.text)?.[1] ?? '';

    test('mail arrives, GET confirms only, POST decides once, waiters hear the decision', async () => {
      const created = await stack.api('/api/v1/tasks', {
        key: stack.keys.reviewer,
        body: {
          title: 'Refund order 77',
          queue: 'support',
          payload: { amount: 120, currency: 'EUR' },
          riskLevel: 'high',
          confidence: 0.61,
          slaSeconds: 3600,
        },
      });
      expect(created.status).toBe(201);
      const id: string = created.body.id;

      const mails = await until(
        'two review mails',
        () =>
          stack.smtp.mails.filter((m) => m.text.includes('Refund order 77')).length >= 2
            ? stack.smtp.mails.filter((m) => m.text.includes('Refund order 77'))
            : undefined,
        { timeoutMs: 15_000, intervalMs: 100 },
      );
      expect(mails.map((m) => m.to[0]).sort()).toEqual(['rev2@example.com', 'rev@example.com']);
      const mine = mails.find((m) => m.to[0] === 'rev@example.com')!;
      expect(mine.text).toContain('Risk:       high');
      expect(mine.text).toContain('Confidence: 61 %');
      const approve = linkIn(mine, 'Approve');
      expect(approve.startsWith(`${stack.url}/review/`)).toBe(true);

      // A mail scanner (or the reviewer) opening the link decides nothing.
      for (let i = 0; i < 2; i++) {
        const page = await fetch(approve);
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('Nothing is decided until you press a button');
      }
      expect((await stack.api(`/api/v1/tasks/${id}`)).body.status).toBe('pending_review');

      // A client waits for the decision while the reviewer confirms.
      const waiting = stack.api(`/api/v1/tasks/${id}/wait?timeout=30`);
      const confirm = await fetch(approve, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'action=approve&comment=looks+fine',
      });
      expect(confirm.status).toBe(200);
      expect(await confirm.text()).toContain('The task is now approved');
      const waited = await waiting;
      expect(waited.body.status).toBe('approved');
      expect(waited.body.decision.decidedBy).toMatchObject({ type: 'user', name: 'rev@example.com' });
      expect(waited.body.decision.comment).toBe('looks fine');

      const again = await fetch(approve, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'action=approve',
      });
      expect(again.status).toBe(410);
      expect(await again.text()).toContain('already been used');

      const other = linkIn(mails.find((m) => m.to[0] === 'rev2@example.com')!, 'Reject');
      const late = await fetch(other);
      expect(late.status).toBe(410);
      expect(await late.text()).toContain('already been decided');

      const events = (await stack.api(`/api/v1/tasks/${id}/events`)).body.data.map((e: { type: string }) => e.type);
      expect(events).toEqual(['created', 'decided']);
    });
  });
}
