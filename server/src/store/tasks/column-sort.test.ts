import { TASK_COLUMN_SORT_DEFAULT_DIR, type TaskColumnSort } from '@loopgate/shared';
import type { Store } from '../../domain/store.js';
import { columnValue, decodeColumnCursor, encodeColumnCursor } from '../../domain/tasks/column-sort.js';
import type { ColumnKey, ColumnOrder } from '../../domain/tasks/task-ports.js';
import { DEFAULT_WORKFLOW, type TaskRecord } from '../../domain/tasks/task-record.js';
import { DATABASES, openTestStore } from '../../test-support/databases.js';
import { taskRecord } from '../../test-support/task-records.js';

const ws = 'wsp_column_sort';

/** Ties on every column (two titles, two queues, no-deadline and no-risk rows), so paging must break them by id. */
const TASKS: TaskRecord[] = [
  taskRecord(ws, 'tsk_c1', 100, { title: 'beta', queue: 'q-b', riskLevel: 'low', dueAt: 5_000 }),
  taskRecord(ws, 'tsk_c2', 100, { title: 'alpha', queue: 'q-a', riskLevel: null, dueAt: null }),
  taskRecord(ws, 'tsk_c3', 300, {
    title: 'beta',
    queue: 'q-a',
    riskLevel: 'critical',
    dueAt: 2_000,
    status: 'in_review',
  }),
  taskRecord(ws, 'tsk_c4', 400, {
    title: 'gamma',
    queue: 'q-b',
    riskLevel: 'high',
    dueAt: null,
    workflow: { ...DEFAULT_WORKFLOW, priority: 3 },
  }),
  taskRecord(ws, 'tsk_c5', 500, {
    title: 'alpha',
    queue: 'q-c',
    riskLevel: 'medium',
    dueAt: 2_000,
    status: 'approved',
    closedAt: 600,
  }),
  taskRecord(ws, 'tsk_c6', 600, {
    title: 'delta',
    queue: 'q-a',
    riskLevel: 'low',
    dueAt: 9_000,
    workflow: { ...DEFAULT_WORKFLOW, priority: 1 },
  }),
];

/** The order the domain's values define: value, then id, both in `dir`. */
function expected(order: ColumnOrder): string[] {
  const sign = order.dir === 'asc' ? 1 : -1;
  return [...TASKS]
    .sort((a, b) => {
      const x = columnValue(a, order.column);
      const y = columnValue(b, order.column);
      if (x !== y) return (x < y ? -1 : 1) * sign;
      return (a.id < b.id ? -1 : 1) * sign;
    })
    .map((task) => task.id);
}

for (const database of DATABASES) {
  describe(`${database}: tasks by column`, () => {
    let store: Store;
    let close: () => Promise<void>;

    beforeAll(async () => {
      ({ store, close } = await openTestStore(database));
      await store.transaction(async (tx) => {
        await tx.workspaces.insert({ id: ws, slug: 'column-sort', name: 'x', createdAt: 1 });
        for (const task of TASKS) await tx.tasks.insert(task);
      });
    });
    afterAll(async () => close());

    const orders = (Object.keys(TASK_COLUMN_SORT_DEFAULT_DIR) as TaskColumnSort[]).flatMap((column) =>
      (['asc', 'desc'] as const).map((dir): ColumnOrder => ({ column, dir })),
    );

    test.each(orders)(
      'by $column $dir: SQL and the cursor values agree, and pages of 2 neither skip nor repeat',
      async (order) => {
        const all = await store.read.tasks.listByColumn(ws, {}, order, 10);
        expect(all.map((t) => t.id)).toEqual(expected(order));
        const seen: string[] = [];
        let after: ColumnKey | undefined;
        for (;;) {
          const page = await store.read.tasks.listByColumn(ws, {}, order, 2, after);
          if (page.length === 0) break;
          seen.push(...page.map((t) => t.id));
          const last = page[page.length - 1] as TaskRecord;
          // Through the opaque cursor the page links carry, as the list view pages.
          after = decodeColumnCursor(
            encodeColumnCursor(order, { value: columnValue(last, order.column), id: last.id }),
            order,
          );
        }
        expect(seen).toEqual(expected(order));
      },
    );

    test('filters still apply under a column sort', async () => {
      const open = await store.read.tasks.listByColumn(ws, { queue: 'q-a' }, { column: 'due', dir: 'asc' }, 10);
      expect(open.map((t) => t.id)).toEqual(['tsk_c3', 'tsk_c6', 'tsk_c2']);
    });
  });
}

test('a cursor made for one sort is refused for another', () => {
  const cursor = encodeColumnCursor({ column: 'due', dir: 'asc' }, { value: 5, id: 'tsk_x' });
  expect(decodeColumnCursor(cursor, { column: 'due', dir: 'asc' })).toEqual({ value: 5, id: 'tsk_x' });
  expect(() => decodeColumnCursor(cursor, { column: 'due', dir: 'desc' })).toThrow(/cursor/);
  expect(() => decodeColumnCursor(cursor, { column: 'title', dir: 'asc' })).toThrow(/cursor/);
  expect(() => decodeColumnCursor('not-a-cursor', { column: 'due', dir: 'asc' })).toThrow(/cursor/);
});
