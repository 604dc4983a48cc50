import type { InvitationRecord } from '../../domain/reviewers/invitation-ports.js';
import type { BoardCard, ReviewLinkRecord } from '../../domain/reviewers/reviewer-ports.js';
import type { Store } from '../../domain/store.js';
import { DEFAULT_WORKFLOW, type TaskRecord } from '../../domain/tasks/task-record.js';
import { DATABASES, openTestStore } from '../../test-support/databases.js';
import { taskRecord } from '../../test-support/task-records.js';
import { userRecord } from '../../test-support/user-records.js';

const ws = 'wsp_reviewers';

const link = (action: ReviewLinkRecord['action'], extra: Partial<ReviewLinkRecord> = {}): ReviewLinkRecord => ({
  tokenHash: `hash_${action}`,
  workspaceId: ws,
  taskId: 'tsk_link',
  level: 1,
  userId: 'usr_ann',
  email: 'ann@example.com',
  action,
  expiresAt: null,
  usedAt: null,
  createdAt: 50,
  ...extra,
});

const card = (task: TaskRecord): BoardCard => ({
  id: task.id,
  title: task.title,
  queue: task.queue,
  source: task.source,
  status: task.status,
  riskLevel: task.riskLevel,
  confidence: task.confidence,
  assigneeName: task.workflow?.assignee?.name ?? null,
  assigneeId: task.workflow?.assignee?.id ?? null,
  claimed: task.workflow?.claimed ?? false,
  escalated: task.workflow?.escalated ?? false,
  priority: task.workflow?.priority ?? 0,
  level: task.workflow?.level ?? 1,
  levels: task.workflow?.levels ?? 1,
  dueAt: task.dueAt,
  createdAt: task.createdAt,
  closedAt: task.closedAt,
  decisionAction: task.decision?.action ?? null,
  agent: task.agent ? { id: task.agent.id, name: task.agent.name } : null,
  createdBy: task.createdBy,
  assignee: task.workflow?.assignee ?? null,
  assignedGroup: task.workflow?.assignedGroup ?? null,
  sensitive: [],
});

for (const database of DATABASES) {
  describe(`${database}: reviewer repositories`, () => {
    let store: Store;
    let close: () => Promise<void>;

    beforeAll(async () => {
      ({ store, close } = await openTestStore(database));
      await store.transaction(async (tx) => {
        await tx.workspaces.insert({ id: ws, slug: 'reviewers', name: 'x', createdAt: 1 });
        await tx.workspaces.insert({ id: 'wsp_second', slug: 'second', name: 'x', createdAt: 1 });
        await tx.users.insert(userRecord('usr_ann', 'ann@example.com', { name: 'Ann' }));
        await tx.users.insert(userRecord('usr_bo', 'bo@example.com'));
        await tx.users.addMembership({ workspaceId: ws, userId: 'usr_bo', role: 'admin', createdAt: 2 });
        await tx.users.addMembership({ workspaceId: ws, userId: 'usr_ann', role: 'reviewer', createdAt: 3 });
        await tx.users.addMembership({ workspaceId: 'wsp_second', userId: 'usr_ann', role: 'viewer', createdAt: 1 });
        await tx.tasks.insert(taskRecord(ws, 'tsk_link', 40));
      });
    });
    afterAll(async () => close());

    test('sessions: live until they expire, deleted one by one, per user (but one) and in batches', async () => {
      const session = {
        idHash: 'sh_1',
        userId: 'usr_ann',
        workspaceId: ws,
        csrfToken: 'csrf',
        createdAt: 10,
        expiresAt: 100,
      };
      await store.transaction(async (tx) => {
        await tx.sessions.insert(session);
        await tx.sessions.insert({ ...session, idHash: 'sh_2' });
        await tx.sessions.insert({ ...session, idHash: 'sh_5' });
        await tx.sessions.insert({ ...session, idHash: 'sh_3', userId: 'usr_bo', expiresAt: 50 });
        await tx.sessions.insert({ ...session, idHash: 'sh_4', userId: 'usr_bo', expiresAt: 60 });
      });
      expect(await store.read.sessions.findLive('sh_1', 99)).toEqual(session);
      expect(await store.read.sessions.findLive('sh_1', 100)).toBeNull();
      await store.transaction((tx) => tx.sessions.delete('sh_1'));
      expect(await store.read.sessions.findLive('sh_1', 0)).toBeNull();
      // A password change ends the user's other sessions and keeps the one it came from; no one else's.
      await store.transaction((tx) => tx.sessions.deleteForUser('usr_ann', 'sh_5'));
      expect(await store.read.sessions.findLive('sh_2', 0)).toBeNull();
      expect(await store.read.sessions.findLive('sh_5', 0)).toEqual({ ...session, idHash: 'sh_5' });
      expect(await store.read.sessions.findLive('sh_3', 0)).not.toBeNull();
      await store.transaction((tx) => tx.sessions.deleteForUser('usr_ann'));
      expect(await store.read.sessions.findLive('sh_5', 0)).toBeNull();
      expect(await store.transaction((tx) => tx.sessions.deleteExpired(60, 1))).toBe(1);
      expect(await store.transaction((tx) => tx.sessions.purgeExpired(60))).toBe(1);
      expect(await store.transaction((tx) => tx.sessions.purgeExpired(60))).toBe(0);
    });

    test('review links: one per action, used together, given back, gone once their task is closed', async () => {
      const links = [link('approve', { expiresAt: 500 }), link('reject'), link('modify')];
      for (const each of links) expect(await store.transaction((tx) => tx.reviewLinks.insert(each))).toBe(true);
      expect(await store.transaction((tx) => tx.reviewLinks.insert({ ...links[0]!, tokenHash: 'other' }))).toBe(false);
      expect(await store.read.reviewLinks.findByHash('hash_approve')).toEqual(links[0]);
      expect(await store.transaction((tx) => tx.reviewLinks.use(links[1]!, 60))).toBe(true);
      expect(await store.transaction((tx) => tx.reviewLinks.use(links[0]!, 61))).toBe(false);
      expect((await store.read.reviewLinks.findByHash('hash_modify'))?.usedAt).toBe(60);
      await store.transaction((tx) => tx.reviewLinks.release(links[1]!, 59));
      expect((await store.read.reviewLinks.findByHash('hash_modify'))?.usedAt).toBe(60);
      await store.transaction((tx) => tx.reviewLinks.release(links[1]!, 60));
      expect(await store.read.reviewLinks.findByHash('hash_modify')).toEqual(links[2]);
      expect(await store.transaction((tx) => tx.reviewLinks.deleteForClosedTasks([], 1_000, 10))).toBe(0);
      expect(await store.transaction((tx) => tx.reviewLinks.deleteForClosedTasks(['approved'], 1_000, 10))).toBe(0);
      await store.transaction((tx) =>
        tx.tasks.transition(
          ws,
          'tsk_link',
          { status: 'pending_review', version: 1 },
          { status: 'approved', updatedAt: 70, closedAt: 70 },
        ),
      );
      expect(
        await store.transaction((tx) => tx.reviewLinks.deleteForClosedTasks(['approved', 'rejected'], 69, 10)),
      ).toBe(0);
      expect(
        await store.transaction((tx) => tx.reviewLinks.deleteForClosedTasks(['approved', 'rejected'], 70, 2)),
      ).toBe(2);
      expect(
        await store.transaction((tx) => tx.reviewLinks.deleteForClosedTasks(['approved', 'rejected'], 70, 2)),
      ).toBe(1);
      expect(await store.read.reviewLinks.findByHash('hash_approve')).toBeNull();
    });

    test('task reviewers are kept once each, lower case, in order', async () => {
      await store.transaction((tx) =>
        tx.taskReviewers.add(ws, 'tsk_link', ['Bo@Example.com', ' ann@example.com', 'bo@example.com']),
      );
      await store.transaction((tx) => tx.taskReviewers.add(ws, 'tsk_link', ['ann@example.com']));
      expect(await store.read.taskReviewers.listForTask(ws, 'tsk_link')).toEqual(['ann@example.com', 'bo@example.com']);
      expect(await store.read.taskReviewers.listForTask('wsp_second', 'tsk_link')).toEqual([]);
    });

    test('members of a workspace by address, and the workspaces of a user oldest first', async () => {
      expect(await store.read.members.listForWorkspace(ws)).toEqual([
        {
          userId: 'usr_ann',
          email: 'ann@example.com',
          name: 'Ann',
          role: 'reviewer',
          createdAt: 3,
          deactivatedAt: null,
        },
        { userId: 'usr_bo', email: 'bo@example.com', name: null, role: 'admin', createdAt: 2, deactivatedAt: null },
      ]);
      expect(await store.read.members.workspacesOf('usr_ann')).toEqual([
        { workspaceId: 'wsp_second', slug: 'second', role: 'viewer' },
        { workspaceId: ws, slug: 'reviewers', role: 'reviewer' },
      ]);
    });

    test('a board column holds its statuses and flags, narrowed by every filter, and counts past its limit', async () => {
      const bw = 'wsp_second';
      const assignee = { type: 'user' as const, id: 'usr_ann', name: 'Ann' };
      const flow = DEFAULT_WORKFLOW;
      const tasks = [
        taskRecord(bw, 'tsk_b1', 100, { title: '100% off_sale!', riskLevel: 'high', confidence: 0.5, dueAt: 900 }),
        taskRecord(bw, 'tsk_b2', 200, {
          queue: 'q2',
          source: 'n8n',
          workflow: { ...flow, escalated: false, claimed: true, assignee },
        }),
        taskRecord(bw, 'tsk_b3', 300, { workflow: { ...flow, escalated: true, claimed: false, assignee: null } }),
        taskRecord(bw, 'tsk_b4', 400, { title: '100 percent' }),
        taskRecord(bw, 'tsk_b5', 500, { status: 'approved', closedAt: 600 }),
      ];
      await store.transaction(async (tx) => {
        for (const task of tasks) await tx.tasks.insert(task);
      });
      type ColumnQuery = Omit<Parameters<Store['read']['board']['column']>[1], 'order'>;
      // Open work in urgency order: tsk_b1 has the only deadline, the rest follow oldest first.
      const column = async (query: ColumnQuery, filter = {}, limit = 10) => {
        const order = query.closedAfter === undefined ? 'urgency' : 'recently_closed';
        const { cards, total } = await store.read.board.column(bw, { ...query, order }, filter, limit);
        return { ids: cards.map((c) => c.id), total };
      };
      const open = ['pending_review', 'in_review'] as const;
      expect(await column({ statuses: open })).toEqual({ ids: ['tsk_b1', 'tsk_b2', 'tsk_b3', 'tsk_b4'], total: 4 });
      expect(await column({ statuses: open }, {}, 2)).toEqual({ ids: ['tsk_b1', 'tsk_b2'], total: 4 });
      expect(await column({ statuses: open, escalated: false, claimed: false })).toEqual({
        ids: ['tsk_b1', 'tsk_b4'],
        total: 2,
      });
      expect(await column({ statuses: open, claimed: true })).toEqual({ ids: ['tsk_b2'], total: 1 });
      expect(await column({ statuses: open, escalated: true })).toEqual({ ids: ['tsk_b3'], total: 1 });
      expect(await column({ statuses: ['approved'], closedAfter: 599 })).toEqual({ ids: ['tsk_b5'], total: 1 });
      expect(await column({ statuses: ['approved'], closedAfter: 600 })).toEqual({ ids: [], total: 0 });
      expect(await column({ statuses: open }, { queue: 'q2' })).toEqual({ ids: ['tsk_b2'], total: 1 });
      expect(await column({ statuses: open }, { source: 'n8n', assigneeId: 'usr_ann' })).toEqual({
        ids: ['tsk_b2'],
        total: 1,
      });
      expect(await column({ statuses: open }, { riskLevel: 'high' })).toEqual({ ids: ['tsk_b1'], total: 1 });
      // The search is a substring, with LIKE's own characters taken literally.
      expect(await column({ statuses: open }, { search: '100%' })).toEqual({ ids: ['tsk_b1'], total: 1 });
      expect(await column({ statuses: open }, { search: 'f_s' })).toEqual({ ids: ['tsk_b1'], total: 1 });
      expect(await column({ statuses: open }, { search: '100' })).toEqual({ ids: ['tsk_b1', 'tsk_b4'], total: 2 });
      const { cards } = await store.read.board.column(bw, { statuses: open, order: 'urgency' }, {}, 10);
      expect(cards).toEqual(tasks.slice(0, 4).map(card));
      // Filter columns: a match on every field given; what earlier filters took is left out, and a
      // task without a risk level (NULL) is not taken by a risk filter.
      expect(await column({ statuses: open, match: { queue: 'q2', source: 'n8n' } })).toEqual({
        ids: ['tsk_b2'],
        total: 1,
      });
      expect(await column({ statuses: open, match: { queue: 'q2', source: 'api' } })).toEqual({ ids: [], total: 0 });
      expect(
        await column({ statuses: open, match: { minLevel: 1 }, exclude: [{ riskLevel: 'high' }, { queue: 'q2' }] }),
      ).toEqual({
        ids: ['tsk_b3', 'tsk_b4'],
        total: 2,
      });
      expect(await column({ statuses: open, match: { minLevel: 2 } })).toEqual({ ids: [], total: 0 });
    });

    test('recent tags: each once, sorted, from this workspace only, at most the limit', async () => {
      await store.transaction(async (tx) => {
        await tx.workspaces.insert({ id: 'wsp_tags', slug: 'tags', name: 'x', createdAt: 1 });
        await tx.workspaces.insert({ id: 'wsp_other_tags', slug: 'other-tags', name: 'x', createdAt: 1 });
        await tx.tasks.insert(taskRecord('wsp_tags', 'tsk_t1', 100, { tags: ['fraud', 'vip'] }));
        await tx.tasks.insert(taskRecord('wsp_tags', 'tsk_t2', 200, { tags: ['<b>x</b>', 'fraud'] }));
        await tx.tasks.insert(taskRecord('wsp_tags', 'tsk_t3', 300, { tags: [] }));
        await tx.tasks.insert(taskRecord('wsp_other_tags', 'tsk_t4', 400, { tags: ['elsewhere'] }));
      });
      expect(await store.read.board.recentTags('wsp_tags', 10)).toEqual(['<b>x</b>', 'fraud', 'vip']);
      expect(await store.read.board.recentTags('wsp_tags', 2)).toEqual(['<b>x</b>', 'fraud']);
    });

    test('sources: each once, sorted, from this workspace only, at most the limit', async () => {
      await store.transaction(async (tx) => {
        await tx.workspaces.insert({ id: 'wsp_src', slug: 'src', name: 'x', createdAt: 1 });
        await tx.workspaces.insert({ id: 'wsp_other_src', slug: 'other-src', name: 'x', createdAt: 1 });
        for (const [i, source] of ['zapier', 'n8n', 'api', 'n8n', 'zapier', '<b>x</b>'].entries()) {
          await tx.tasks.insert(taskRecord('wsp_src', `tsk_s${i}`, 100 + i, { source }));
        }
        await tx.tasks.insert(taskRecord('wsp_other_src', 'tsk_s9', 500, { source: 'elsewhere' }));
      });
      expect(await store.read.board.sources('wsp_src', 10)).toEqual(['<b>x</b>', 'api', 'n8n', 'zapier']);
      expect(await store.read.board.sources('wsp_src', 2)).toEqual(['<b>x</b>', 'api']);
      expect(await store.read.board.sources('wsp_none', 10)).toEqual([]);
    });

    test('board config: none until saved; each save must follow the version it was made from; per workspace', async () => {
      const columns = [{ id: 'pending', title: 'Inbox', kind: 'stage' as const, stage: 'pending' as const }];
      const record = { workspaceId: ws, columns, version: 1, updatedAt: 10, updatedBy: 'usr_bo' };
      expect(await store.read.boardConfigs.find(ws)).toBeNull();
      expect(await store.transaction((tx) => tx.boardConfigs.save(record))).toBe(true);
      expect(await store.transaction((tx) => tx.boardConfigs.save({ ...record, updatedAt: 11 }))).toBe(false);
      expect(await store.read.boardConfigs.find(ws)).toEqual(record);
      const filter = {
        id: 'fraud',
        title: 'Fraud "flags"',
        kind: 'filter' as const,
        filter: { tag: 'fraud', minLevel: 2 },
      };
      const next = { ...record, columns: [...columns, filter], version: 2, updatedAt: 20, updatedBy: null };
      expect(await store.transaction((tx) => tx.boardConfigs.save(next))).toBe(true);
      expect(await store.transaction((tx) => tx.boardConfigs.save({ ...next, version: 4 }))).toBe(false);
      expect(await store.read.boardConfigs.find(ws)).toEqual(next);
      expect(await store.read.boardConfigs.find('wsp_second')).toBeNull();
    });

    test("board card details: payload values by pointer as JSON text, and the viewer's votes, for the given cards only", async () => {
      const payload = { amount: 12.5, customer: { name: 'Dana "D" <W>', tags: ['a', 'b'] }, 'a/b': true, list: [1] };
      await store.transaction(async (tx) => {
        await tx.tasks.insert(taskRecord(ws, 'tsk_cf1', 60, { payload }));
        await tx.tasks.insert(taskRecord(ws, 'tsk_cf2', 61, { payload: { amount: null } }));
        await tx.tasks.insert(taskRecord('wsp_second', 'tsk_cf3', 62, { payload }));
      });
      const pointers = ['/amount', '/customer/name', '/customer', '/a~1b', '/list/0', '/missing'];
      const values = await store.read.board.payloadValues(ws, ['tsk_cf1', 'tsk_cf2', 'tsk_cf3'], pointers);
      expect([...values.keys()].sort()).toEqual(['tsk_cf1', 'tsk_cf2']);
      const [amount, name, customer, slashed, listItem, missing] = values.get('tsk_cf1') ?? [];
      expect(JSON.parse(amount ?? '')).toBe(12.5);
      expect(JSON.parse(name ?? '')).toBe('Dana "D" <W>');
      expect(JSON.parse(customer ?? '')).toEqual(payload.customer);
      expect(JSON.parse(slashed ?? '')).toBe(true);
      // Through objects only, like every payload pointer: a list has no member "0".
      expect([listItem, missing]).toEqual([null, null]);
      expect(values.get('tsk_cf2')?.[0]).toBe('null');
      expect((await store.read.board.payloadValues(ws, [], pointers)).size).toBe(0);

      const ann = { type: 'user' as const, id: 'usr_ann', name: 'Ann' };
      await store.transaction(async (tx) => {
        const vote = {
          taskId: 'tsk_cf1',
          workspaceId: ws,
          level: 1,
          action: 'approve' as const,
          comment: null,
          modifiedPayload: null,
          reasonCode: null,
          response: null,
          actor: ann,
          createdAt: 70,
        };
        await tx.votes.insert(vote);
        await tx.votes.insert({ ...vote, taskId: 'tsk_cf2', actor: { type: 'user', id: 'usr_bo', name: 'Bo' } });
      });
      expect([...(await store.read.votes.votedOn(ws, ann, ['tsk_cf1', 'tsk_cf2']))]).toEqual(['tsk_cf1']);
      expect((await store.read.votes.votedOn('wsp_second', ann, ['tsk_cf1'])).size).toBe(0);
    });

    test('invitations: read back as written, revoked, used once while valid, and pruned in batches', async () => {
      const invitation: InvitationRecord = {
        tokenHash: 'inv_1',
        workspaceId: ws,
        email: 'new@example.com',
        role: 'reviewer',
        name: 'New "Person"',
        invitedBy: 'usr_bo',
        createdAt: 10,
        expiresAt: 100,
        usedAt: null,
        revokedAt: null,
      };
      await store.transaction(async (tx) => {
        await tx.invitations.insert(invitation);
        await tx.invitations.insert({ ...invitation, tokenHash: 'inv_2', createdAt: 20, name: null, invitedBy: null });
        await tx.invitations.insert({ ...invitation, tokenHash: 'inv_3', email: 'other@example.com', createdAt: 20 });
      });
      expect(await store.read.invitations.findByHash('inv_1')).toEqual(invitation);
      expect((await store.read.invitations.listOpen(ws)).map((i) => i.tokenHash)).toEqual(['inv_2', 'inv_3', 'inv_1']);
      expect(await store.transaction((tx) => tx.invitations.use('inv_3', 100))).toBe(false);
      expect(await store.transaction((tx) => tx.invitations.use('inv_3', 99))).toBe(true);
      expect(await store.transaction((tx) => tx.invitations.use('inv_3', 99))).toBe(false);
      expect(await store.transaction((tx) => tx.invitations.revokeUnused(ws, 'new@example.com', 30))).toBe(2);
      expect(await store.read.invitations.findByHash('inv_1')).toEqual({ ...invitation, revokedAt: 30 });
      expect(await store.read.invitations.listOpen(ws)).toEqual([]);
      expect(await store.transaction((tx) => tx.invitations.deleteExpiredBefore(101, 2))).toBe(2);
      expect(await store.transaction((tx) => tx.invitations.deleteExpiredBefore(101, 2))).toBe(1);
    });
  });
}
