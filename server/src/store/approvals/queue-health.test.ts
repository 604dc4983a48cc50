import type { Actor } from '@loopgate/shared';
import { median } from '../../domain/approvals/queues.js';
import type { Store } from '../../domain/store.js';
import type { DecisionRecord, TaskRecord } from '../../domain/tasks/task-record.js';
import { DATABASES, openTestStore } from '../../test-support/databases.js';
import { taskRecord } from '../../test-support/task-records.js';

const ws = 'wsp_health';
const NOW = 1_800_000_000_000;
const MIN = 60_000;
const human: Actor = { type: 'user', id: 'usr_ann', name: 'Ann' };
const policy: Actor = { type: 'policy', id: null, name: null };

function decided(
  id: string,
  queue: string,
  createdAt: number,
  tookMs: number,
  by: Actor,
  action = 'approve',
): TaskRecord {
  const decision: DecisionRecord = {
    action: action as DecisionRecord['action'],
    comment: null,
    modifiedPayload: null,
    diff: null,
    reasonCode: null,
    response: null,
    decidedBy: by,
    decidedAt: createdAt + tookMs,
  };
  return taskRecord(ws, id, createdAt, {
    queue,
    status: action === 'reject' ? 'rejected' : 'approved',
    closedAt: createdAt + tookMs,
    updatedAt: createdAt + tookMs,
    decision,
  });
}

for (const database of DATABASES) {
  describe(`${database}: queue health figures`, () => {
    let store: Store;
    let close: () => Promise<void>;

    beforeAll(async () => {
      ({ store, close } = await openTestStore(database));
      await store.transaction(async (tx) => {
        await tx.workspaces.insert({ id: ws, slug: 'health', name: 'x', createdAt: 1 });
        await tx.workspaces.insert({ id: 'wsp_other', slug: 'other', name: 'y', createdAt: 1 });
        const tasks = [
          // refunds: 3 open, 2 past their deadline (one by a minute, one by a day), 1 due later, plus one with no deadline.
          taskRecord(ws, 'tsk_r1', NOW - 90 * MIN, { queue: 'refunds', dueAt: NOW - MIN }),
          taskRecord(ws, 'tsk_r2', NOW - 2 * 1440 * MIN, {
            queue: 'refunds',
            dueAt: NOW - 1440 * MIN,
            status: 'in_review',
          }),
          taskRecord(ws, 'tsk_r3', NOW - MIN, { queue: 'refunds', dueAt: NOW + 60 * MIN }),
          taskRecord(ws, 'tsk_r4', NOW - MIN, { queue: 'refunds' }),
          // Decided by humans in the last 24 h: 10, 20 and 60 min → median 20 min.
          decided('tsk_d1', 'refunds', NOW - 120 * MIN, 10 * MIN, human),
          decided('tsk_d2', 'refunds', NOW - 300 * MIN, 20 * MIN, human, 'reject'),
          decided('tsk_d3', 'refunds', NOW - 600 * MIN, 60 * MIN, human),
          // Not counted: decided more than 24 h ago, auto-approved, expired, another workspace.
          decided('tsk_old', 'refunds', NOW - 3000 * MIN, 5 * MIN, human),
          decided('tsk_auto', 'refunds', NOW - 5 * MIN, 0, policy),
          taskRecord(ws, 'tsk_exp', NOW - 200 * MIN, {
            queue: 'refunds',
            status: 'expired',
            closedAt: NOW - 100 * MIN,
          }),
          taskRecord('wsp_other', 'tsk_x', NOW - 90 * MIN, { queue: 'refunds', dueAt: NOW - MIN }),
          // support: two decisions (4 and 8 min → median 6 min), nothing open.
          decided('tsk_s1', 'support', NOW - 60 * MIN, 4 * MIN, human),
          decided('tsk_s2', 'support', NOW - 60 * MIN, 8 * MIN, { type: 'api_key', id: 'key_bot', name: 'Bot' }),
        ];
        for (const task of tasks) {
          // A decision is written the way the app writes it: an open task, then its transition.
          await tx.tasks.insert({ ...task, status: 'pending_review', closedAt: null, decision: null });
          if (task.status !== 'pending_review' && task.status !== 'in_review') {
            const change = { status: task.status, updatedAt: task.updatedAt, closedAt: task.closedAt };
            const applied = await tx.tasks.transition(
              task.workspaceId,
              task.id,
              { status: 'pending_review', version: 1 },
              {
                ...change,
                ...(task.decision ? { decision: task.decision } : {}),
              },
            );
            expect(applied).toBe(true);
          } else if (task.status === 'in_review') {
            await tx.tasks.transition(
              task.workspaceId,
              task.id,
              { status: 'pending_review', version: 1 },
              {
                status: 'in_review',
                updatedAt: task.updatedAt,
              },
            );
          }
        }
      });
    });
    afterAll(async () => close());

    test('open and past-deadline counts per queue, in one query', async () => {
      const counts = await store.read.queues.openCounts(ws, NOW);
      expect(counts.sort((a, b) => a.queue.localeCompare(b.queue))).toEqual([
        { queue: 'refunds', open: 4, breached: 2 },
      ]);
    });

    test('time to decision: only human decisions closed in the window, per queue', async () => {
      const times = await store.read.queues.decisionTimes(ws, NOW - 1440 * MIN);
      const byQueue = (queue: string) =>
        times
          .filter((t) => t.queue === queue)
          .map((t) => t.tookMs)
          .sort((a, b) => a - b);
      expect(byQueue('refunds')).toEqual([10 * MIN, 20 * MIN, 60 * MIN]);
      expect(byQueue('support')).toEqual([4 * MIN, 8 * MIN]);
      expect(median(byQueue('refunds'))).toBe(20 * MIN);
      expect(median(byQueue('support'))).toBe(6 * MIN);
      expect(median([])).toBeNull();
    });
  });
}
