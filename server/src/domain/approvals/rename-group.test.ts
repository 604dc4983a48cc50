import { useApprovalsWorld } from '../../test-support/approvals-world.js';
import { DATABASES } from '../../test-support/databases.js';
import { refusal } from '../../test-support/outcomes.js';
import { getTask } from '../tasks/read-tasks.js';
import { claimTask } from './claims.js';
import { getQueue } from './queues.js';
import { renameGroupInConfig, renameReviewerGroup } from './rename-group.js';

for (const database of DATABASES) {
  describe(`${database}: renaming a reviewer group`, () => {
    const w = useApprovalsWorld(database);

    beforeAll(async () => {
      await w.queue('two-step', {
        reviewerGroups: ['ops', 'managers'],
        levels: [
          { name: 'ops', group: 'ops' },
          { name: 'sign-off', group: 'managers' },
        ],
        escalation: [{ action: 'reassign', afterSeconds: 0, group: 'managers' }],
      });
      await w.queue('untouched', { levels: [{ name: 'ops', group: 'ops' }] });
    });

    test('queue configs and an open level-2 task follow the new name in one go; the task still claims and decides', async () => {
      const task = await w.create({ queue: 'two-step' });
      await w.decide(task.id, w.as('ops1'));
      const atLevel2 = await getTask(w.deps, w.as('viewer'), task.id);
      expect(atLevel2.workflow).toMatchObject({ level: 2, assignedGroup: 'managers' });
      const untouchedBefore = await getQueue(w.deps, w.as('viewer'), 'untouched');
      const before = await getQueue(w.deps, w.as('viewer'), 'two-step');
      w.now += 1000;

      const renamed = await renameReviewerGroup(w.deps, w.as('admin'), 'managers', 'approvers', 'req_1');
      expect([renamed.group.name, renamed.queues, renamed.tasks]).toEqual(['approvers', ['two-step'], 1]);

      const after = await getQueue(w.deps, w.as('viewer'), 'two-step');
      expect(after.config.reviewerGroups).toEqual(['ops', 'approvers']);
      expect(after.config.levels.map((level) => level.group)).toEqual(['ops', 'approvers']);
      expect(after.config.escalation.map((step) => step.group)).toEqual(['approvers']);
      expect(after.updatedAt).toBeGreaterThan(before.updatedAt);
      expect(after.version).toBe(before.version + 1);
      expect(await getQueue(w.deps, w.as('viewer'), 'untouched')).toEqual(untouchedBefore);

      const stored = await getTask(w.deps, w.as('viewer'), task.id);
      expect(stored.workflow?.assignedGroup).toBe('approvers');
      expect(stored.version).toBe(atLevel2.version + 1);
      expect(await w.store.read.reviewerGroups.findByName(w.workspaceId, 'managers')).toBeNull();

      // The members of the renamed group still decide level 2; the refusal names the new name.
      const outsider = await refusal(claimTask(w.deps, w.as('ops2'), task.id));
      expect(outsider.message).toContain('"approvers"');
      expect((await claimTask(w.deps, w.as('mgr1'), task.id)).workflow?.claimed).toBe(true);
      expect((await w.decide(task.id, w.as('mgr1'))).status).toBe('approved');

      // A new task routes through the renamed config: level 2 goes to the group under its new name.
      const fresh = await w.create({ queue: 'two-step' });
      await w.decide(fresh.id, w.as('ops3'));
      expect((await getTask(w.deps, w.as('viewer'), fresh.id)).workflow?.assignedGroup).toBe('approvers');

      const audit = await w.store.read.audit.list(w.workspaceId, 0, 500);
      expect(audit.filter((entry) => entry.action === 'reviewer_group.renamed').map((entry) => entry.data)).toEqual([
        {
          from: 'managers',
          to: 'approvers',
          queues: ['two-step'],
          queueVersions: { 'two-step': before.version + 1 },
          openTasks: 1,
        },
      ]);
    });

    test('a taken name, an unknown group, a bad name or a non-admin change nothing', async () => {
      const taken = await refusal(renameReviewerGroup(w.deps, w.as('admin'), 'ops', 'compliance'));
      expect([taken.status, taken.code]).toEqual([409, 'conflict']);
      expect((await getQueue(w.deps, w.as('viewer'), 'untouched')).config.levels[0]?.group).toBe('ops');
      expect((await refusal(renameReviewerGroup(w.deps, w.as('admin'), 'nobody', 'x'))).code).toBe('not_found');
      expect((await refusal(renameReviewerGroup(w.deps, w.as('admin'), 'ops', 'Not A Slug'))).code).toBe(
        'validation_failed',
      );
      expect((await refusal(renameReviewerGroup(w.deps, w.as('ops1'), 'ops', 'ops-new'))).status).toBe(403);
      expect(await w.store.read.reviewerGroups.findByName(w.workspaceId, 'ops')).not.toBeNull();
    });
  });
}

test('renameGroupInConfig touches only the named group, and says when nothing named it', () => {
  const config = {
    reviewerGroups: ['a', 'b'],
    levels: [{ name: 'l1', group: 'a', quorum: 1, mode: 'unanimous' as const }],
    escalation: [{ action: 'reminder' as const, afterSeconds: 0 }],
  } as unknown as Parameters<typeof renameGroupInConfig>[0];
  expect(renameGroupInConfig(config, 'c', 'd')).toBeNull();
  expect(renameGroupInConfig(config, 'a', 'z')).toMatchObject({
    reviewerGroups: ['z', 'b'],
    levels: [{ group: 'z' }],
    escalation: [{ action: 'reminder', afterSeconds: 0 }],
  });
});
