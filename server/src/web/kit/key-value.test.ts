import { keyValueRows, MAX_KV_DEPTH } from './key-value.js';

describe('the payload as key/value rows', () => {
  test('nested objects and arrays become indented headings; strings are shown as written', () => {
    expect(
      keyValueRows({ refund: { amount: 480, note: 'Dear "customer"' }, lines: [{ sku: 'A1' }], ok: true, gone: null }),
    ).toEqual([
      { depth: 0, key: 'refund', value: null, kind: 'object', empty: false },
      { depth: 1, key: 'amount', value: '480', kind: 'number' },
      { depth: 1, key: 'note', value: 'Dear "customer"', kind: 'string' },
      { depth: 0, key: 'lines', value: null, kind: 'array', empty: false },
      { depth: 1, key: '[0]', value: null, kind: 'object', empty: false },
      { depth: 2, key: 'sku', value: 'A1', kind: 'string' },
      { depth: 0, key: 'ok', value: 'true', kind: 'boolean' },
      { depth: 0, key: 'gone', value: 'null', kind: 'null' },
    ]);
  });

  test('a text payload, a bare number and empty containers each still show a row', () => {
    expect(keyValueRows('Dear customer')).toEqual([{ depth: 0, key: null, value: 'Dear customer', kind: 'string' }]);
    expect(keyValueRows(7)).toEqual([{ depth: 0, key: null, value: '7', kind: 'number' }]);
    expect(keyValueRows({})).toEqual([{ depth: 0, key: null, value: null, kind: 'object', empty: true }]);
    expect(keyValueRows({ tags: [] })).toEqual([{ depth: 0, key: 'tags', value: null, kind: 'array', empty: true }]);
  });

  test('indentation stops at the maximum depth', () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 10; i++) deep = { d: deep };
    const rows = keyValueRows(deep as never);
    expect(Math.max(...rows.map((row) => row.depth))).toBe(MAX_KV_DEPTH);
    expect(rows[rows.length - 1]).toMatchObject({ key: 'leaf', value: '1' });
  });
});
