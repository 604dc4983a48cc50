import request from 'supertest';
import { sendReviewMails } from '../../domain/reviewers/review-mail.js';
import { DATABASES } from '../../test-support/databases.js';
import { bearer, SUPPORT_DESK, taskHelpers, usePageWorld } from '../../test-support/page-world.js';
import { inertnessProblems, XSS_CORPUS } from '../xss-corpus.js';

for (const database of DATABASES) {
  describe(`${database}: task page`, () => {
    const w = usePageWorld(database, SUPPORT_DESK);
    const { createTask, apiTask, events } = taskHelpers(w);

    describe('task page decisions go through the domain', () => {
      test('approve with modifications: preview shows the diff, confirm decides and stores both payloads', async () => {
        const task = await createTask();
        const { agent, csrf } = await w.login('rev@example.com');
        const page = await agent.get(`/tasks/${task.id}`);
        expect(page.status).toBe(200);
        expect(page.text).toContain('id="preview-modify"');
        const edited = JSON.stringify({ amount: 40, currency: 'EUR' }, null, 2);
        const preview = await agent
          .post(`/tasks/${task.id}/decide`)
          .type('form')
          .send({ _csrf: csrf, action: 'approve_with_modifications', modifiedPayload: edited, comment: 'cap it' });
        expect(preview.status).toBe(200);
        expect(preview.text).toContain('<span class="remove">-   &quot;amount&quot;: 50,</span>');
        expect(preview.text).toContain('<span class="add">+   &quot;amount&quot;: 40,</span>');
        expect((await apiTask(task.id)).status).toBe('pending_review');

        const confirm = await agent.post(`/tasks/${task.id}/decide`).type('form').send({
          _csrf: csrf,
          action: 'approve_with_modifications',
          modifiedPayload: edited,
          comment: 'cap it',
          confirm: '1',
        });
        expect(confirm.status).toBe(303);
        const after = await apiTask(task.id);
        expect(after.status).toBe('approved_with_modifications');
        expect(after.payload).toEqual({ amount: 50, currency: 'EUR' });
        expect(after.decision.modifiedPayload).toEqual({ amount: 40, currency: 'EUR' });
        // The decision keeps the diff the reviewer confirmed, not one recomputed later.
        expect(after.decision.diff).toBe(
          '--- original\n+++ modified\n@@ -1,4 +1,4 @@\n {\n-  "amount": 50,\n+  "amount": 40,\n   "currency": "EUR"\n }\n',
        );
        expect(after.decision.decidedBy).toMatchObject({ type: 'user', id: w.users['rev@example.com'] });
        const decided = (await events(task.id)).find((e) => e.type === 'decided');
        expect(decided?.actor).toMatchObject({ type: 'user', id: w.users['rev@example.com'] });
        const detail = await agent.get(`/tasks/${task.id}`);
        expect(detail.text).toContain('id="decision-diff"');
        expect(detail.text).toContain('<span class="hunk">@@ -1,4 +1,4 @@</span>');
        expect(detail.text).toContain('<span class="remove">-   &quot;amount&quot;: 50,</span>');
        expect(detail.text).toContain('<span class="add">+   &quot;amount&quot;: 40,</span>');
      });

      test.each([
        ['reject with a comment', { action: 'reject', comment: 'no' }, 303, 'rejected'],
        [
          'invalid JSON is refused',
          { action: 'approve_with_modifications', modifiedPayload: '{nope', confirm: '1' },
          400,
          'pending_review',
        ],
        [
          'unchanged payload is refused',
          { action: 'approve_with_modifications', modifiedPayload: '{"amount":50,"currency":"EUR"}' },
          400,
          'pending_review',
        ],
        ['unknown action', { action: 'delete' }, 400, 'pending_review'],
      ])('%s', async (_name, body, status, taskStatus) => {
        const task = await createTask();
        const { agent, csrf } = await w.login('rev@example.com');
        const res = await agent
          .post(`/tasks/${task.id}/decide`)
          .type('form')
          .send({ _csrf: csrf, ...body });
        expect(res.status).toBe(status);
        expect((await apiTask(task.id)).status).toBe(taskStatus);
      });

      test('a form without the session CSRF token changes nothing', async () => {
        const task = await createTask();
        const { agent } = await w.login('rev@example.com');
        const res = await agent.post(`/tasks/${task.id}/decide`).type('form').send({ action: 'approve' });
        expect(res.status).toBe(403);
        expect((await apiTask(task.id)).status).toBe('pending_review');
      });

      test('a viewer sees the task but cannot decide or claim', async () => {
        const task = await createTask();
        const { agent, csrf } = await w.login('view@example.com');
        const page = await agent.get(`/tasks/${task.id}`);
        expect(page.status).toBe(200);
        expect(page.text).toContain('id="read-only"');
        expect(page.text).not.toContain('id="approve"');
        const res = await agent.post(`/tasks/${task.id}/decide`).type('form').send({ _csrf: csrf, action: 'approve' });
        expect(res.status).toBe(403);
        const claim = await agent
          .post(`/tasks/${task.id}/claim`)
          .set('Accept', 'application/json')
          .set('X-CSRF-Token', csrf);
        expect(claim.status).toBe(403);
        expect((await apiTask(task.id)).status).toBe('pending_review');
        expect((await events(task.id)).map((e) => e.type)).toEqual(['created']);
      });

      test('a task of another workspace is not found', async () => {
        const other = await request(w.app)
          .post('/api/v1/tasks')
          .set(bearer(w.keys.otherWorkspaceAdmin))
          .send({ title: 'elsewhere', payload: {} });
        const { agent } = await w.login('rev@example.com');
        expect((await agent.get(`/tasks/${other.body.id}`)).status).toBe(404);
      });
    });

    describe('XSS corpus stays inert', () => {
      test.each(XSS_CORPUS)('%s', async (_name, evil) => {
        const task = await createTask({
          title: evil,
          description: evil,
          payload: { note: evil, html: evil },
          context: { summary: evil },
          source: 'xss',
        });
        const { agent } = await w.login('rev@example.com');
        const pages = [
          (await agent.get(`/tasks/${task.id}`)).text,
          (await agent.get('/board?source=xss&fragment=1')).text,
          (await agent.get('/board?view=list&source=xss')).text,
        ];
        for (const page of pages) expect(inertnessProblems(page, evil)).toEqual([]);
        await sendReviewMails(
          {
            store: w.store,
            clock: w.clock,
            notifier: { send: async (m) => void w.mail.push(m) },
            publicUrl: 'http://localhost:3000',
          },
          (await w.store.read.workspaces.findBySlug('default'))!.id,
          task.id,
        );
        const message = w.mail[w.mail.length - 1]!;
        expect(message.subject).not.toMatch(/[\r\n]/);
      });
    });
  });
}
