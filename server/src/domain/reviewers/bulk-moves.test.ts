import { useApprovalsWorld } from '../../test-support/approvals-world.js';
import { DATABASES } from '../../test-support/databases.js';
import { refusal } from '../../test-support/outcomes.js';
import { claimTask } from '../approvals/claims.js';
import { getTask } from '../tasks/read-tasks.js';
import { bulkMove, bulkSummary } from './bulk-moves.js';

for (const database of DATABASES) {
  describe(`${database}: bulk claim, release and escalate`, () => {
    const w = useApprovalsWorld(database);

    beforeAll(async () => {
      await w.queue('bulk', { levels: [{ name: 'ops', group: 'ops' }] });
    });

    test('each task gets an outcome: done, or skipped with the reason the rules gave', async () => {
      const tasks = [];
      for (let i = 0; i < 4; i++) tasks.push(await w.create({ queue: 'bulk' }));
      const [a, b, c, taken] = tasks.map((t) => t.id) as [string, string, string, string];
      await claimTask(w.deps, w.as('ops2'), taken);

      const claimed = await bulkMove(w.deps, w.as('ops1'), 'claim', [a, b, c, taken, a, 'tsk_nothere']);
      expect(claimed.outcomes.map((o) => [o.id, o.done, o.reason])).toEqual([
        [a, true, null],
        [b, true, null],
        [c, true, null],
        [taken, false, 'claimed by ops2'],
        ['tsk_nothere', false, 'was not found'],
      ]);
      expect(claimed.summary).toBe('3 claimed, 2 skipped: claimed by ops2; was not found');
      for (const id of [a, b, c]) {
        expect((await getTask(w.deps, w.as('viewer'), id)).workflow).toMatchObject({
          claimed: true,
          assignee: { name: 'ops1' },
        });
      }

      const again = await bulkMove(w.deps, w.as('ops1'), 'claim', [a]);
      expect(again.summary).toBe('0 claimed, 1 skipped: already claimed by you');

      const released = await bulkMove(w.deps, w.as('ops1'), 'release', [a, b, taken]);
      expect(released.summary).toBe('2 released, 1 skipped: claimed by ops2; only they or an admin can release it');

      const escalated = await bulkMove(w.deps, w.as('ops1'), 'escalate', [a, b]);
      expect(escalated.summary).toBe('2 escalated');
      expect((await bulkMove(w.deps, w.as('ops1'), 'escalate', [a])).summary).toBe(
        '0 escalated, 1 skipped: already escalated',
      );
      expect((await w.events(a)).map((e) => e.type)).toEqual(['created', 'claimed', 'released', 'escalated']);
    });

    test('a viewer is refused per task; nothing selected, or too many, is refused outright', async () => {
      const task = await w.create({ queue: 'bulk' });
      const byViewer = await bulkMove(w.deps, w.as('viewer'), 'claim', [task.id]);
      expect(byViewer.outcomes[0]).toMatchObject({ done: false, reason: expect.any(String) });
      expect((await refusal(bulkMove(w.deps, w.as('ops1'), 'claim', []))).code).toBe('validation_failed');
      const many = Array.from({ length: 201 }, (_, i) => `tsk_${i}`);
      expect((await refusal(bulkMove(w.deps, w.as('ops1'), 'claim', many))).code).toBe('validation_failed');
    });
  });
}

test('the summary counts repeated reasons', () => {
  const skipped = (reason: string) => ({ id: 'tsk_x', title: 'x', done: false, reason });
  expect(bulkSummary('claim', [skipped('claimed by Ana'), skipped('claimed by Ana'), skipped('not yours')])).toBe(
    '0 claimed, 3 skipped: 2 × claimed by Ana; not yours',
  );
});
