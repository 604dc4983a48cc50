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
        ['reject with a reason, confirmed', { action: 'reject', comment: 'no', confirm: '1' }, 303, 'rejected'],
        ['reject unconfirmed only asks', { action: 'reject', comment: 'no' }, 200, 'pending_review'],
        [
          'reject confirmed without a reason is refused',
          { action: 'reject', comment: '  ', confirm: '1' },
          400,
          'pending_review',
        ],
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
        // The buttons are there, disabled, with the server's reason.
        expect(page.text).toMatch(/<button [^>]*id="approve"[^>]* disabled aria-describedby="blocked-note"/);
        expect(page.text).toContain('Your role (viewer) can read tasks but not decide them.');
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

      test('no JavaScript: Approve pressed after editing the payload never approves the original', async () => {
        const task = await createTask({ payload: { refund: { amount: 480, currency: 'EUR' }, note: 'x' } });
        const { agent, csrf } = await w.login('rev@example.com');
        const page = await agent.get(`/tasks/${task.id}`);
        // One form: the editor and every button share it, so any button posts the edit.
        const form = /<form[^>]*id="decision-form"[\s\S]*?<\/form>/.exec(page.text)?.[0] ?? '';
        for (const id of ['payload-editor', 'approve', 'preview-modify', 'reject'])
          expect(form).toContain(`id="${id}"`);
        const edited = JSON.stringify({ refund: { amount: 100, currency: 'EUR' }, note: 'x' }, null, 2);
        const refused = await agent
          .post(`/tasks/${task.id}/decide`)
          .type('form')
          .send({ _csrf: csrf, action: 'approve', modifiedPayload: edited, comment: 'lower' });
        expect(refused.status).toBe(409);
        expect(refused.text).toContain('You changed the payload — approve with changes or revert.');
        expect(refused.text).toContain(
          '<code class="path">refund.amount</code>: <span class="before">480</span> → <span class="after">100</span>',
        );
        expect(refused.text).toContain('id="change-count">1 change<');
        // What was typed comes back: the edit in the confirm form, the comment in its field.
        expect(refused.text).toContain(`name="modifiedPayload" value="${edited.replace(/"/g, '&quot;')}"`);
        expect(refused.text).toMatch(/<textarea id="comment"[^>]*>lower<\/textarea>/);
        expect((await apiTask(task.id)).status).toBe('pending_review');
        const confirmed = await agent.post(`/tasks/${task.id}/decide`).type('form').send({
          _csrf: csrf,
          action: 'approve_with_modifications',
          modifiedPayload: edited,
          comment: 'lower',
          confirm: '1',
        });
        expect(confirmed.status).toBe(303);
        expect(confirmed.headers.location).toBe(`/tasks/${task.id}?decided=1`);
        const after = await apiTask(task.id);
        expect(after.status).toBe('approved_with_modifications');
        expect(after.decision.modifiedPayload).toEqual({ refund: { amount: 100, currency: 'EUR' }, note: 'x' });
        const done = await agent.get(String(confirmed.headers.location));
        expect(done.text).toContain('Approved with 1 change. The task is now approved with modifications.');
        expect(done.text).toContain('id="next-task"');
        // The stored decision shows the same changes by path, and the whole diff.
        expect(done.text).toContain('id="decision-changes"');
        expect(done.text).toContain(
          '<code class="path">refund.amount</code>: <span class="before">480</span> → <span class="after">100</span>',
        );
      });

      test('no JavaScript: Approve with the payload untouched approves it as it was', async () => {
        const task = await createTask();
        const { agent, csrf } = await w.login('rev@example.com');
        const untouched = JSON.stringify({ amount: 50, currency: 'EUR' }, null, 2).replace(/\n/g, '\r\n');
        const res = await agent
          .post(`/tasks/${task.id}/decide`)
          .type('form')
          .send({ _csrf: csrf, action: 'approve', modifiedPayload: untouched, comment: '' });
        expect(res.status).toBe(303);
        const after = await apiTask(task.id);
        expect(after.status).toBe('approved');
        expect(after.decision.modifiedPayload).toBeNull();
      });

      test('ten changed fields on a long payload: the confirm step lists all ten and the full diff', async () => {
        const payload = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`field${i}`, `value ${i}`]));
        const task = await createTask({ payload });
        const edited = { ...payload };
        for (let i = 0; i < 40; i += 4) edited[`field${i}`] = `changed ${i}`;
        const { agent, csrf } = await w.login('rev@example.com');
        const preview = await agent
          .post(`/tasks/${task.id}/decide`)
          .type('form')
          .send({
            _csrf: csrf,
            action: 'approve_with_modifications',
            modifiedPayload: JSON.stringify(edited, null, 2),
          });
        expect(preview.status).toBe(200);
        expect(preview.text).toContain('id="change-count">10 changes<');
        for (let i = 0; i < 40; i += 4) {
          expect(preview.text).toContain(
            `<code class="path">field${i}</code>: <span class="before">&quot;value ${i}&quot;</span> → <span class="after">&quot;changed ${i}&quot;</span>`,
          );
          expect(preview.text).toContain(`<span class="add">+   &quot;field${i}&quot;: &quot;changed ${i}&quot;`);
        }
        expect(preview.text).toContain('Confirm: approve with 10 changes');
      });

      test('reject asks to confirm, needs a reason, and says what was decided', async () => {
        const task = await createTask();
        const { agent, csrf } = await w.login('rev@example.com');
        const ask = await agent
          .post(`/tasks/${task.id}/decide`)
          .type('form')
          .send({ _csrf: csrf, action: 'reject', comment: '' });
        expect(ask.status).toBe(200);
        expect(ask.text).toContain('Reject this task?');
        expect(ask.text).toMatch(/<textarea id="comment" name="comment"[^>]* required/);
        const noReason = await agent
          .post(`/tasks/${task.id}/decide`)
          .type('form')
          .send({ _csrf: csrf, action: 'reject', comment: '', confirm: '1' });
        expect(noReason.status).toBe(400);
        expect(noReason.text).toContain('Say why you reject the task');
        expect((await apiTask(task.id)).status).toBe('pending_review');
        const done = await agent
          .post(`/tasks/${task.id}/decide`)
          .type('form')
          .send({ _csrf: csrf, action: 'reject', comment: 'Refund above policy', confirm: '1' });
        expect(done.status).toBe(303);
        expect((await apiTask(task.id)).decision).toMatchObject({ action: 'reject', comment: 'Refund above policy' });
        const page = await agent.get(String(done.headers.location));
        expect(page.text).toContain('Rejected: Refund above policy. The task is now rejected.');
      });

      test('actions the viewer cannot take are disabled with the reason the server would give', async () => {
        const task = await createTask();
        // Claimed by rev2: rev sees who has it and cannot decide.
        const rev2 = await w.login('rev2@example.com');
        const claim = await rev2.agent
          .post(`/tasks/${task.id}/claim`)
          .set('Accept', 'application/json')
          .set('X-CSRF-Token', rev2.csrf);
        expect(claim.status).toBe(200);
        const { agent } = await w.login('rev@example.com');
        const claimed = await agent.get(`/tasks/${task.id}`);
        expect(claimed.text).toContain('id="assignee">claimed by');
        expect(claimed.text).toMatch(/is claimed by [^<]*<\/p>/);
        expect(claimed.text).toMatch(/<button [^>]*id="approve"[^>]* disabled/);
        // The claimer's own page offers everything.
        const own = await rev2.agent.get(`/tasks/${task.id}`);
        expect(own.text).not.toMatch(/<button [^>]*id="approve"[^>]* disabled/);
        expect(own.text).toContain('level 1 of 1 (review): 0 approve of 1 needed');
      });

      test('Next task opens the most urgent task this reviewer can decide, skipping what they cannot', async () => {
        const soonest = await createTask({ title: 'Due first', slaSeconds: 30 });
        const second = await createTask({ title: 'Due second', slaSeconds: 40 });
        const rev2 = await w.login('rev2@example.com');
        const { agent } = await w.login('rev@example.com');
        expect((await agent.get('/tasks/next')).headers.location).toBe(`/tasks/${soonest.id}`);
        await rev2.agent
          .post(`/tasks/${soonest.id}/claim`)
          .set('Accept', 'application/json')
          .set('X-CSRF-Token', rev2.csrf);
        const next = await agent.get('/tasks/next');
        expect(next.status).toBe(303);
        expect(next.headers.location).toBe(`/tasks/${second.id}`);
        const viewer = await w.login('view@example.com');
        const none = await viewer.agent.get('/tasks/next');
        expect(none.status).toBe(200);
        expect(none.text).toContain('Nothing waiting for you');
      });

      test('a task with a form: labelled inputs build the modified payload with JSON types; a bad value is refused per field', async () => {
        const form = {
          type: 'object',
          properties: {
            amount: {
              type: 'number',
              title: 'Refund amount',
              description: 'In euros',
              minimum: 0,
              maximum: 500,
              'x-loopgate-path': '/refund/amount',
            },
            tier: { type: 'string', title: 'Tier', enum: ['silver', 'gold'], enumNames: ['Silver', 'Gold'] },
            vip: { type: 'boolean', title: 'VIP' },
            order: { type: 'string', title: 'Order', readOnly: true },
          },
          required: ['amount'],
        };
        const task = await createTask({
          payload: { refund: { amount: 480 }, tier: 'silver', vip: false, order: 'A-1' },
          form,
        });
        const { agent, csrf } = await w.login('rev@example.com');
        const page = await agent.get(`/tasks/${task.id}`);
        expect(page.text).toMatch(/<label for="field-amount">Refund amount <span class="required"/);
        expect(page.text).toMatch(
          /<input type="number" id="field-amount" value="480" data-form-field name="field.amount" required min="0" max="500" step="any"/,
        );
        expect(page.text).toContain('<option value="gold">Gold</option>');
        expect(page.text).toMatch(/id="field-order" value="A-1" data-form-field readonly/);
        expect(page.text).toContain('Edit as JSON instead');
        const post = (fields: Record<string, string>, extra: Record<string, string> = {}) =>
          agent
            .post(`/tasks/${task.id}/decide`)
            .type('form')
            .send({ _csrf: csrf, action: 'approve_with_modifications', fields: '1', ...fields, ...extra });
        const bad = await post({ 'field.amount': '9999', 'field.tier': 'gold' });
        expect(bad.status).toBe(400);
        expect(bad.text).toContain('id="field-amount-error"');
        // What was typed is shown again, not the payload's value.
        expect(bad.text).toMatch(/id="field-amount" value="9999"/);
        expect(bad.text).toMatch(/<option value="gold" selected>Gold<\/option>/);
        const preview = await post({ 'field.amount': '120', 'field.tier': 'gold', 'field.vip': 'true' });
        expect(preview.status).toBe(200);
        expect(preview.text).toContain('id="change-count">3 changes<');
        expect(preview.text).toContain(
          '<code class="path">refund.amount</code>: <span class="before">480</span> → <span class="after">120</span>',
        );
        // Approve (not "with changes") with changed fields is refused like an edited JSON payload.
        const plain = await post({ 'field.amount': '120', 'field.tier': 'silver' }, { action: 'approve' });
        expect(plain.status).toBe(409);
        const edited = /name="modifiedPayload" value="([^"]*)"/.exec(preview.text)?.[1]?.replace(/&quot;/g, '"') ?? '';
        const done = await agent.post(`/tasks/${task.id}/decide`).type('form').send({
          _csrf: csrf,
          action: 'approve_with_modifications',
          modifiedPayload: edited,
          confirm: '1',
        });
        expect(done.status).toBe(303);
        expect((await apiTask(task.id)).decision.modifiedPayload).toEqual({
          refund: { amount: 120 },
          tier: 'gold',
          vip: true,
          order: 'A-1',
        });
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
          form: {
            type: 'object',
            properties: {
              note: { type: 'string', title: evil, description: evil },
              html: { type: 'string', title: evil, enum: [evil, 'plain'], enumNames: [evil, evil] },
            },
          },
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
