import { payloadDigest } from '@loopgate/shared';
import { InProcessTaskEventBus } from '../../events/in-process-bus.js';
import { DATABASES } from '../../test-support/databases.js';
import { AT, decision, REVIEWER, useStoredTasks } from '../../test-support/stored-tasks.js';
import type { TaskChangeMessage } from '../kernel/bus.js';
import type { TaskRecord, TaskTransition } from './task-record.js';
import {
  applyChange,
  ChangeLost,
  changeOpenTask,
  commitChange,
  type PlannedChange,
  type TaskChangeDeps,
  writeChange,
} from './task-transition.js';

/** Committing a planned change: the compare-and-set, what goes with it, and what is announced after. */
for (const database of DATABASES) {
  describe(`${database}: the task transition commits`, () => {
    const s = useStoredTasks(database);

    function depsWith(published: TaskChangeMessage[], order: string[] = []): TaskChangeDeps {
      const bus = new InProcessTaskEventBus();
      bus.subscribe((message) => {
        published.push(message);
        order.push('published');
      });
      return {
        store: {
          ...s.store,
          read: s.store.read,
          transaction: async (work) => {
            const result = await s.store.transaction(work);
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

    describe('a lost compare-and-set', () => {
      test.each([
        ['an old version', (task: TaskRecord) => ({ status: task.status, version: task.version - 1 })],
        ['a newer version', (task: TaskRecord) => ({ status: task.status, version: task.version + 1 })],
        ['another status', (task: TaskRecord) => ({ status: 'in_review' as const, version: task.version })],
      ])('expecting %s changes nothing', async (_name, expected) => {
        const before = await s.storedTask({ version: 3 });
        const won = await s.store.transaction((tx) =>
          tx.tasks.transition(s.workspaceId, before.id, expected(before), {
            status: 'approved',
            updatedAt: AT,
            closedAt: AT,
            decision: decision(),
          }),
        );
        expect(won).toBe(false);
        expect(await s.read(before)).toEqual(before);
      });

      test('writeChange throws ChangeLost and writes no event; commitChange answers null and announces nothing', async () => {
        const before = await s.storedTask();
        const stale = { ...before, version: before.version - 1 };
        const change: TaskTransition = { status: 'cancelled', updatedAt: AT, closedAt: AT };
        const alongside = jest.fn(async () => undefined);
        await expect(
          s.store.transaction((tx) => writeChange({}, tx, stale, plannedFor(stale, change, { alongside }))),
        ).rejects.toBeInstanceOf(ChangeLost);
        const published: TaskChangeMessage[] = [];
        expect(await commitChange(depsWith(published), stale, plannedFor(stale, change, { alongside }))).toBeNull();
        // The writes that go with a change run only once its compare-and-set has won.
        expect(alongside).not.toHaveBeenCalled();
        expect(published).toEqual([]);
        expect(await s.read(before)).toEqual(before);
        expect(await s.store.read.taskEvents.listForTask(s.workspaceId, before.id)).toEqual([]);
      });

      test('alongside writes that find the race lost (a unique key) roll back with the won compare-and-set', async () => {
        const before = await s.storedTask();
        const published: TaskChangeMessage[] = [];
        const hook = jest.fn(async () => undefined);
        const vote = {
          taskId: before.id,
          workspaceId: s.workspaceId,
          level: 1,
          action: 'approve' as const,
          comment: null,
          modifiedPayload: null,
          reasonCode: null,
          response: null,
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
        expect(await s.read(before)).toEqual(before);
        expect(await s.store.read.votes.listForTask(s.workspaceId, before.id)).toEqual([]);
        expect(await s.store.read.taskEvents.listForTask(s.workspaceId, before.id)).toEqual([]);
        expect(hook).not.toHaveBeenCalled();
        expect(published).toEqual([]);
      });

      test('a change hook that throws rolls the change, its alongside writes and its event back, and nothing is announced', async () => {
        const before = await s.storedTask();
        const published: TaskChangeMessage[] = [];
        const failing = async () => {
          throw new Error('outbox unavailable');
        };
        const planned = plannedFor(
          before,
          { status: 'in_review', updatedAt: AT, workflow: { level: 2 } },
          {
            alongside: (tx) => tx.taskReviewers.add(s.workspaceId, before.id, ['late@example.com']),
          },
        );
        await expect(commitChange({ ...depsWith(published), onTaskChange: failing }, before, planned)).rejects.toThrow(
          'outbox unavailable',
        );
        expect(await s.read(before)).toEqual(before);
        expect(await s.store.read.taskEvents.listForTask(s.workspaceId, before.id)).toEqual([]);
        expect(await s.store.read.taskReviewers.listForTask(s.workspaceId, before.id)).toEqual([]);
        expect(published).toEqual([]);
      });
    });

    describe('a won change', () => {
      test('commits the row, its alongside writes, its event and the hook together, then announces it once', async () => {
        const before = await s.storedTask();
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
          alongside: (tx) => tx.taskReviewers.add(s.workspaceId, before.id, ['named@example.com']),
        });
        const deps: TaskChangeDeps = {
          ...depsWith(published, order),
          onTaskChange: async (tx, { task, event }) => {
            hooked.push({ task, type: event.type });
            // The hook runs inside the change's transaction: it sees the row as changed.
            expect(await tx.tasks.findById(s.workspaceId, before.id)).toEqual(task);
            order.push('hook');
          },
        };
        const after = await commitChange(deps, before, planned);
        // The commit adds the digest of what the approval lets run: here the modified payload.
        const digest = await payloadDigest({ amount: 40 });
        expect(after).toEqual(
          applyChange(before, { ...change, decision: { ...change.decision!, payloadDigest: digest } }),
        );
        expect(await s.read(before)).toEqual(after);
        expect(hooked).toEqual([{ task: after, type: 'test' }]);
        expect(order).toEqual(['hook', 'committed', 'published']);
        expect(published).toEqual([
          {
            workspaceId: s.workspaceId,
            taskId: before.id,
            status: 'approved_with_modifications',
            version: before.version + 1,
          },
        ]);
        expect(await s.store.read.taskReviewers.listForTask(s.workspaceId, before.id)).toEqual(['named@example.com']);
        const events = await s.store.read.taskEvents.listForTask(s.workspaceId, before.id);
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
        const before = await s.storedTask();
        const published: TaskChangeMessage[] = [];
        const deps = depsWith(published);
        const seen: number[] = [];
        const after = await changeOpenTask(deps, s.workspaceId, before.id, async (task) => {
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
        expect(await s.read(before)).toEqual(after);
        expect(published.map((m) => m.version)).toEqual([before.version + 1, before.version + 2]);
      });

      test('a task closed by the winner is refused as already decided, and the plan is not made again', async () => {
        const before = await s.storedTask();
        const deps = depsWith([]);
        const plan = jest.fn(async (task: TaskRecord) => {
          if (plan.mock.calls.length === 1) {
            await commitChange(deps, task, plannedFor(task, { status: 'expired', updatedAt: AT, closedAt: AT }));
          }
          return plannedFor(task, { status: 'in_review', updatedAt: AT });
        });
        await expect(changeOpenTask(deps, s.workspaceId, before.id, plan)).rejects.toMatchObject({
          code: 'task_already_decided',
        });
        expect(plan).toHaveBeenCalledTimes(1);
        expect(await s.read(before)).toMatchObject({ status: 'expired', version: before.version + 1 });
      });

      test('"unchanged" writes nothing and announces nothing; a missing task is not_found', async () => {
        const before = await s.storedTask();
        const published: TaskChangeMessage[] = [];
        expect(await changeOpenTask(depsWith(published), s.workspaceId, before.id, async () => 'unchanged')).toEqual(
          before,
        );
        expect(published).toEqual([]);
        expect(await s.store.read.taskEvents.listForTask(s.workspaceId, before.id)).toEqual([]);
        await expect(
          changeOpenTask(depsWith(published), s.workspaceId, 'tsk_nowhere', async () => 'unchanged'),
        ).rejects.toMatchObject({ code: 'not_found' });
      });

      test('a task that keeps changing gives up after the attempts it was allowed, as an internal error', async () => {
        const before = await s.storedTask();
        const deps = depsWith([]);
        const plan = jest.fn(async (task: TaskRecord) => {
          await commitChange(deps, task, plannedFor(task, { status: task.status, updatedAt: AT }));
          return plannedFor(task, { status: 'in_review', updatedAt: AT });
        });
        await expect(changeOpenTask(deps, s.workspaceId, before.id, plan, 3)).rejects.toMatchObject({
          code: 'internal_error',
        });
        expect(plan).toHaveBeenCalledTimes(3);
        expect(await s.read(before)).toMatchObject({ status: 'pending_review', version: before.version + 3 });
      });
    });
  });
}
