import { FINAL_TASK_STATUSES, OPEN_TASK_STATUSES } from '@loopgate/shared';
import { InProcessTaskEventBus } from '../../events/in-process-bus.js';
import { DATABASES, openTestStore } from '../../test-support/databases.js';
import { taskRecord } from '../../test-support/task-records.js';
import { resolveWorkspace } from '../admin/workspaces.js';
import type { TaskChangeMessage } from '../kernel/bus.js';
import type { Store } from '../store.js';
import type { DecisionRecord, TaskRecord, TaskTransition, TaskWorkflowRecord } from './task-record.js';
import {
  applyChange,
  ChangeLost,
  changeOpenTask,
  commitChange,
  type PlannedChange,
  type TaskChangeDeps,
  writeChange,
} from './task-transition.js';

const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
const AT = T0 + 60_000;
const REVIEWER = { type: 'api_key', id: 'key_ops1', name: 'ops1' } as const;

/** A task part-way through a two-level workflow, with a deadline, so every field has something to change from. */
const OPEN_WORKFLOW: TaskWorkflowRecord = {
  routingRule: 'rules[2]:risk',
  routingReason: 'Risk high needs 2 levels',
  levels: 2,
  level: 1,
  priority: 0,
  escalated: false,
  escalationStep: 1,
  nextSweepAt: T0 + 300_000,
  assignedGroup: 'ops',
  assignee: { type: 'user', id: 'usr_ann', name: 'ann@example.com' },
  claimed: true,
};

const decision = (extra: Partial<DecisionRecord> = {}): DecisionRecord => ({
  action: 'approve',
  comment: 'fine by me',
  modifiedPayload: null,
  diff: null,
  decidedBy: REVIEWER,
  decidedAt: AT,
  ...extra,
});

/** Each field a TaskTransition can set, alone or together, from the open task above. */
const CHANGES: [name: string, change: TaskTransition][] = [
  ['status and updatedAt only', { status: 'in_review', updatedAt: AT }],
  ['the same status again (a claim, an escalation)', { status: 'pending_review', updatedAt: AT }],
  ['closedAt set', { status: 'in_review', updatedAt: AT, closedAt: AT }],
  ['closedAt cleared', { status: 'in_review', updatedAt: AT, closedAt: null }],
  ['an approval', { status: 'approved', updatedAt: AT, closedAt: AT, decision: decision() }],
  [
    'a rejection without comment',
    { status: 'rejected', updatedAt: AT, closedAt: AT, decision: decision({ action: 'reject', comment: null }) },
  ],
  [
    'an approval with modifications and its diff',
    {
      status: 'approved_with_modifications',
      updatedAt: AT,
      closedAt: AT,
      decision: decision({
        action: 'approve_with_modifications',
        modifiedPayload: { amount: 40, note: 'ünïcödé ✓', list: [null, true] },
        diff: '--- original\n+++ modified\n',
      }),
    },
  ],
  [
    'a modification of null (the agent receives null)',
    {
      status: 'approved_with_modifications',
      updatedAt: AT,
      closedAt: AT,
      decision: decision({ action: 'approve_with_modifications', modifiedPayload: null, diff: null }),
    },
  ],
  [
    // The UPDATE stores a modified payload and diff only for approve_with_modifications.
    'a plain approval carrying a stray modified payload and diff',
    {
      status: 'approved',
      updatedAt: AT,
      closedAt: AT,
      decision: decision({ modifiedPayload: { amount: 1 }, diff: '--- original\n' }),
    },
  ],
  [
    'a decision by an actor without id (the policy)',
    {
      status: 'approved',
      updatedAt: AT,
      closedAt: AT,
      decision: decision({ decidedBy: { type: 'policy', id: null, name: 'timeout' } }),
    },
  ],
  ['routingRule', { status: 'in_review', updatedAt: AT, workflow: { routingRule: 'otherwise' } }],
  ['routingRule cleared', { status: 'in_review', updatedAt: AT, workflow: { routingRule: null } }],
  ['routingReason', { status: 'in_review', updatedAt: AT, workflow: { routingReason: 'changed <reason>' } }],
  ['routingReason cleared', { status: 'in_review', updatedAt: AT, workflow: { routingReason: null } }],
  ['levels', { status: 'in_review', updatedAt: AT, workflow: { levels: 3 } }],
  ['level', { status: 'in_review', updatedAt: AT, workflow: { level: 2 } }],
  ['priority', { status: 'pending_review', updatedAt: AT, workflow: { priority: 4 } }],
  ['escalated', { status: 'pending_review', updatedAt: AT, workflow: { escalated: true } }],
  ['escalationStep', { status: 'pending_review', updatedAt: AT, workflow: { escalationStep: 2 } }],
  ['nextSweepAt moved', { status: 'pending_review', updatedAt: AT, workflow: { nextSweepAt: T0 + 900_000 } }],
  ['nextSweepAt cleared on an open task', { status: 'pending_review', updatedAt: AT, workflow: { nextSweepAt: null } }],
  ['assignedGroup', { status: 'pending_review', updatedAt: AT, workflow: { assignedGroup: 'managers' } }],
  ['assignedGroup cleared', { status: 'pending_review', updatedAt: AT, workflow: { assignedGroup: null } }],
  ['assignee', { status: 'pending_review', updatedAt: AT, workflow: { assignee: REVIEWER } }],
  [
    'assignee without a name',
    { status: 'pending_review', updatedAt: AT, workflow: { assignee: { type: 'api_key', id: 'key_x', name: null } } },
  ],
  [
    'assignee cleared (a release)',
    { status: 'pending_review', updatedAt: AT, workflow: { assignee: null, claimed: false } },
  ],
  ['claimed', { status: 'pending_review', updatedAt: AT, workflow: { claimed: false } }],
  [
    // An optional field spelled out as undefined means "leave it", as the UPDATE reads it.
    'workflow fields given as undefined',
    {
      status: 'pending_review',
      updatedAt: AT,
      closedAt: undefined,
      decision: undefined,
      workflow: { assignee: undefined, claimed: undefined, nextSweepAt: undefined, level: undefined },
    },
  ],
  [
    'every workflow field at once (a reassign to the next level)',
    {
      status: 'in_review',
      updatedAt: AT,
      workflow: {
        routingRule: 'rules[0]:flag',
        routingReason: 'regulatory',
        levels: 3,
        level: 2,
        priority: 1,
        escalated: true,
        escalationStep: 2,
        nextSweepAt: T0 + 600_000,
        assignedGroup: 'compliance',
        assignee: { type: 'api_key', id: 'key_comp1', name: 'comp1' },
        claimed: false,
      },
    },
  ],
  ...FINAL_TASK_STATUSES.map((status): [string, TaskTransition] => [
    `the final status ${status} clears nextSweepAt, even one the change names`,
    { status, updatedAt: AT, closedAt: AT, workflow: { nextSweepAt: T0 + 900_000, escalated: true } },
  ]),
];

for (const database of DATABASES) {
  describe(`${database}: the task transition`, () => {
    let store: Store;
    let close: () => Promise<void>;
    let workspaceId: string;
    let serial = 0;

    beforeAll(async () => {
      ({ store, close } = await openTestStore(database));
      workspaceId = (await resolveWorkspace({ store, clock: () => T0 })).id;
    });
    afterAll(async () => close());

    /** A stored open task, read back as the repository returns it. */
    async function storedTask(extra: Partial<TaskRecord> = {}): Promise<TaskRecord> {
      const id = `tsk_transition_${database}_${++serial}`;
      await store.transaction((tx) =>
        tx.tasks.insert(
          taskRecord(workspaceId, id, T0, {
            payload: { amount: 50 },
            dueAt: T0 + 300_000,
            workflow: OPEN_WORKFLOW,
            ...extra,
          }),
        ),
      );
      return (await store.read.tasks.findById(workspaceId, id))!;
    }

    const read = async (task: TaskRecord) => (await store.read.tasks.findById(workspaceId, task.id))!;

    function depsWith(published: TaskChangeMessage[], order: string[] = []): TaskChangeDeps {
      const bus = new InProcessTaskEventBus();
      bus.subscribe((message) => {
        published.push(message);
        order.push('published');
      });
      return {
        store: {
          ...store,
          read: store.read,
          transaction: async (work) => {
            const result = await store.transaction(work);
            order.push('committed');
            return result;
          },
        },
        bus,
        clock: () => AT,
      };
    }

    const plannedFor = (
      task: TaskRecord,
      change: TaskTransition,
      extra: Partial<PlannedChange> = {},
    ): PlannedChange => ({
      change,
      event: {
        type: 'test',
        fromStatus: task.status,
        toStatus: change.status,
        actor: REVIEWER,
        reason: null,
        data: null,
        createdAt: AT,
      },
      ...extra,
    });

    describe('applyChange is what the conditional UPDATE leaves in the row', () => {
      test.each(CHANGES)('%s', async (_name, change) => {
        for (const status of OPEN_TASK_STATUSES) {
          const before = await storedTask({ status, closedAt: _name === 'closedAt cleared' ? T0 : null });
          const won = await store.transaction((tx) =>
            tx.tasks.transition(workspaceId, before.id, { status: before.status, version: before.version }, change),
          );
          expect(won).toBe(true);
          expect([status, await read(before)]).toEqual([status, applyChange(before, change)]);
        }
      });

      test('a task stored without workflow state changes from the defaults, its deadline as next sweep', async () => {
        const before = await storedTask({ workflow: undefined, dueAt: T0 + 120_000 });
        expect(before.workflow).toMatchObject({ level: 1, levels: 1, nextSweepAt: T0 + 120_000, claimed: false });
        const change: TaskTransition = { status: 'in_review', updatedAt: AT, workflow: { level: 2 } };
        await store.transaction((tx) =>
          tx.tasks.transition(workspaceId, before.id, { status: before.status, version: before.version }, change),
        );
        expect(await read(before)).toEqual(applyChange({ ...before, workflow: undefined }, change));
      });

      test('applyChange leaves the task it was given as it was', () => {
        const before = taskRecord('wsp_x', 'tsk_x', T0, { workflow: { ...OPEN_WORKFLOW } });
        const copy = structuredClone(before);
        applyChange(before, { status: 'approved', updatedAt: AT, closedAt: AT, decision: decision() });
        expect(before).toEqual(copy);
      });
    });

    describe('a lost compare-and-set', () => {
      test.each([
        ['an old version', (task: TaskRecord) => ({ status: task.status, version: task.version - 1 })],
        ['a newer version', (task: TaskRecord) => ({ status: task.status, version: task.version + 1 })],
        ['another status', (task: TaskRecord) => ({ status: 'in_review' as const, version: task.version })],
      ])('expecting %s changes nothing', async (_name, expected) => {
        const before = await storedTask({ version: 3 });
        const won = await store.transaction((tx) =>
          tx.tasks.transition(workspaceId, before.id, expected(before), {
            status: 'approved',
            updatedAt: AT,
            closedAt: AT,
            decision: decision(),
          }),
        );
        expect(won).toBe(false);
        expect(await read(before)).toEqual(before);
      });

      test('writeChange throws ChangeLost and writes no event; commitChange answers null and announces nothing', async () => {
        const before = await storedTask();
        const stale = { ...before, version: before.version - 1 };
        const change: TaskTransition = { status: 'cancelled', updatedAt: AT, closedAt: AT };
        const alongside = jest.fn(async () => undefined);
        await expect(
          store.transaction((tx) => writeChange({}, tx, stale, plannedFor(stale, change, { alongside }))),
        ).rejects.toBeInstanceOf(ChangeLost);
        const published: TaskChangeMessage[] = [];
        expect(await commitChange(depsWith(published), stale, plannedFor(stale, change, { alongside }))).toBeNull();
        // The writes that go with a change run only once its compare-and-set has won.
        expect(alongside).not.toHaveBeenCalled();
        expect(published).toEqual([]);
        expect(await read(before)).toEqual(before);
        expect(await store.read.taskEvents.listForTask(workspaceId, before.id)).toEqual([]);
      });

      test('alongside writes that find the race lost (a unique key) roll back with the won compare-and-set', async () => {
        const before = await storedTask();
        const published: TaskChangeMessage[] = [];
        const hook = jest.fn(async () => undefined);
        const vote = {
          taskId: before.id,
          workspaceId,
          level: 1,
          action: 'approve' as const,
          comment: null,
          modifiedPayload: null,
          actor: REVIEWER,
          createdAt: AT,
        };
        const planned = plannedFor(
          before,
          { status: 'approved', updatedAt: AT, closedAt: AT, decision: decision() },
          {
            alongside: async (tx) => {
              expect(await tx.votes.insert(vote)).toBe(true);
              throw new ChangeLost();
            },
          },
        );
        expect(await commitChange({ ...depsWith(published), onTaskChange: hook }, before, planned)).toBeNull();
        expect(await read(before)).toEqual(before);
        expect(await store.read.votes.listForTask(workspaceId, before.id)).toEqual([]);
        expect(await store.read.taskEvents.listForTask(workspaceId, before.id)).toEqual([]);
        expect(hook).not.toHaveBeenCalled();
        expect(published).toEqual([]);
      });

      test('a change hook that throws rolls the change, its alongside writes and its event back, and nothing is announced', async () => {
        const before = await storedTask();
        const published: TaskChangeMessage[] = [];
        const failing = async () => {
          throw new Error('outbox unavailable');
        };
        const planned = plannedFor(
          before,
          { status: 'in_review', updatedAt: AT, workflow: { level: 2 } },
          {
            alongside: (tx) => tx.taskReviewers.add(workspaceId, before.id, ['late@example.com']),
          },
        );
        await expect(commitChange({ ...depsWith(published), onTaskChange: failing }, before, planned)).rejects.toThrow(
          'outbox unavailable',
        );
        expect(await read(before)).toEqual(before);
        expect(await store.read.taskEvents.listForTask(workspaceId, before.id)).toEqual([]);
        expect(await store.read.taskReviewers.listForTask(workspaceId, before.id)).toEqual([]);
        expect(published).toEqual([]);
      });
    });

    describe('a won change', () => {
      test('commits the row, its alongside writes, its event and the hook together, then announces it once', async () => {
        const before = await storedTask();
        const published: TaskChangeMessage[] = [];
        const order: string[] = [];
        const hooked: { task: TaskRecord; type: string }[] = [];
        const change: TaskTransition = {
          status: 'approved_with_modifications',
          updatedAt: AT,
          closedAt: AT,
          decision: decision({ action: 'approve_with_modifications', modifiedPayload: { amount: 40 }, diff: 'd' }),
        };
        const planned = plannedFor(before, change, {
          alongside: (tx) => tx.taskReviewers.add(workspaceId, before.id, ['named@example.com']),
        });
        const deps: TaskChangeDeps = {
          ...depsWith(published, order),
          onTaskChange: async (tx, { task, event }) => {
            hooked.push({ task, type: event.type });
            // The hook runs inside the change's transaction: it sees the row as changed.
            expect(await tx.tasks.findById(workspaceId, before.id)).toEqual(task);
            order.push('hook');
          },
        };
        const after = await commitChange(deps, before, planned);
        expect(after).toEqual(applyChange(before, change));
        expect(await read(before)).toEqual(after);
        expect(hooked).toEqual([{ task: after, type: 'test' }]);
        expect(order).toEqual(['hook', 'committed', 'published']);
        expect(published).toEqual([
          { workspaceId, taskId: before.id, status: 'approved_with_modifications', version: before.version + 1 },
        ]);
        expect(await store.read.taskReviewers.listForTask(workspaceId, before.id)).toEqual(['named@example.com']);
        const events = await store.read.taskEvents.listForTask(workspaceId, before.id);
        expect(events).toEqual([
          expect.objectContaining({
            type: 'test',
            fromStatus: 'pending_review',
            toStatus: 'approved_with_modifications',
            createdAt: AT,
          }),
        ]);
      });
    });

    describe('changeOpenTask', () => {
      test('a race lost between read and commit is planned again on the fresh task; the winner’s change stays', async () => {
        const before = await storedTask();
        const published: TaskChangeMessage[] = [];
        const deps = depsWith(published);
        const seen: number[] = [];
        const after = await changeOpenTask(deps, workspaceId, before.id, async (task) => {
          seen.push(task.version);
          if (seen.length === 1) {
            // Someone else changes the task after this plan read it.
            await commitChange(
              deps,
              task,
              plannedFor(task, { status: task.status, updatedAt: AT, workflow: { priority: 7 } }),
            );
          }
          return plannedFor(task, { status: 'in_review', updatedAt: AT, workflow: { level: 2 } });
        });
        expect(seen).toEqual([before.version, before.version + 1]);
        expect(after).toMatchObject({
          status: 'in_review',
          version: before.version + 2,
          workflow: { level: 2, priority: 7 },
        });
        expect(await read(before)).toEqual(after);
        expect(published.map((m) => m.version)).toEqual([before.version + 1, before.version + 2]);
      });

      test('a task closed by the winner is refused as already decided, and the plan is not made again', async () => {
        const before = await storedTask();
        const deps = depsWith([]);
        const plan = jest.fn(async (task: TaskRecord) => {
          if (plan.mock.calls.length === 1) {
            await commitChange(deps, task, plannedFor(task, { status: 'expired', updatedAt: AT, closedAt: AT }));
          }
          return plannedFor(task, { status: 'in_review', updatedAt: AT });
        });
        await expect(changeOpenTask(deps, workspaceId, before.id, plan)).rejects.toMatchObject({
          code: 'task_already_decided',
        });
        expect(plan).toHaveBeenCalledTimes(1);
        expect(await read(before)).toMatchObject({ status: 'expired', version: before.version + 1 });
      });

      test('"unchanged" writes nothing and announces nothing; a missing task is not_found', async () => {
        const before = await storedTask();
        const published: TaskChangeMessage[] = [];
        expect(await changeOpenTask(depsWith(published), workspaceId, before.id, async () => 'unchanged')).toEqual(
          before,
        );
        expect(published).toEqual([]);
        expect(await store.read.taskEvents.listForTask(workspaceId, before.id)).toEqual([]);
        await expect(
          changeOpenTask(depsWith(published), workspaceId, 'tsk_nowhere', async () => 'unchanged'),
        ).rejects.toMatchObject({ code: 'not_found' });
      });

      test('a task that keeps changing gives up after the attempts it was allowed, as an internal error', async () => {
        const before = await storedTask();
        const deps = depsWith([]);
        const plan = jest.fn(async (task: TaskRecord) => {
          await commitChange(deps, task, plannedFor(task, { status: task.status, updatedAt: AT }));
          return plannedFor(task, { status: 'in_review', updatedAt: AT });
        });
        await expect(changeOpenTask(deps, workspaceId, before.id, plan, 3)).rejects.toMatchObject({
          code: 'internal_error',
        });
        expect(plan).toHaveBeenCalledTimes(3);
        expect(await read(before)).toMatchObject({ status: 'pending_review', version: before.version + 3 });
      });
    });
  });
}
