import { DATABASES } from '../../test-support/databases.js';
import { type PageWorldSetup, taskHelpers, usePageWorld } from '../../test-support/page-world.js';

/** A queue with detectors: the board and the task page name what fired, escaped, never the values on chips. */
const DESK: PageWorldSetup = {
  users: [
    ['admin@example.com', 'admin'],
    ['ops@example.com', 'reviewer'],
  ],
  groups: [['ops', ['ops@example.com']]],
  queues: [
    [
      'transfers',
      {
        levels: [{ name: 'operations', group: 'ops' }],
        classification: {
          detectors: [
            { detector: 'iban', raiseTo: 'high' },
            { detector: 'custom', name: '<b>Staff id</b>', pattern: 'EMP-[0-9]{6}', raiseTo: 'medium' },
          ],
        },
      },
    ],
  ],
};

for (const database of DATABASES) {
  describe(`${database}: sensitive-data chips`, () => {
    const w = usePageWorld(database, DESK);
    const { createTask } = taskHelpers(w);

    test('the board card and the task page show a chip per detector; the page lists the paths', async () => {
      const task = await createTask({
        title: 'Chip transfer',
        queue: 'transfers',
        riskLevel: 'low',
        payload: { account: 'DE89370400440532013000', 'a<b': 'EMP-000042' },
      });
      const { agent } = await w.login('ops@example.com');
      const board = (await agent.get('/board?fragment=1&q=Chip')).text;
      const card = /<li class="card[\s\S]*?<\/li>/.exec(board)?.[0] ?? '';
      expect(card).toContain('<span class="chip sensitive">IBAN</span>');
      expect(card).toContain('<span class="chip sensitive">&lt;b&gt;Staff id&lt;/b&gt;</span>');
      expect(card).toContain('risk: high');
      expect(card).not.toContain('<b>Staff');

      const page = (await agent.get(`/tasks/${task.id}`)).text;
      expect(page).toContain('id="sensitive"');
      expect(page).toContain(
        '<span class="chip sensitive">IBAN</span> <span class="muted">at <code>/payload/account</code></span>',
      );
      expect(page).toContain('<code>/payload/a&lt;b</code>');
      expect(page).toContain('Risk raised to high from low');
      expect(page).not.toContain('<b>Staff');
    });

    test('a task nothing fired on shows no chips', async () => {
      await createTask({ title: 'Plain transfer', queue: 'transfers', payload: { amount: 3 } });
      const { agent } = await w.login('ops@example.com');
      const board = (await agent.get('/board?fragment=1&q=Plain')).text;
      expect(board).toContain('Plain transfer');
      expect(board).not.toContain('chip sensitive');
    });
  });
}
