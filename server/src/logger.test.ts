import { createLogger, serializeError } from './logger.js';

/** The shape TypeORM gives a failed mysql2 query: its own fields plus a copy of the driver error's. */
function failedQuery(message: string): Error {
  const driverError = Object.assign(new Error(message), {
    code: 'ER_DUP_ENTRY',
    errno: 1062,
    sqlMessage: message,
    sql: "INSERT INTO users (id, email) VALUES ('usr_1', 'someone@example.com')",
  });
  return Object.assign(new Error(message), {
    name: 'QueryFailedError',
    query: 'INSERT INTO users (id, email) VALUES (?, ?)',
    parameters: ['usr_1', 'someone@example.com'],
    driverError,
    code: driverError.code,
    errno: driverError.errno,
    sqlMessage: driverError.sqlMessage,
    sql: driverError.sql,
  });
}

describe('the err serializer', () => {
  test('keeps what failed and drops the values it failed with, nested and quoted in messages alike', () => {
    const error = failedQuery("Duplicate entry 'someone@example.com' for key 'idx_users_email'");
    const serialized = serializeError(error) as Record<string, unknown>;
    expect(serialized).toMatchObject({
      query: 'INSERT INTO users (id, email) VALUES (?, ?)',
      code: 'ER_DUP_ENTRY',
      errno: 1062,
      message: "Duplicate entry '…' for key 'idx_users_email'",
      sqlMessage: "Duplicate entry '…' for key 'idx_users_email'",
      driverError: { code: 'ER_DUP_ENTRY', message: "Duplicate entry '…' for key 'idx_users_email'" },
    });
    expect(serialized).not.toHaveProperty('parameters');
    expect(serialized).not.toHaveProperty('sql');
    expect(serialized.driverError).not.toHaveProperty('sql');
    expect(JSON.stringify(serialized)).not.toContain('someone@example.com');
  });

  test.each([
    [
      "Incorrect integer value: 'ten' for column `db`.`tasks`.`version` at row 1",
      "Incorrect integer value: '…' for column",
    ],
    ['Deadlock found when trying to get lock; try restarting transaction', 'Deadlock found when trying to get lock'],
  ])('message %p is logged as %p', (message, expected) => {
    expect((serializeError(failedQuery(message)) as { message: string }).message).toContain(expected);
  });

  test('an error that was already serialized (as pino-http hands it over) is cleaned the same way', () => {
    const once = serializeError(failedQuery('boom'));
    expect(serializeError({ ...(once as object), parameters: ['x'] })).toEqual(once);
  });

  test('circular fields and values that are not errors pass without looping', () => {
    const error = Object.assign(new Error('loop'), { context: {} as Record<string, unknown> });
    error.context.self = error.context;
    expect(serializeError(error)).toMatchObject({ message: 'loop', context: { self: '[Circular]' } });
    expect(serializeError('plain text')).toBe('plain text');
  });

  test('every logger made by createLogger uses it', () => {
    const lines: string[] = [];
    const logger = createLogger('info', 'test', { write: (line: string) => void lines.push(line) });
    logger.error({ err: failedQuery('boom') }, 'failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('INSERT INTO users (id, email) VALUES (?, ?)');
    expect(lines[0]).not.toContain('someone@example.com');
  });
});
