import { DATABASES } from '../../test-support/databases.js';
import { SUPPORT_DESK, taskHelpers, usePageWorld } from '../../test-support/page-world.js';

/** A decision made on the task page lands in the ledger with the page request's id and the reviewer's role. */
for (const database of DATABASES) {
  describe(`${database}: task page decisions in the audit log`, () => {
    const w = usePageWorld(database, SUPPORT_DESK);
    const { createTask } = taskHelpers(w);

    test('the decided entry names the user, their role and the request id,', async () => {
      const task = await createTask();
      const { agent, csrf } = await w.login('rev@example.com');
      const res = await agent
        .post(`/tasks/${task.id}/decide`)
        .set('X-Request-Id', 'req-page-decide')
        .type('form')
        .send({ _csrf: csrf, action: 'approve', confirm: '1' });
      expect(res.status).toBe(303);
      const workspace = await w.store.read.workspaces.findBySlug('default');
      const entries = await w.store.read.audit.list(workspace?.id ?? '', 0, 10_000);
      const decided = entries.filter((e) => e.target.id === task.id && e.action === 'task.decided');
      expect(decided).toHaveLength(1);
      expect(decided[0]).toMatchObject({
        actor: { type: 'user', role: 'reviewer' },
        requestId: 'req-page-decide',
      });
    });
  });
}
