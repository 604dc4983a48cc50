import { RISK_LEVELS } from '@loopgate/shared';
import type { Store } from '../../domain/store.js';
import { DEFAULT_WORKFLOW, type TaskRecord } from '../../domain/tasks/task-record.js';
import { compareUrgency } from '../../domain/tasks/urgency.js';
import { DATABASES, openTestStore } from '../../test-support/databases.js';
import { taskRecord } from '../../test-support/task-records.js';

const ws = 'wsp_urgency';

/** 200 tasks that tie on every part of the key in turn: shared deadlines, risks, priorities and times. */
function mixedTasks(): TaskRecord[] {
  const risks = [null, ...RISK_LEVELS];
  return Array.from({ length: 200 }, (_, i) =>
    taskRecord(ws, `tsk_u${String((i * 37) % 200).padStart(3, '0')}`, 1_000 + (i % 7) * 10, {
      dueAt: i % 5 === 0 ? null : 50_000 + (i % 9) * 1_000,
      riskLevel: risks[i % risks.length] ?? null,
      workflow: { ...DEFAULT_WORKFLOW, priority: i % 3 },
    }),
  );
}

for (const database of DATABASES) {
  describe(`${database}: urgency order`, () => {
    let store: Store;
    let close: () => Promise<void>;
    const tasks = mixedTasks();

    beforeAll(async () => {
      ({ store, close } = await openTestStore(database));
      await store.transaction(async (tx) => {
        await tx.workspaces.insert({ id: ws, slug: 'urgency', name: 'x', createdAt: 1 });
        for (const task of tasks) await tx.tasks.insert(task);
      });
    });
    afterAll(async () => close());

    test('the board sorts by the same key as compareUrgency, ties and missing deadlines included', async () => {
      const facts = tasks.map((t) => ({ ...t, priority: t.workflow?.priority ?? 0 }));
      const expected = facts.sort(compareUrgency).map((t) => t.id);
      const { cards, total } = await store.read.board.column(
        ws,
        { statuses: ['pending_review'], order: 'urgency' },
        {},
        500,
      );
      expect(total).toBe(200);
      expect(cards.map((c) => c.id)).toEqual(expected);
      // Deadlines first, earliest (most overdue) leading; no deadline last.
      expect(cards[0]?.dueAt).toBe(50_000);
      expect(cards.at(-1)?.dueAt).toBeNull();
    });
  });
}
