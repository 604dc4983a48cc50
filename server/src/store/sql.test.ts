import {
  allOf,
  compare,
  condition,
  deleteBatch,
  equals,
  insertRow,
  insertRows,
  isIn,
  olderThan,
  placeholders,
  type Sql,
  type SqlDialect,
} from './sql.js';

/** A Sql that answers every statement with `affected` and remembers what it was sent. */
function recordingSql(dialect: SqlDialect, affected = 1) {
  const sent: { sql: string; params: readonly unknown[] }[] = [];
  const sql: Sql = {
    dialect,
    async query(text, params = []) {
      sent.push({ sql: text, params });
      return { rows: [], affected };
    },
  };
  return { sql, sent };
}

describe('WHERE conditions', () => {
  test('a filter that was not given adds nothing; the others join with AND, their parameters in order', () => {
    const where = allOf(
      equals('workspace_id', 'wsp_1'),
      equals('status', undefined),
      equals('queue', 'q'),
      compare('created_at', '>', 10),
      compare('created_at', '<', undefined),
      condition("title LIKE ? ESCAPE '!'", '%a%'),
    );
    expect(where).toEqual({
      sql: "workspace_id = ? AND queue = ? AND created_at > ? AND title LIKE ? ESCAPE '!'",
      params: ['wsp_1', 'q', 10, '%a%'],
    });
  });

  test('null, 0 and the empty string are values to compare with, not missing filters', () => {
    expect(allOf(equals('a', null), equals('b', 0), equals('c', ''))).toEqual({
      sql: 'a = ? AND b = ? AND c = ?',
      params: [null, 0, ''],
    });
  });

  test('IN lists get one placeholder per value, and an empty list matches nothing', () => {
    expect(isIn('status', ['a', 'b', 'c'])).toEqual({ sql: 'status IN (?, ?, ?)', params: ['a', 'b', 'c'] });
    expect(isIn('status', [])).toEqual({ sql: '1 = 0', params: [] });
    expect(placeholders(0)).toBe('');
    expect(placeholders(2)).toBe('?, ?');
  });

  test('a cursor continues a newest-first listing after its row, ties broken by id', () => {
    expect(olderThan(undefined)).toBeUndefined();
    expect(olderThan({ createdAt: 5, id: 'tsk_b' })).toEqual({
      sql: '(created_at < ? OR (created_at = ? AND id < ?))',
      params: [5, 5, 'tsk_b'],
    });
  });

  test('no condition at all matches every row', () => {
    expect(allOf()).toEqual({ sql: '1 = 1', params: [] });
    expect(allOf(equals('a', undefined))).toEqual({ sql: '1 = 1', params: [] });
  });
});

describe('INSERT from a row', () => {
  test("the column list is the row's keys, the values follow in the same order", async () => {
    const { sql, sent } = recordingSql('sqlite');
    expect(await insertRow(sql, 'things', { id: 't1', name: null, size: 3 })).toBe(true);
    expect(sent).toEqual([{ sql: 'INSERT INTO things (id, name, size) VALUES (?, ?, ?)', params: ['t1', null, 3] }]);
  });

  test('ignore skips an existing key in each dialect, and reports whether the row went in', async () => {
    for (const [dialect, verb] of [
      ['sqlite', 'INSERT OR IGNORE INTO'],
      ['mysql', 'INSERT IGNORE INTO'],
    ] as const) {
      const { sql, sent } = recordingSql(dialect, 0);
      expect(await insertRow(sql, 'things', { id: 't1' }, { ignore: true })).toBe(false);
      expect(sent[0]?.sql).toBe(`${verb} things (id) VALUES (?)`);
    }
  });

  test('several rows go in one statement, each tuple in the first row’s column order', async () => {
    const { sql, sent } = recordingSql('mysql', 2);
    expect(
      await insertRows(sql, 'members', [
        { a: 1, b: 2 },
        { b: 4, a: 3 },
      ]),
    ).toBe(2);
    expect(sent).toEqual([{ sql: 'INSERT INTO members (a, b) VALUES (?, ?), (?, ?)', params: [1, 2, 3, 4] }]);
  });

  test('no rows send no statement', async () => {
    const { sql, sent } = recordingSql('sqlite');
    expect(await insertRows(sql, 'members', [])).toBe(0);
    expect(sent).toEqual([]);
  });
});

describe('batched DELETE', () => {
  test('MySQL limits the DELETE itself; SQLite picks the rows by rowid', () => {
    expect(deleteBatch('mysql', 't', 'x <= ?')).toBe('DELETE FROM t WHERE x <= ? LIMIT ?');
    expect(deleteBatch('sqlite', 't', 'x <= ?')).toBe(
      'DELETE FROM t WHERE rowid IN (SELECT rowid FROM t WHERE x <= ? LIMIT ?)',
    );
  });
});
