import { DATABASES } from '../../test-support/databases.js';
import { SUPPORT_DESK, taskHelpers, usePageWorld } from '../../test-support/page-world.js';

const HOUR = 3_600_000;

for (const database of DATABASES) {
  describe(`${database}: revoking an approval from the task page`, () => {
    const w = usePageWorld(database, SUPPORT_DESK);
    const { createTask, apiTask, events } = taskHelpers(w);

    /** A task approved on its page by a reviewer. */
    async function approvedTask(): Promise<string> {
      const task = await createTask({ title: 'Refund to revoke' });
      const { agent, csrf } = await w.login('rev@example.com');
      const decided = await agent
        .post(`/tasks/${task.id}/decide`)
        .type('form')
        .send({ _csrf: csrf, action: 'approve' });
      expect(decided.status).toBe(303);
      return task.id;
    }

    test('an admin revokes with a reason; an empty reason is refused with the form kept; others see no form', async () => {
      const id = await approvedTask();
      const reviewer = await w.login('rev2@example.com');
      expect((await reviewer.agent.get(`/tasks/${id}`)).text).not.toContain('id="revoke"');

      const { agent, csrf } = await w.login('admin@example.com');
      const page = (await agent.get(`/tasks/${id}`)).text;
      expect(page).toContain(`<form method="post" action="/tasks/${id}/revoke" class="revoke" id="revoke">`);
      expect(page).not.toMatch(/<button type="submit" disabled[^>]*>Revoke approval/);

      const withoutCsrf = await agent.post(`/tasks/${id}/revoke`).type('form').send({ reason: 'wrong customer' });
      expect(withoutCsrf.status).toBe(403);
      const empty = await agent.post(`/tasks/${id}/revoke`).type('form').send({ _csrf: csrf, reason: '   ' });
      expect(empty.status).toBe(400);
      expect(empty.text).toContain('Say why the approval is revoked.');
      expect((await apiTask(id)).status).toBe('approved');

      const revoked = await agent
        .post(`/tasks/${id}/revoke`)
        .type('form')
        .send({ _csrf: csrf, reason: 'wrong <b>customer</b>' });
      expect(revoked.status).toBe(303);
      const after = await apiTask(id);
      expect(after.status).toBe('revoked');
      expect(after.decision.action).toBe('approve');
      expect((await events(id)).map((e) => e.type)).toEqual(['created', 'decided', 'revoked']);
      const shown = (await agent.get(`/tasks/${id}`)).text;
      expect(shown).toContain('wrong &lt;b&gt;customer&lt;/b&gt;');
      expect(shown).not.toContain('id="revoke"');
    });

    test('past the window the button is disabled with the reason, and a post that races it keeps what was typed', async () => {
      const id = await approvedTask();
      w.clockOffset = 25 * HOUR;
      const { agent, csrf } = await w.login('admin@example.com');
      const page = (await agent.get(`/tasks/${id}`)).text;
      expect(page).toContain('<button type="submit" disabled aria-describedby="revoke-why">Revoke approval</button>');
      expect(page).toMatch(
        /<p class="why" id="revoke-why">Task \S+ was approved at [^<]+; approvals can be revoked for 24 hours after the decision<\/p>/,
      );
      const late = await agent.post(`/tasks/${id}/revoke`).type('form').send({ _csrf: csrf, reason: 'too late?' });
      expect(late.status).toBe(409);
      expect(late.text).toContain('approvals can be revoked for 24 hours after the decision');
      expect(late.text).toContain('>too late?</textarea>');
      expect((await apiTask(id)).status).toBe('approved');
    });
  });
}
