import request from 'supertest';
import { DATABASES } from '../../test-support/databases.js';
import { bearer, SUPPORT_DESK, usePageWorld } from '../../test-support/page-world.js';

const GRANTS_DESK = {
  ...SUPPORT_DESK,
  queues: [...(SUPPORT_DESK.queues ?? []), ['locked', { grants: { allowed: false } }] as const],
};

for (const database of DATABASES) {
  describe(`${database}: standing approvals on the task page and /settings/grants`, () => {
    const w = usePageWorld(database, GRANTS_DESK);
    const createTask = async (body: object = {}) =>
      (
        await request(w.app)
          .post('/api/v1/tasks')
          .set(bearer(w.keys.admin))
          .send({ title: 'Refund 7', payload: { amount: 7 }, agent: { id: 'page-bot' }, ...body })
      ).body as { id: string; status: string };

    test('the approve form offers the option; disabled with the reason without an agent or where the queue forbids it', async () => {
      const { agent } = await w.login('rev@example.com');
      const open = await createTask();
      const page = await agent.get(`/tasks/${open.id}`);
      expect(page.text).toContain('id="grant-option">');
      expect(page.text).toContain('name="grantScope" value="payload"');
      expect(page.text).toContain('max="24"');
      expect(page.text).toContain('<code>page-bot</code>');

      const noAgent = await createTask({ agent: undefined });
      const off = await agent.get(`/tasks/${noAgent.id}`);
      expect(off.text).toContain('id="grant-option" disabled aria-describedby="grant-why"');
      expect(off.text).toContain('This task names no agent');

      const admin = await w.login('admin@example.com');
      const queues = (await admin.agent.get('/settings/queues')).text;
      expect(queues).toContain('<dd>Not allowed in this queue</dd>');
      expect(queues).toContain('<dd>Reviewers may approve the same for up to 24 h</dd>');

      const locked = await createTask({ queue: 'locked' });
      expect((await agent.get(`/tasks/${locked.id}`)).text).toContain(
        'Queue &quot;locked&quot; does not allow standing approvals',
      );
    });

    test('approve with a grant → the next identical task is approved by it, both pages say so; revoke from settings', async () => {
      const { agent, csrf } = await w.login('rev@example.com');
      const first = await createTask({ title: 'Refund 8', payload: { amount: 8 } });
      const decided = await agent
        .post(`/tasks/${first.id}/decide`)
        .type('form')
        .send({ _csrf: csrf, action: 'approve', comment: '', grantScope: 'payload', grantHours: '3' });
      expect(decided.status).toBe(303);

      const firstPage = await agent.get(`/tasks/${first.id}`);
      expect(firstPage.text).toContain('<h2 id="grants-heading">Standing approval</h2>');
      expect(firstPage.text).toContain('same agent + identical payload');
      expect(firstPage.text).toMatch(/0 tasks approved · <span class="grant-state">active<\/span>/);
      const grantId = /data-grant="(grt_[^"]+)"/.exec(firstPage.text)?.[1] ?? '';
      expect(firstPage.text).toContain(`action="/tasks/${first.id}/grants/${grantId}/revoke"`);

      const second = await createTask({ title: 'Refund 8 again', payload: { amount: 8 } });
      expect(second.status).toBe('approved');
      const secondPage = await agent.get(`/tasks/${second.id}`);
      expect(secondPage.text).toContain(
        `Approved by the standing approval <code>${grantId}</code> that rev@example.com gave`,
      );
      expect(secondPage.text).toContain(`href="/tasks/${first.id}"`);

      // Another reviewer sees it but may not revoke it; an admin may.
      const other = await w.login('rev2@example.com');
      const listedForOther = await other.agent.get('/settings/grants');
      expect(listedForOther.text).toContain(`data-grant="${grantId}"`);
      expect(listedForOther.text).not.toContain(`/settings/grants/${grantId}/revoke`);
      const refused = await other.agent
        .post(`/settings/grants/${grantId}/revoke`)
        .type('form')
        .send({ _csrf: other.csrf });
      expect(refused.status).toBe(403);

      const listed = await agent.get('/settings/grants');
      expect(listed.text).toContain('1 task approved');
      const revoked = await agent
        .post(`/settings/grants/${grantId}/revoke`)
        .type('form')
        .send({ _csrf: csrf, reason: 'enough' });
      expect(revoked.status).toBe(303);
      expect(revoked.headers.location).toBe(
        `/settings/grants?notice=${encodeURIComponent(`Revoked: standing approval ${grantId}`)}`,
      );
      expect((await agent.get('/settings/grants')).text).toContain('revoked by rev@example.com: enough');
      expect((await createTask({ title: 'Refund 8 third', payload: { amount: 8 } })).status).toBe('pending_review');
    });

    test('revoke from the task page; viewers get no revoke button', async () => {
      const { agent, csrf } = await w.login('rev@example.com');
      const first = await createTask({ title: 'Weekly', payload: { n: 1 } });
      await agent
        .post(`/tasks/${first.id}/decide`)
        .type('form')
        .send({ _csrf: csrf, action: 'approve', comment: '', grantScope: 'title', grantHours: '2' });
      const page = await agent.get(`/tasks/${first.id}`);
      const grantId = /data-grant="(grt_[^"]+)"/.exec(page.text)?.[1] ?? '';
      const viewer = await w.login('view@example.com');
      expect((await viewer.agent.get(`/tasks/${first.id}`)).text).not.toContain('/revoke"');
      const revoked = await agent
        .post(`/tasks/${first.id}/grants/${grantId}/revoke`)
        .type('form')
        .send({ _csrf: csrf, reason: '' });
      expect(revoked.status).toBe(303);
      expect((await agent.get(`/tasks/${first.id}`)).text).toContain(
        '<span class="grant-state">revoked by rev@example.com</span>',
      );
    });
  });
}
