import type { Store } from '../../domain/store.js';
import { DEFAULT_WORKFLOW, type TaskEventRecord, type TaskRecord } from '../../domain/tasks/task-record.js';
import { DATABASES, openTestStore } from '../../test-support/databases.js';
import { taskRecord } from '../../test-support/task-records.js';

/** A task with every column set to something other than its default, so each one is seen coming back. */
function fullTask(workspaceId: string, id: string): TaskRecord {
  return taskRecord(workspaceId, id, 1_764_000_000_123, {
    queue: 'refunds',
    title: 'Refund <b>order</b> 42',
    description: 'A "description" with ünïcode',
    payload: { amount: 12.5, items: [1, 'two', null, { nested: true }] },
    context: { agent: 'gpt', trace: ['a', 'b'] },
    confidence: 0.875,
    riskLevel: 'high',
    tags: ['money', 'eu'],
    source: 'n8n',
    externalRef: 'order-42',
    callbackUrl: 'https://example.com/callback?x=1',
    dueAt: 1_764_000_900_000,
    updatedAt: 1_764_000_000_456,
    version: 3,
    createdBy: { type: 'api_key', id: 'key_abc', name: 'n8n prod' },
    form: {
      type: 'object',
      properties: {
        amount: { type: 'number', title: 'Amount <b>', minimum: 0, 'x-loopgate-path': '/amount' },
        reason: { type: 'string', enum: ['a', 'b'], enumNames: ['A', 'B'] },
      },
      required: ['amount'],
    },
    responseForm: { type: 'object', properties: { reply: { type: 'string', maxLength: 500 } } },
    workflow: {
      routingRule: 'big-refunds',
      routingReason: 'amount > 10',
      levels: 2,
      level: 2,
      priority: 7,
      escalated: true,
      escalationStep: 1,
      nextSweepAt: 1_764_000_500_000,
      assignedGroup: 'finance',
      assignee: { type: 'user', id: 'usr_1', name: 'Ann' },
      claimed: true,
    },
  });
}

for (const database of DATABASES) {
  describe(`${database}: task repository`, () => {
    let store: Store;
    let close: () => Promise<void>;
    const workspaceId = 'wsp_task_repo';

    beforeAll(async () => {
      ({ store, close } = await openTestStore(database));
      await store.transaction((tx) =>
        tx.workspaces.insert({ id: workspaceId, slug: 'task-repo', name: 'x', createdAt: 1 }),
      );
    });
    afterAll(async () => close());

    test('a task comes back exactly as it was written, every column included', async () => {
      const task = fullTask(workspaceId, 'tsk_full');
      await store.transaction((tx) => tx.tasks.insert(task));
      expect(await store.read.tasks.findById(workspaceId, 'tsk_full')).toEqual(task);
      expect(await store.read.tasks.findById('wsp_other', 'tsk_full')).toBeNull();
    });

    test('a task written without workflow reads back with the defaults, its deadline as the next sweep', async () => {
      const task = taskRecord(workspaceId, 'tsk_plain', 2_000, { dueAt: 9_000 });
      await store.transaction((tx) => tx.tasks.insert(task));
      expect(await store.read.tasks.findById(workspaceId, 'tsk_plain')).toEqual({
        ...task,
        workflow: { ...DEFAULT_WORKFLOW, nextSweepAt: 9_000 },
      });
    });

    test('a transition writes the decision and workflow it names, and a final one clears the next sweep', async () => {
      await store.transaction((tx) => tx.tasks.insert(fullTask(workspaceId, 'tsk_decide')));
      const decision = {
        action: 'approve_with_modifications' as const,
        comment: 'ok <i>',
        modifiedPayload: { amount: 10 },
        diff: '-12.5\n+10',
        reasonCode: null,
        response: { reply: 'Refunded <b>', score: 2, fraud: false },
        payloadDigest: 'a'.repeat(64),
        decidedBy: { type: 'user' as const, id: 'usr_2', name: 'Bo' },
        decidedAt: 5_000,
      };
      const won = await store.transaction((tx) =>
        tx.tasks.transition(
          workspaceId,
          'tsk_decide',
          { status: 'pending_review', version: 3 },
          {
            status: 'approved_with_modifications',
            updatedAt: 5_000,
            closedAt: 5_000,
            decision,
            workflow: { claimed: false, assignee: null, priority: 1 },
          },
        ),
      );
      expect(won).toBe(true);
      const stored = await store.read.tasks.findById(workspaceId, 'tsk_decide');
      expect(stored).toEqual({
        ...fullTask(workspaceId, 'tsk_decide'),
        status: 'approved_with_modifications',
        updatedAt: 5_000,
        closedAt: 5_000,
        version: 4,
        decision,
        workflow: {
          ...fullTask(workspaceId, 'tsk_decide').workflow,
          claimed: false,
          assignee: null,
          priority: 1,
          nextSweepAt: null,
        },
      });
    });

    test('a reject keeps its reason code', async () => {
      await store.transaction((tx) => tx.tasks.insert(taskRecord(workspaceId, 'tsk_reject', 3_000)));
      const decision = {
        action: 'reject' as const,
        comment: 'Looks like fraud',
        modifiedPayload: null,
        diff: null,
        reasonCode: 'suspected-fraud',
        response: null,
        payloadDigest: null,
        decidedBy: { type: 'user' as const, id: 'usr_3', name: 'Cy' },
        decidedAt: 3_002,
      };
      await store.transaction((tx) =>
        tx.tasks.transition(
          workspaceId,
          'tsk_reject',
          { status: 'pending_review', version: 1 },
          { status: 'rejected', updatedAt: 3_002, closedAt: 3_002, decision },
        ),
      );
      expect((await store.read.tasks.findById(workspaceId, 'tsk_reject'))?.decision).toEqual(decision);
    });

    test('a plain approval keeps no modified payload or diff', async () => {
      await store.transaction((tx) => tx.tasks.insert(taskRecord(workspaceId, 'tsk_approve', 3_000)));
      const decision = {
        action: 'approve' as const,
        comment: null,
        modifiedPayload: { ignored: true },
        diff: 'ignored',
        reasonCode: null,
        response: null,
        payloadDigest: null,
        decidedBy: { type: 'system' as const, id: null, name: null },
        decidedAt: 3_001,
      };
      await store.transaction((tx) =>
        tx.tasks.transition(
          workspaceId,
          'tsk_approve',
          { status: 'pending_review', version: 1 },
          { status: 'approved', updatedAt: 3_001, closedAt: 3_001, decision },
        ),
      );
      expect((await store.read.tasks.findById(workspaceId, 'tsk_approve'))?.decision).toEqual({
        ...decision,
        modifiedPayload: null,
        diff: null,
      });
    });

    test('transition is a compare-and-set on status and version', async () => {
      await store.transaction((tx) => tx.tasks.insert(taskRecord(workspaceId, 'tsk_cas', 5)));
      const change = { status: 'rejected' as const, updatedAt: 6, closedAt: 6 };
      const stale = await store.transaction((tx) =>
        tx.tasks.transition(workspaceId, 'tsk_cas', { status: 'pending_review', version: 7 }, change),
      );
      expect(stale).toBe(false);
      const foreign = await store.transaction((tx) =>
        tx.tasks.transition('wsp_other', 'tsk_cas', { status: 'pending_review', version: 1 }, change),
      );
      expect(foreign).toBe(false);
      const won = await store.transaction((tx) =>
        tx.tasks.transition(workspaceId, 'tsk_cas', { status: 'pending_review', version: 1 }, change),
      );
      expect(won).toBe(true);
      expect(await store.read.tasks.findById(workspaceId, 'tsk_cas')).toMatchObject({
        status: 'rejected',
        version: 2,
        closedAt: 6,
      });
    });

    test('listing pages through rows with equal timestamps without skipping or repeating', async () => {
      const ws = 'wsp_list_ties';
      await store.transaction(async (tx) => {
        await tx.workspaces.insert({ id: ws, slug: 'list-ties', name: 'x', createdAt: 1 });
        for (let i = 0; i < 9; i++) await tx.tasks.insert(taskRecord(ws, `tsk_tie${i}`, 500 + Math.floor(i / 4)));
      });
      const seen: string[] = [];
      let after: { createdAt: number; id: string } | undefined;
      for (;;) {
        const page = await store.read.tasks.list(ws, {}, 2, after);
        if (page.length === 0) break;
        seen.push(...page.map((t) => t.id));
        const last = page[page.length - 1]!;
        after = { createdAt: last.createdAt, id: last.id };
      }
      expect(seen).toHaveLength(9);
      expect(new Set(seen).size).toBe(9);
    });

    test('every list filter narrows by its own column, and filters combine', async () => {
      const ws = 'wsp_list_filters';
      const tasks = [
        taskRecord(ws, 'tsk_f1', 100, { queue: 'a', source: 'api', riskLevel: 'low', externalRef: 'r1' }),
        taskRecord(ws, 'tsk_f2', 200, { queue: 'b', source: 'n8n', riskLevel: 'high', externalRef: 'r2' }),
        taskRecord(ws, 'tsk_f3', 300, { queue: 'a', source: 'n8n', riskLevel: 'high', status: 'in_review' }),
        taskRecord(ws, 'tsk_f4', 400, { queue: 'b', source: 'api', riskLevel: null }),
      ];
      await store.transaction(async (tx) => {
        await tx.workspaces.insert({ id: ws, slug: 'list-filters', name: 'x', createdAt: 1 });
        for (const task of tasks) await tx.tasks.insert(task);
      });
      const ids = async (filter: Parameters<Store['read']['tasks']['list']>[1], limit = 10) =>
        (await store.read.tasks.list(ws, filter, limit)).map((t) => t.id);
      expect(await ids({})).toEqual(['tsk_f4', 'tsk_f3', 'tsk_f2', 'tsk_f1']);
      expect(await ids({}, 2)).toEqual(['tsk_f4', 'tsk_f3']);
      expect(await ids({ status: 'in_review' })).toEqual(['tsk_f3']);
      expect(await ids({ queue: 'a' })).toEqual(['tsk_f3', 'tsk_f1']);
      expect(await ids({ riskLevel: 'high' })).toEqual(['tsk_f3', 'tsk_f2']);
      expect(await ids({ source: 'api' })).toEqual(['tsk_f4', 'tsk_f1']);
      expect(await ids({ externalRef: 'r2' })).toEqual(['tsk_f2']);
      expect(await ids({ createdAfter: 200 })).toEqual(['tsk_f4', 'tsk_f3']);
      expect(await ids({ createdBefore: 300 })).toEqual(['tsk_f2', 'tsk_f1']);
      expect(await ids({ createdAfter: 100, createdBefore: 400, source: 'n8n', queue: 'b' })).toEqual(['tsk_f2']);
      expect(await store.read.tasks.list(ws, {}, 10, { createdAt: 300, id: 'tsk_f3' })).toEqual(
        tasks
          .slice(0, 2)
          .reverse()
          .map((task) => ({ ...task, workflow: DEFAULT_WORKFLOW })),
      );
      expect(await store.read.tasks.list('wsp_other', {}, 10)).toEqual([]);
    });

    test('open tasks come most urgent first: earliest deadline, then priority, then oldest; closed ones never', async () => {
      const ws = 'wsp_urgency';
      const flow = (priority: number) => ({ workflow: { ...DEFAULT_WORKFLOW, priority } });
      await store.transaction(async (tx) => {
        await tx.workspaces.insert({ id: ws, slug: 'urgency', name: 'x', createdAt: 1 });
        await tx.tasks.insert(taskRecord(ws, 'tsk_u_nodue', 100, { dueAt: null, ...flow(5) }));
        await tx.tasks.insert(taskRecord(ws, 'tsk_u_late', 200, { dueAt: 9_000 }));
        await tx.tasks.insert(taskRecord(ws, 'tsk_u_soon_low', 300, { dueAt: 5_000, status: 'in_review' }));
        await tx.tasks.insert(taskRecord(ws, 'tsk_u_soon_high', 400, { dueAt: 5_000, ...flow(2) }));
        await tx.tasks.insert(taskRecord(ws, 'tsk_u_closed', 50, { dueAt: 1_000, status: 'approved', closedAt: 60 }));
      });
      const ids = async (limit: number, offset: number) =>
        (await store.read.tasks.listOpenByUrgency(ws, limit, offset)).map((t) => t.id);
      expect(await ids(10, 0)).toEqual(['tsk_u_soon_high', 'tsk_u_soon_low', 'tsk_u_late', 'tsk_u_nodue']);
      expect(await ids(2, 2)).toEqual(['tsk_u_late', 'tsk_u_nodue']);
      expect(await store.read.tasks.listOpenByUrgency('wsp_other', 10, 0)).toEqual([]);
    });

    test('events come back in the order they were appended, each as it was written', async () => {
      await store.transaction((tx) => tx.tasks.insert(taskRecord(workspaceId, 'tsk_events', 7_000)));
      const events: TaskEventRecord[] = [
        {
          id: 'evt_1',
          workspaceId,
          taskId: 'tsk_events',
          type: 'created',
          fromStatus: null,
          toStatus: 'pending_review',
          actor: { type: 'api_key', id: 'key_1', name: 'agent' },
          reason: null,
          data: { routed: ['a', 1] },
          createdAt: 7_000,
        },
        {
          id: 'evt_2',
          workspaceId,
          taskId: 'tsk_events',
          type: 'approved',
          fromStatus: 'pending_review',
          toStatus: 'approved',
          actor: { type: 'system', id: null, name: null },
          reason: 'policy',
          data: null,
          createdAt: 7_000,
        },
      ];
      await store.transaction(async (tx) => {
        for (const event of events) await tx.taskEvents.append(event);
      });
      expect(await store.read.taskEvents.listForTask(workspaceId, 'tsk_events')).toEqual(events);
      expect(await store.read.taskEvents.listForTask('wsp_other', 'tsk_events')).toEqual([]);
    });
  });
}
