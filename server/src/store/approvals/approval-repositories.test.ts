import { queueConfigSchema } from '@loopgate/shared';
import type { VoteRecord } from '../../domain/approvals/approval-ports.js';
import type { Store } from '../../domain/store.js';
import { DEFAULT_WORKFLOW } from '../../domain/tasks/task-record.js';
import { DATABASES, openTestStore } from '../../test-support/databases.js';
import { taskRecord } from '../../test-support/task-records.js';
import { userRecord } from '../../test-support/user-records.js';

const ws = 'wsp_approvals';

for (const database of DATABASES) {
  describe(`${database}: approval repositories`, () => {
    let store: Store;
    let close: () => Promise<void>;

    beforeAll(async () => {
      ({ store, close } = await openTestStore(database));
      await store.transaction(async (tx) => {
        await tx.workspaces.insert({ id: ws, slug: 'approvals', name: 'x', createdAt: 1 });
        await tx.users.insert(userRecord('usr_ann', 'ann@example.com', { name: 'Ann' }));
        await tx.users.insert(userRecord('usr_bo', 'bo@example.com'));
        await tx.users.addMembership({ workspaceId: ws, userId: 'usr_ann', role: 'reviewer', createdAt: 1 });
        await tx.apiKeys.insert({
          id: 'key_bot',
          workspaceId: ws,
          name: 'Bot',
          role: 'reviewer',
          prefix: 'lg_bot',
          keyHash: 'hash_bot',
          createdAt: 1,
          revokedAt: null,
          lastUsedAt: null,
          createdBy: null,
        });
      });
    });
    afterAll(async () => close());

    test('queues: one per name, config read back through the schema, versioned, listed by name', async () => {
      const config = queueConfigSchema.parse({ description: 'Refunds <b>', reviewerGroups: ['finance'] });
      const queue = { id: 'que_b', workspaceId: ws, name: 'refunds', config, createdAt: 10, updatedAt: 10, version: 1 };
      expect(await store.transaction((tx) => tx.queues.insert(queue))).toBe(true);
      expect(await store.transaction((tx) => tx.queues.insert({ ...queue, id: 'que_dup' }))).toBe(false);
      expect(await store.read.queues.findByName(ws, 'refunds')).toEqual(queue);
      const changed = queueConfigSchema.parse({ creatorMayApprove: false });
      expect(await store.transaction((tx) => tx.queues.update(ws, 'refunds', changed, 20))).toBe(true);
      expect(await store.transaction((tx) => tx.queues.update(ws, 'missing', changed, 20))).toBe(false);
      const v2 = { ...queue, config: changed, updatedAt: 20, version: 2 };
      expect(await store.read.queues.findByName(ws, 'refunds')).toEqual(v2);
      // With the version it was read at, an update is a compare-and-set: a stale one changes nothing.
      expect(await store.transaction((tx) => tx.queues.update(ws, 'refunds', config, 30, 1))).toBe(false);
      expect(await store.transaction((tx) => tx.queues.update(ws, 'refunds', config, 30, 2))).toBe(true);
      expect(await store.read.queues.findByName(ws, 'refunds')).toEqual({ ...v2, config, updatedAt: 30, version: 3 });
      const other = { ...queue, id: 'que_a', name: 'alpha' };
      await store.transaction((tx) => tx.queues.insert(other));
      expect((await store.read.queues.list(ws)).map((q) => q.name)).toEqual(['alpha', 'refunds']);
    });

    test('reviewer groups keep their members in order, with the names and addresses they have', async () => {
      const group = { id: 'grp_f', workspaceId: ws, name: 'finance', createdAt: 30 };
      expect(await store.transaction((tx) => tx.reviewerGroups.insert(group))).toBe(true);
      expect(await store.transaction((tx) => tx.reviewerGroups.insert({ ...group, id: 'grp_dup' }))).toBe(false);
      const members = [
        { type: 'api_key' as const, id: 'key_bot', email: null, name: 'Bot' },
        { type: 'user' as const, id: 'usr_ann', email: 'ann@example.com', name: 'Ann' },
        { type: 'user' as const, id: 'usr_bo', email: 'bo@example.com', name: null },
      ];
      await store.transaction((tx) => tx.reviewerGroups.replaceMembers('grp_f', members, 31));
      expect(await store.read.reviewerGroups.findByName(ws, 'finance')).toEqual({ ...group, members });
      await store.transaction((tx) => tx.reviewerGroups.insert({ ...group, id: 'grp_e', name: 'empty' }));
      expect(await store.read.reviewerGroups.list(ws)).toEqual([
        { ...group, id: 'grp_e', name: 'empty', members: [] },
        { ...group, members },
      ]);
      await store.transaction((tx) => tx.reviewerGroups.replaceMembers('grp_f', [members[1]!], 32));
      expect((await store.read.reviewerGroups.findByName(ws, 'finance'))?.members).toEqual([members[1]]);
      expect(await store.read.reviewerGroups.findByName(ws, 'missing')).toBeNull();
    });

    test('a member reference resolves by user id, e-mail or key id, within the workspace only', async () => {
      const ann = { type: 'user', id: 'usr_ann', email: 'ann@example.com', name: 'Ann' };
      expect(await store.read.reviewerGroups.resolveMember(ws, 'usr_ann')).toEqual(ann);
      expect(await store.read.reviewerGroups.resolveMember(ws, ' Ann@Example.com ')).toEqual(ann);
      expect(await store.read.reviewerGroups.resolveMember(ws, 'key_bot')).toEqual({
        type: 'api_key',
        id: 'key_bot',
        email: null,
        name: 'Bot',
      });
      expect(await store.read.reviewerGroups.resolveMember(ws, 'usr_bo')).toBeNull();
      expect(await store.read.reviewerGroups.resolveMember('wsp_other', 'key_bot')).toBeNull();
    });

    test('votes: one per voter and task, read back as written in order', async () => {
      await store.transaction((tx) => tx.tasks.insert(taskRecord(ws, 'tsk_vote', 40)));
      const votes: VoteRecord[] = [
        {
          taskId: 'tsk_vote',
          workspaceId: ws,
          level: 1,
          action: 'approve_with_modifications',
          comment: 'fine',
          modifiedPayload: { a: [1, 2] },
          reasonCode: null,
          response: { reply: 'Refunded <b>', score: 1.5, fraud: false },
          actor: { type: 'user', id: 'usr_ann', name: 'Ann' },
          createdAt: 41,
        },
        {
          taskId: 'tsk_vote',
          workspaceId: ws,
          level: 2,
          action: 'reject',
          comment: null,
          modifiedPayload: null,
          reasonCode: 'fraud',
          response: null,
          actor: { type: 'api_key', id: 'key_bot', name: null },
          createdAt: 42,
        },
      ];
      for (const vote of votes) expect(await store.transaction((tx) => tx.votes.insert(vote))).toBe(true);
      expect(await store.transaction((tx) => tx.votes.insert({ ...votes[0]!, level: 2 }))).toBe(false);
      expect(await store.read.votes.listForTask(ws, 'tsk_vote')).toEqual(votes);
      expect(await store.read.votes.listForTask('wsp_other', 'tsk_vote')).toEqual([]);
    });

    test('sweep: due tasks oldest first, rescheduled per step, forgotten once final, load per assignee', async () => {
      const open = (id: string, nextSweepAt: number, extra = {}) =>
        taskRecord(ws, id, 50, {
          queue: 'sweep',
          dueAt: 1_000,
          workflow: { ...DEFAULT_WORKFLOW, nextSweepAt, assignee: { type: 'user', id: 'usr_ann', name: 'Ann' } },
          ...extra,
        });
      await store.transaction(async (tx) => {
        await tx.tasks.insert(open('tsk_s2', 2_000));
        await tx.tasks.insert(open('tsk_s1', 1_000));
        await tx.tasks.insert(open('tsk_s3', 9_000));
        await tx.tasks.insert(open('tsk_s4', 1_500, { status: 'approved' }));
      });
      expect(await store.read.sweep.due(2_000, 10)).toEqual([
        { id: 'tsk_s1', workspaceId: ws, nextSweepAt: 1_000 },
        { id: 'tsk_s4', workspaceId: ws, nextSweepAt: 1_500 },
        { id: 'tsk_s2', workspaceId: ws, nextSweepAt: 2_000 },
      ]);
      expect(await store.read.sweep.due(2_000, 1)).toHaveLength(1);
      await store.transaction((tx) => tx.sweep.forget('tsk_s4'));
      await store.transaction((tx) => tx.sweep.forget('tsk_s1'));
      expect((await store.read.sweep.due(2_000, 10)).map((t) => t.id)).toEqual(['tsk_s1', 'tsk_s2']);
      expect(await store.transaction((tx) => tx.sweep.reschedule(ws, 'sweep', [100, 200], 500))).toBe(3);
      // Equal times come in no particular order.
      const dueAt = async (now: number) =>
        (await store.read.sweep.due(now, 10))
          .map((t) => [t.id, t.nextSweepAt])
          .sort(([x], [y]) => String(x).localeCompare(String(y)));
      expect(await dueAt(1_100)).toEqual([
        ['tsk_s1', 1_100],
        ['tsk_s2', 1_100],
        ['tsk_s3', 1_100],
      ]);
      expect(await store.transaction((tx) => tx.sweep.reschedule(ws, 'sweep', [], 700))).toBe(3);
      expect(await dueAt(1_700)).toEqual([
        ['tsk_s1', 1_700],
        ['tsk_s2', 1_700],
        ['tsk_s3', 1_700],
      ]);
      expect(await store.read.sweep.openLoad(ws, ['usr_ann', 'usr_bo'])).toEqual(
        new Map([
          ['usr_ann', 3],
          ['usr_bo', 0],
        ]),
      );
      expect(await store.read.sweep.openLoad(ws, [])).toEqual(new Map());
    });
  });
}
