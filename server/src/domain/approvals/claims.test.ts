import { useApprovalsWorld } from '../../test-support/approvals-world.js';
import { DATABASES } from '../../test-support/databases.js';
import { refusal } from '../../test-support/outcomes.js';
import { toTaskView } from '../tasks/task-view.js';
import { claimTask, escalateTask, releaseTask } from './claims.js';

for (const database of DATABASES) {
  describe(`${database}: assignment and claims`, () => {
    const w = useApprovalsWorld(database);

    beforeAll(async () => {
      await w.queue('claimable', { levels: [{ name: 'ops', group: 'ops' }] });
    });

    const claim = async (id: string, by: string) => toTaskView(await claimTask(w.deps, w.as(by), id), w.as(by));
    const release = async (id: string, by: string) => toTaskView(await releaseTask(w.deps, w.as(by), id), w.as(by));
    const escalate = async (id: string, by: string, reason?: string) =>
      toTaskView(await escalateTask(w.deps, w.as(by), id, reason), w.as(by));

    test('least-loaded assignment over the group, then claim: the claimer alone decides', async () => {
      const tasks = [];
      for (let i = 0; i < 4; i++) tasks.push(await w.create({ queue: 'claimable' }));
      const assignees = tasks.map((task) => (task.workflow.assignee as { name: string }).name);
      // Each new task goes to the least loaded member of ops.
      expect(new Set(assignees.slice(0, 3)).size).toBeGreaterThanOrEqual(2);
      const task = tasks[3]!;
      const outsider = await refusal(claim(task.id, 'outsider'));
      expect([outsider.status, outsider.code]).toEqual([403, 'forbidden']);
      const claimed = await claim(task.id, 'ops2');
      expect(claimed).toMatchObject({ workflow: { claimed: true, assignee: { name: 'ops2' } } });
      const other = await refusal(claim(task.id, 'ops3'));
      expect([other.status, other.code]).toEqual([409, 'task_claimed']);
      expect((await refusal(w.decide(task.id, w.as('ops3')))).code).toBe('task_claimed');
      expect((await w.decide(task.id, w.as('ops2'))).status).toBe('approved');
      expect((await w.events(task.id)).map((e) => e.type)).toEqual(['created', 'claimed', 'decided']);
    });

    test('release hands a claim back (claimer or admin only); escalate by hand raises priority once', async () => {
      const task = await w.create({});
      expect((await claim(task.id, 'ops1')).workflow).toMatchObject({ claimed: true });
      const notYours = await refusal(release(task.id, 'ops2'));
      expect([notYours.status, notYours.code]).toEqual([409, 'task_claimed']);
      expect((await refusal(release(task.id, 'viewer'))).status).toBe(403);
      const byAdmin = await release(task.id, 'admin');
      expect([byAdmin.version > task.version, byAdmin.workflow]).toEqual([
        true,
        expect.objectContaining({ claimed: false, assignee: null }),
      ]);
      // Releasing what nobody holds changes nothing.
      expect((await release(task.id, 'ops2')).version).toBe(byAdmin.version);

      const up = await escalate(task.id, 'ops2', 'customer called twice');
      expect([up.version > byAdmin.version, up.workflow]).toEqual([
        true,
        expect.objectContaining({ escalated: true, priority: 1 }),
      ]);
      expect((await escalate(task.id, 'ops3')).version).toBe(up.version);
      const history = await w.events(task.id);
      expect(history.map((e) => [e.type, e.reason])).toEqual([
        ['created', expect.anything()],
        ['claimed', null],
        ['released', 'Released from ops1 by an admin'],
        ['escalated', 'customer called twice'],
      ]);
      await w.decide(task.id, w.as('ops2'), 'reject', { comment: 'not ours' });
      const closed = await refusal(escalate(task.id, 'ops2'));
      expect([closed.status, closed.code]).toEqual([409, 'task_already_decided']);
    });

    test('least-loaded picks the member with the fewest open tasks', async () => {
      await w.group('pair', [w.members.mgr1!.id, w.members.comp1!.id]);
      await w.queue('pair-q', { levels: [{ name: 'l', group: 'pair' }] });
      const names: string[] = [];
      for (let i = 0; i < 4; i++) {
        names.push(((await w.create({ queue: 'pair-q' })).workflow.assignee as { name: string }).name);
      }
      expect(names).toEqual(['mgr1', 'comp1', 'mgr1', 'comp1']);
    });
  });
}
