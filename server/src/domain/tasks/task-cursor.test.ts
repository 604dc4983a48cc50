import { decodeCursor, encodeCursor } from './task-cursor.js';

describe('cursors', () => {
  test('round-trip, and anything else is a validation error', () => {
    const cursor = { createdAt: 1_700_000_000_000, id: 'tsk_abc' };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    expect(() => decodeCursor('bogus')).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });
});
