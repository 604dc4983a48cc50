import { boardConfigSchema } from '@loopgate/shared';
import { columnQueries, DEFAULT_BOARD_COLUMNS } from './board.js';

const stage = (id: 'pending' | 'in_progress' | 'needs_approval' | 'escalated' | 'completed', hidden?: boolean) => ({
  id,
  title: id,
  kind: 'stage' as const,
  stage: id,
  ...(hidden ? { hidden } : {}),
});

describe('board columns', () => {
  test('the default board is the five stages, and passes the schema', () => {
    expect(DEFAULT_BOARD_COLUMNS.map((c) => c.id)).toEqual([
      'pending',
      'in_progress',
      'needs_approval',
      'escalated',
      'completed',
    ]);
    expect(boardConfigSchema.safeParse({ columns: DEFAULT_BOARD_COLUMNS }).success).toBe(true);
  });

  test('a filter column excludes what the shown filter columns before it take; open stages exclude every shown filter; Completed none', () => {
    const fraud = { tag: 'fraud' };
    const high = { riskLevel: 'high' as const };
    const off = { queue: 'off' };
    const queries = columnQueries(
      [
        stage('pending'),
        { id: 'high', title: 'High', kind: 'filter', filter: high },
        { id: 'off', title: 'Off', kind: 'filter', filter: off, hidden: true },
        { id: 'fraud', title: 'Fraud', kind: 'filter', filter: fraud },
        stage('in_progress'),
        stage('needs_approval'),
        stage('escalated', true),
        stage('completed'),
      ],
      1_000_000,
    );
    const byId = Object.fromEntries(queries.map(({ column, query }) => [column.id, query]));
    expect(Object.keys(byId)).toEqual(['pending', 'high', 'fraud', 'in_progress', 'needs_approval', 'completed']);
    expect(byId.high).toMatchObject({ match: high, exclude: [], statuses: ['pending_review', 'in_review'] });
    expect(byId.fraud).toMatchObject({ match: fraud, exclude: [high] });
    expect(byId.pending).toMatchObject({ statuses: ['pending_review'], claimed: false, exclude: [high, fraud] });
    expect(byId.in_progress?.exclude).toEqual([high, fraud]);
    expect(byId.completed?.exclude).toBeUndefined();
    expect(byId.completed?.closedAfter).toBe(1_000_000 - 24 * 60 * 60 * 1000);
  });

  test('the schema wants every stage once, unique ids, 1..60 character titles, a non-empty filter and at most 12 columns', () => {
    const paths = (columns: unknown[]) => {
      const result = boardConfigSchema.safeParse({ columns });
      return result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'));
    };
    const all = DEFAULT_BOARD_COLUMNS.map((c) => ({ ...c }));
    expect(paths(all.slice(1))).toEqual(['columns']);
    expect(paths([...all, { ...all[0], id: 'again' }])).toEqual(['columns.5.stage']);
    expect(paths([...all, { id: 'pending', title: 'x', kind: 'filter', filter: { tag: 'a' } }])).toEqual([
      'columns.5.id',
    ]);
    expect(paths([...all, { id: 'f', title: ' ', kind: 'filter', filter: {} }])).toEqual([
      'columns.5.title',
      'columns.5.filter',
    ]);
    const many = Array.from({ length: 8 }, (_v, i) => ({
      id: `f${i}`,
      title: 'F',
      kind: 'filter',
      filter: { tag: 't' },
    }));
    expect(paths([...all, ...many])).toEqual(['columns']);
    expect(paths([...all, ...many.slice(1)])).toEqual([]);
  });
});
