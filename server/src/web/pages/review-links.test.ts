import request from 'supertest';
import type { EmailMessage } from '../../domain/kernel/notifier.js';
import { sendReviewMails } from '../../domain/reviewers/review-mail.js';
import { DATABASES } from '../../test-support/databases.js';
import { bearer, SUPPORT_DESK, taskHelpers, usePageWorld } from '../../test-support/page-world.js';

for (const database of DATABASES) {
  describe(`${database}: e-mail review link pages`, () => {
    const w = usePageWorld(database, SUPPORT_DESK);
    const { createTask, apiTask, events } = taskHelpers(w);

    describe('e-mail review links', () => {
      async function mailFor(taskId: string) {
        w.mail.length = 0;
        const sent = await sendReviewMails(
          {
            store: w.store,
            clock: w.clock,
            notifier: { send: async (m) => void w.mail.push(m) },
            publicUrl: 'https://lg.example.com/',
          },
          (await w.store.read.workspaces.findBySlug('default'))!.id,
          taskId,
        );
        return sent;
      }

      function linksOf(message: EmailMessage) {
        const find = (label: string) => new RegExp(`${label}:\\s+(\\S+)`).exec(message.text)?.[1] ?? '';
        return { approve: find('Approve'), reject: find('Reject'), modify: find('Review & modify') };
      }

      test('each reviewer of the group gets one mail; a second run sends nothing', async () => {
        const task = await createTask({ title: 'Mail me', riskLevel: 'high', confidence: 0.42 });
        expect(await mailFor(task.id)).toBe(2);
        expect(w.mail.map((m) => m.to[0]).sort()).toEqual(['rev2@example.com', 'rev@example.com']);
        const text = w.mail[0]?.text ?? '';
        expect(text).toContain('Risk:       high');
        expect(text).toContain('Confidence: 42 %');
        expect(linksOf(w.mail[0]!).approve).toMatch(/^https:\/\/lg\.example\.com\/review\/[\w-]{43}$/);
        expect(await mailFor(task.id)).toBe(0);
      });

      test("reviewers named on the task are mailed instead of the queue's group; viewers get nothing", async () => {
        // A non-member is refused at create (reviewer_not_member; see api/external-reviewers-api.test.ts).
        const task = await createTask({
          title: 'Named reviewers',
          reviewers: ['Admin@Example.com', 'view@example.com'],
        });
        expect(await mailFor(task.id)).toBe(1);
        expect(w.mail.map((m) => m.to[0])).toEqual(['admin@example.com']);
      });

      test("a guest's link page says they review as a guest, on this task only, with no account chrome", async () => {
        const admin = bearer(w.keys.admin);
        await request(w.app)
          .post('/api/v1/queues')
          .set(admin)
          .send({ name: 'partner-refunds', config: { levels: [{ name: 'review', group: 'ops', allowGuests: true }] } });
        await request(w.app)
          .post('/api/v1/settings/external-reviewers')
          .set(admin)
          .send({ allow: ['gus@partner.example'] });
        const task = await createTask({
          title: 'Guest page',
          queue: 'partner-refunds',
          reviewers: ['gus@partner.example'],
        });
        expect(await mailFor(task.id)).toBe(1);
        const links = linksOf(w.mail[0]!);
        const page = await request(w.app).get(new URL(links.modify).pathname);
        expect(page.status).toBe(200);
        expect(page.text).toContain('<strong>gus@partner.example</strong>, an external reviewer (guest)');
        expect(page.text).toContain('recorded as guest:gus@partner.example');
        // No session: no navigation, no log-out form, no cookie.
        expect(page.text).not.toContain('href="/admin/users"');
        expect(page.text).not.toContain('action="/logout"');
        expect(page.headers['set-cookie']).toBeUndefined();
        for (const id of ['approve', 'reject', 'approve_with_modifications'])
          expect(page.text).toContain(`value="${id}"`);
        const done = await request(w.app)
          .post(new URL(links.reject).pathname)
          .type('form')
          .send({ action: 'reject', comment: 'Not ours', confirm: '1' });
        expect(done.status).toBe(200);
        expect(done.text).toContain('Rejected: Not ours');
        expect(done.text).not.toContain('Next task');
        expect((await apiTask(task.id)).decision.decidedBy).toMatchObject({ type: 'guest', id: 'gus@partner.example' });
        await request(w.app).post('/api/v1/settings/external-reviewers').set(admin).send({ allow: [] });
      });

      test('GET never decides; POST decides once; the second use and sibling links are refused', async () => {
        const task = await createTask({ title: 'Link decide' });
        await mailFor(task.id);
        const message = w.mail.find((m) => m.to[0] === 'rev@example.com')!;
        const links = linksOf(message);
        const path = (url: string) => new URL(url).pathname;
        for (let i = 0; i < 3; i++) {
          const page = await request(w.app).get(path(links.approve));
          expect(page.status).toBe(200);
          expect(page.text).toContain('id="approve"');
          expect(page.text).not.toContain('id="reject"');
        }
        expect((await apiTask(task.id)).status).toBe('pending_review');
        const wrongAction = await request(w.app).post(path(links.approve)).type('form').send({ action: 'reject' });
        expect(wrongAction.status).toBe(403);
        const decided = await request(w.app).post(path(links.approve)).type('form').send({ action: 'approve' });
        expect(decided.status).toBe(200);
        expect(decided.text).toContain('The task is now approved');
        const after = await apiTask(task.id);
        expect(after.decision.decidedBy).toMatchObject({ type: 'user', id: w.users['rev@example.com'] });
        const again = await request(w.app).post(path(links.approve)).type('form').send({ action: 'approve' });
        expect(again.status).toBe(410);
        expect(again.text).toContain('already been used');
        const sibling = await request(w.app).get(path(links.reject));
        expect(sibling.status).toBe(410);
        const otherReviewer = linksOf(w.mail.find((m) => m.to[0] === 'rev2@example.com')!);
        const closed = await request(w.app).get(path(otherReviewer.modify));
        expect(closed.status).toBe(410);
        expect(closed.text).toContain('already been decided');
      });

      test('a review link POST from another site is refused and records no vote', async () => {
        const task = await createTask({ title: 'Link cross-site' });
        await mailFor(task.id);
        const approve = new URL(linksOf(w.mail.find((m) => m.to[0] === 'rev@example.com')!).approve).pathname;
        for (const headers of [{ Origin: 'https://evil.example.com' }, { 'Sec-Fetch-Site': 'cross-site' }]) {
          const res = await request(w.app).post(approve).set(headers).type('form').send({ action: 'approve' });
          expect(res.status).toBe(403);
          expect(res.text).toContain('sent from another site');
        }
        expect((await apiTask(task.id)).status).toBe('pending_review');
        expect((await events(task.id)).map((e) => e.type)).toEqual(['created']);
        // The reviewer's own click on the page still decides.
        const own = await request(w.app)
          .post(approve)
          .set({ Origin: 'http://localhost:3000', 'Sec-Fetch-Site': 'same-origin' })
          .type('form')
          .send({ action: 'approve' });
        expect(own.status).toBe(200);
        expect((await apiTask(task.id)).status).toBe('approved');
      });

      test('the modify link previews a diff and approves with modifications', async () => {
        const task = await createTask({ title: 'Link modify', payload: 'Dear customer, we refund 50 EUR.' });
        await mailFor(task.id);
        const links = linksOf(w.mail.find((m) => m.to[0] === 'rev2@example.com')!);
        const path = new URL(links.modify).pathname;
        const edited = 'Dear customer, we refund 40 EUR.';
        const preview = await request(w.app)
          .post(path)
          .type('form')
          .send({ action: 'approve_with_modifications', modifiedPayload: edited });
        expect(preview.text).toContain('<span class="add">+ Dear customer, we refund 40 EUR.</span>');
        expect((await apiTask(task.id)).status).toBe('pending_review');
        const done = await request(w.app)
          .post(path)
          .type('form')
          .send({ action: 'approve_with_modifications', modifiedPayload: edited, confirm: '1' });
        expect(done.status).toBe(200);
        const after = await apiTask(task.id);
        expect(after.status).toBe('approved_with_modifications');
        expect(after.decision.modifiedPayload).toBe(edited);
      });

      test('the reject link asks to confirm with a reason; the modify link never approves the original after an edit', async () => {
        const task = await createTask({ title: 'Link reject', payload: { refund: { amount: 480 } } });
        await mailFor(task.id);
        const links = linksOf(w.mail.find((m) => m.to[0] === 'rev@example.com')!);
        const reject = new URL(links.reject).pathname;
        const page = await request(w.app).get(reject);
        expect(page.text).toContain('id="reject"');
        expect(page.text).not.toContain('id="approve"');
        expect(page.text).not.toContain('id="payload-editor"');
        // The buttons come before the payload on the link page (a phone shows them on its first screen).
        expect(page.text.indexOf('id="reject"')).toBeLessThan(page.text.indexOf('id="payload-kv"'));
        const ask = await request(w.app).post(reject).type('form').send({ action: 'reject', comment: '' });
        expect(ask.status).toBe(200);
        expect(ask.text).toContain('Reject this task?');
        const noReason = await request(w.app).post(reject).type('form').send({ action: 'reject', confirm: '1' });
        expect(noReason.status).toBe(400);
        expect((await apiTask(task.id)).status).toBe('pending_review');

        const modify = new URL(linksOf(w.mail.find((m) => m.to[0] === 'rev2@example.com')!).modify).pathname;
        const edited = JSON.stringify({ refund: { amount: 100 } });
        const refused = await request(w.app)
          .post(modify)
          .type('form')
          .send({ action: 'approve', modifiedPayload: edited });
        expect(refused.status).toBe(409);
        expect(refused.text).toContain('<code class="path">refund.amount</code>');
        expect((await apiTask(task.id)).status).toBe('pending_review');

        const done = await request(w.app)
          .post(reject)
          .type('form')
          .send({ action: 'reject', comment: 'Too much', confirm: '1' });
        expect(done.status).toBe(200);
        expect(done.text).toContain('Rejected: Too much');
        expect(done.text).toContain('href="/tasks/next"');
        expect((await apiTask(task.id)).decision).toMatchObject({ action: 'reject', comment: 'Too much' });
      });

      test('a link stops at the task deadline and says so', async () => {
        const task = await createTask({ title: 'Link expiry', slaSeconds: 60 });
        await mailFor(task.id);
        const link = new URL(linksOf(w.mail[0]!).approve).pathname;
        expect((await request(w.app).get(link)).status).toBe(200);
        w.clockOffset = 2 * 60 * 1000;
        try {
          const res = await request(w.app).post(link).type('form').send({ action: 'approve' });
          expect(res.status).toBe(410);
          expect(res.text).toContain('expired');
        } finally {
          w.clockOffset = 0;
        }
        expect((await apiTask(task.id)).status).toBe('pending_review');
      });

      test.each([
        ['a made-up token', 'x'.repeat(43), 'not valid'],
        ['a malformed token', '<script>', 'not valid'],
      ])('%s says so plainly', async (_name, token, words) => {
        const res = await request(w.app).get(`/review/${encodeURIComponent(token)}`);
        expect(res.status).toBe(410);
        expect(res.text).toContain(words);
        expect(res.text).not.toContain('<script>');
      });
    });
  });
}
