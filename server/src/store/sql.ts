import type { QueryRunner } from 'typeorm';

export type SqlDialect = 'sqlite' | 'mysql';

/** What a statement gave back: the rows it selected, and how many rows it changed. */
export interface SqlResult<R> {
  rows: R[];
  affected: number;
}

/**
 * The narrow SQL surface repositories use. Both SQLite and MySQL take `?` placeholders, so one
 * statement serves both; the few dialect differences are named in `SqlDialect`.
 *
 * `R` is the row the statement selects, named by the repository that wrote it (`TaskRow`, …). Both
 * drivers give back plain objects keyed by column: strings for VARCHAR and TEXT, numbers for INTEGER,
 * BIGINT and DOUBLE (mysql2 runs with supportBigNumbers but not bigNumberStrings, so a BIGINT is a
 * number while it fits 2^53, as every time, count and sequence here does), null for NULL. Rows are
 * typed here, at the call, and read without casts.
 */
export interface Sql {
  readonly dialect: SqlDialect;
  query<R = unknown>(sql: string, params?: readonly unknown[]): Promise<SqlResult<R>>;
}

export async function runOn<R = unknown>(
  runner: QueryRunner,
  sql: string,
  params: readonly unknown[] = [],
): Promise<SqlResult<R>> {
  const result = await runner.query(sql, params as unknown[], true);
  return { rows: Array.isArray(result.records) ? (result.records as R[]) : [], affected: result.affected ?? 0 };
}

/** The repositories' SQL over one query runner (a transaction's, or a reader's). */
export function sqlOn(dialect: SqlDialect, runner: QueryRunner): Sql {
  return { dialect, query: (text, params) => runOn(runner, text, params) };
}

/** INSERT that skips a row whose key already exists; `affected` tells whether it went in. */
export function insertIgnore(dialect: SqlDialect): string {
  return dialect === 'mysql' ? 'INSERT IGNORE INTO' : 'INSERT OR IGNORE INTO';
}

/**
 * A DELETE of at most `limit` rows matching `where` (its `?` parameters first, then the limit). MySQL
 * takes DELETE … LIMIT; SQLite is not built with it by default, so there the rows are picked by rowid.
 * Either way each statement, and the locks it holds, stays small however many rows match.
 */
export function deleteBatch(dialect: SqlDialect, table: string, where: string): string {
  return dialect === 'mysql'
    ? `DELETE FROM ${table} WHERE ${where} LIMIT ?`
    : `DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${where} LIMIT ?)`;
}

/** `?, ?, ?` for an IN list or a VALUES tuple of `count` values. */
export function placeholders(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ');
}

/**
 * Inserts `rows` into `table` in one statement. The column list is the first row's keys, in their
 * order, so a table's columns are named once: in the repository's row encoder, typed by its row
 * interface. With `ignore`, a row whose key exists is skipped. Returns how many rows went in.
 */
export async function insertRows(
  sql: Sql,
  table: string,
  rows: readonly object[],
  options: { ignore?: boolean } = {},
): Promise<number> {
  const [first] = rows;
  if (!first) return 0;
  const columns = Object.keys(first);
  const verb = options.ignore ? insertIgnore(sql.dialect) : 'INSERT INTO';
  const tuple = `(${placeholders(columns.length)})`;
  const { affected } = await sql.query(
    `${verb} ${table} (${columns.join(', ')}) VALUES ${rows.map(() => tuple).join(', ')}`,
    rows.flatMap((row) => columns.map((column) => (row as Record<string, unknown>)[column])),
  );
  return affected;
}

/** Inserts one row (see insertRows); true when it went in, which only `ignore` can make false. */
export async function insertRow(
  sql: Sql,
  table: string,
  row: object,
  options: { ignore?: boolean } = {},
): Promise<boolean> {
  return (await insertRows(sql, table, [row], options)) === 1;
}

/** A piece of a WHERE clause and its parameters, in the order its `?`s stand. */
export interface Condition {
  readonly sql: string;
  readonly params: readonly unknown[];
}

export function condition(sql: string, ...params: unknown[]): Condition {
  return { sql, params };
}

/** `column <op> ?`, or no condition when `value` is undefined: a filter that was not given. */
export function compare(column: string, op: '=' | '<' | '<=' | '>' | '>=', value: unknown): Condition | undefined {
  return value === undefined ? undefined : condition(`${column} ${op} ?`, value);
}

export function equals(column: string, value: unknown): Condition | undefined {
  return compare(column, '=', value);
}

/** `column IN (?, …)`. An empty list matches no row (where SQL would refuse `IN ()`). */
export function isIn(column: string, values: readonly unknown[]): Condition {
  return values.length === 0
    ? condition('1 = 0')
    : condition(`${column} IN (${placeholders(values.length)})`, ...values);
}

/**
 * The rows after `cursor` in a newest-first listing (`ORDER BY created_at DESC, id DESC`): rows with
 * equal times are told apart by id, so paging neither skips nor repeats them.
 */
export function olderThan(cursor: { createdAt: number; id: string } | undefined): Condition | undefined {
  return (
    cursor &&
    condition('(created_at < ? OR (created_at = ? AND id < ?))', cursor.createdAt, cursor.createdAt, cursor.id)
  );
}

/** The conditions given, joined by AND (none: every row); the filters that were not given are left out. */
export function allOf(...conditions: (Condition | undefined)[]): Condition {
  const given = conditions.filter((each): each is Condition => each !== undefined);
  if (given.length === 0) return condition('1 = 1');
  return { sql: given.map((each) => each.sql).join(' AND '), params: given.flatMap((each) => each.params) };
}
