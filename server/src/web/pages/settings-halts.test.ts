import request from 'supertest';
import { DATABASES } from '../../test-support/databases.js';
import { bearer, SUPPORT_DESK, usePageWorld } from '../../test-support/page-world.js';
import { inertnessProblems, XSS_CORPUS } from '../xss-corpus.js';

for (const database of DATABASES) {
  describe(`${database}: halts page (the stop button)`, () => {
    const w = usePageWorld(database, SUPPORT_DESK);
    const createTask = (body: object = {}) =>
      request(w.app)
        .post('/api/v1/tasks')
        .set(bearer(w.keys.reviewer))
        .send({ title: 'Refund', payload: { amount: 1 }, ...body });
    const haltAudit = async () => {
      const ws = (await w.store.read.workspaces.findBySlug('default'))!.id;
      return (await w.store.read.audit.list(ws, 0, 10_000)).filter((e) => e.target.type === 'halt');
    };
    const activeHalts = async () =>
      (
        (await request(w.app).get('/api/v1/halts').set(bearer(w.keys.admin))).body.data as {
          id: string;
          scope: string;
          value: string | null;
          resumedAt: string | null;
        }[]
      ).filter((h) => h.resumedAt === null);

    test('one click stops a queue: its new tasks get 423, the page lists it with Resume; one click resumes; both audited', async () => {
      const { agent, csrf } = await w.login('admin@example.com');
      const page = await agent.get('/settings/halts');
      expect(page.status).toBe(200);
      expect(page.text).toContain('Nothing is halted.');
      expect(page.text).toContain('aria-label="Stop queue support"');
      const before = (await haltAudit()).length;

      const stopped = await agent
        .post('/settings/halts')
        .type('form')
        .send({ _csrf: csrf, scope: 'queue', value: 'support' });
      expect(stopped.status).toBe(303);
      expect(stopped.headers.location).toBe(`/settings/halts?notice=${encodeURIComponent('Stopped: queue support')}`);
      const refused = await createTask({ queue: 'support' });
      expect([refused.status, refused.body.code]).toEqual([423, 'halted']);
      expect(refused.body.detail).toMatch(
        /^New tasks from queue "support" are halted by admin@example.com \(user\) since /,
      );
      expect((await createTask()).status).toBe(201);

      const [halt] = await activeHalts();
      expect(halt).toMatchObject({ scope: 'queue', value: 'support' });
      const listed = await agent.get('/settings/halts');
      expect(listed.text).toContain('<strong>queue support</strong>');
      expect(listed.text).toContain(`action="/settings/halts/${halt?.id}/resume"`);
      expect(listed.text).toMatch(/aria-label="Stop queue support" disabled/);

      const resumed = await agent.post(`/settings/halts/${halt?.id}/resume`).type('form').send({ _csrf: csrf });
      expect(resumed.status).toBe(303);
      expect((await createTask({ queue: 'support' })).status).toBe(201);
      expect((await haltAudit()).slice(before).map((e) => [e.action, e.actor.type, e.actor.role])).toEqual([
        ['halt.created', 'user', 'admin'],
        ['halt.resumed', 'user', 'admin'],
      ]);
      const again = await agent.post(`/settings/halts/${halt?.id}/resume`).type('form').send({ _csrf: csrf });
      expect(again.status).toBe(409);
      expect(again.text).toContain('was resumed already');
    });

    test('the whole workspace, a source and an agent stop from their forms; a missing value re-shows the page with why', async () => {
      const { agent, csrf } = await w.login('admin@example.com');
      for (const body of [
        { scope: 'workspace', reason: 'incident 7' },
        { scope: 'source', value: 'n8n' },
        { scope: 'agent', value: 'refund-bot', reason: '' },
      ]) {
        expect(
          (
            await agent
              .post('/settings/halts')
              .type('form')
              .send({ _csrf: csrf, ...body })
          ).status,
        ).toBe(303);
      }
      const active = await activeHalts();
      expect(active.map((h) => [h.scope, h.value])).toEqual([
        ['workspace', null],
        ['source', 'n8n'],
        ['agent', 'refund-bot'],
      ]);
      expect((await createTask()).body.detail).toMatch(/this workspace .*: incident 7\./);
      const page = await agent.get('/settings/halts');
      expect(page.text).toMatch(/Stop the whole workspace<\/button>/);
      expect(page.text).toMatch(/class="danger" disabled>Stop the whole workspace/);
      const missing = await agent
        .post('/settings/halts')
        .type('form')
        .send({ _csrf: csrf, scope: 'agent', value: ' ' });
      expect(missing.status).toBe(400);
      expect(missing.text).toContain('Say what to stop');
      for (const halt of active) {
        await agent.post(`/settings/halts/${halt.id}/resume`).type('form').send({ _csrf: csrf });
      }
      expect(await activeHalts()).toEqual([]);
    });

    test('without the CSRF token nothing is halted; reviewers and viewers get 403', async () => {
      const { agent } = await w.login('admin@example.com');
      const forged = await agent.post('/settings/halts').type('form').send({ scope: 'workspace' });
      expect(forged.status).toBe(403);
      for (const email of ['rev@example.com', 'view@example.com']) {
        const other = await w.login(email);
        expect((await other.agent.get('/settings/halts')).status).toBe(403);
        const sneaky = await other.agent
          .post('/settings/halts')
          .type('form')
          .send({ _csrf: other.csrf, scope: 'workspace' });
        expect(sneaky.status).toBe(403);
      }
      expect(await activeHalts()).toEqual([]);
    });

    test.each(XSS_CORPUS)('a reason of %s is shown as text', async (_name, evil) => {
      const { agent, csrf } = await w.login('admin@example.com');
      await agent
        .post('/settings/halts')
        .type('form')
        .send({ _csrf: csrf, scope: 'source', value: 'xss', reason: evil });
      const page = await agent.get('/settings/halts');
      expect(inertnessProblems(page.text, evil)).toEqual([]);
      const [halt] = await activeHalts();
      await agent.post(`/settings/halts/${halt?.id}/resume`).type('form').send({ _csrf: csrf });
    });
  });
}
