import { offerReviewLinks, type ReviewMailDeps } from '../domain/reviewers/review-mail.js';
import { useApprovalsWorld } from '../test-support/approvals-world.js';
import { DATABASES } from '../test-support/databases.js';
import { type ReceivedMail, startSmtp } from '../test-support/smtp.js';
import { renderReviewMailHtml } from '../web/kit/mail.js';
import { inertnessProblems, XSS_CORPUS } from '../web/xss-corpus.js';
import { createEmailNotifier } from './email-notifier.js';

/** The three buttons' addresses, in the order they appear. */
const hrefs = (html: string) => [...html.matchAll(/<a\b[^>]*href="([^"]*)"/g)].map((m) => m[1]);

for (const database of DATABASES) {
  describe(`${database}: review mail over real SMTP (HTML and text)`, () => {
    const w = useApprovalsWorld(database);
    let smtp: Awaited<ReturnType<typeof startSmtp>>;
    let deps: ReviewMailDeps;

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
      for (const mailPayload of ['full', 'summary', 'none'] as const) {
        await w.queue(`mail-${mailPayload}`, { levels: [{ name: 'night', group: 'night' }], mailPayload });
      }
    });
    afterAll(() => smtp.close());

    async function mailsFor(body: object, queue = 'mail-full'): Promise<ReceivedMail[]> {
      smtp.mails.length = 0;
      const task = await w.create({ queue, ...body });
      const offer = await offerReviewLinks(deps, w.workspaceId, task.id);
      expect(offer.sent).toBe(2);
      return smtp.mails.filter((m) => m.to.includes('ops@example.com'));
    }

    test('multipart/alternative: the text part as before, then HTML with three buttons above the quoted payload', async () => {
      const [mail] = await mailsFor({
        title: 'Refund order 77',
        riskLevel: 'high',
        slaSeconds: 3600,
        payload: { amount: 480, note: 'Visit https://refunds.example.com/ok or mail help@example.com' },
      });
      expect(mail?.type).toBe('multipart/alternative');
      expect(mail?.parts.map((p) => p.type)).toEqual(['text/plain', 'text/html']);
      expect(mail?.subject).toBe('[Loopgate] Review: Refund order 77');
      const text = mail!.text;
      expect(text).toContain('Queue:      mail-full');
      expect(text).toMatch(/Deadline: {3}\w{3} \d{1,2} \w{3} \d{4}, \d{2}:\d{2} UTC/);
      const links = ['Approve', 'Reject', 'Review & modify'].map(
        (label) => new RegExp(`${label}:\\s+(\\S+)`).exec(text)?.[1],
      );
      const html = mail!.html!;
      // The same three links, in the order Approve, Reject, Review & modify, and no other link at all.
      expect(hrefs(html)).toEqual(links);
      expect(links.every((link) => link?.startsWith('https://lg.example.com/review/'))).toBe(true);
      // Buttons first, under the two-line summary; the payload box after them.
      const summary = html.indexOf('Refund order 77</h1>');
      const approve = html.indexOf('>Approve</a>');
      const payload = html.indexOf('<pre');
      expect(summary).toBeGreaterThan(0);
      expect(approve).toBeGreaterThan(summary);
      expect(payload).toBeGreaterThan(html.indexOf('>Review &amp; modify</a>'));
      expect(html).toMatch(
        /Queue <strong>mail-full<\/strong> &middot; Risk <strong>high<\/strong> &middot; Due <strong>\w{3} /,
      );
      // Inline styles only, nothing fetched from anywhere.
      expect(html).not.toMatch(/<(img|link|style|script|iframe)\b|\ssrc=|url\(/i);
      // Text in the payload that reads like a link cannot be made one by a mail client.
      const box = html.slice(payload);
      expect(box).not.toContain('https://refunds');
      expect(box).toContain('https:\u200b//refunds.example.com/ok');
      expect(box).toContain('help\u200b@example.com');
    });

    test.each(XSS_CORPUS)('the HTML part keeps %s as inert text (title and payload)', async (_name, evil) => {
      const [mail] = await mailsFor({ title: `T ${evil}`.slice(0, 200), payload: { note: evil } });
      const html = mail!.html!;
      expect(inertnessProblems(html, evil)).toEqual([]);
      expect(hrefs(html)).toHaveLength(3);
      expect(html).not.toMatch(/<(img|svg|iframe|object|embed|script|form|input|button)\b/i);
      // No header was injected: one Subject, no Bcc.
      expect(mail!.raw.match(/^Subject:/gim)).toHaveLength(1);
      expect(mail!.raw).not.toMatch(/^Bcc:/im);
    });

    test('mailPayload summary shows only top-level keys; none shows no payload; both parts', async () => {
      const payload = { patient: 'Jane Roe', diagnosis: 'secret-dx-123' };
      const [summary] = await mailsFor({ title: 'PHI summary', payload }, 'mail-summary');
      for (const part of [summary!.text, summary!.html!]) {
        expect(part).toContain('patient');
        expect(part).toContain('diagnosis');
        expect(part).not.toContain('Jane Roe');
        expect(part).not.toContain('secret-dx-123');
      }
      const [none] = await mailsFor({ title: 'PHI none', payload }, 'mail-none');
      for (const part of [none!.text, none!.html!]) {
        expect(part).not.toContain('patient');
        expect(part).not.toContain('Jane Roe');
        expect(part).toContain('not included in mail');
      }
      expect(hrefs(none!.html!)).toHaveLength(3);
    });
  });
}
