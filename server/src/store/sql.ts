import type { QueryRunner } from 'typeorm';

export type Row = Record<string, unknown>;
export interface SqlResult {
  rows: Row[];
  affected: number;
}

/**
 * The narrow SQL surface repositories use. Both SQLite and MySQL take `?` placeholders, so one
 * statement serves both; the few dialect differences are named in `SqlDialect`.
 */
export interface Sql {
  readonly dialect: SqlDialect;
  query(sql: string, params?: readonly unknown[]): Promise<SqlResult>;
}

export type SqlDialect = 'sqlite' | 'mysql';

export async function runOn(runner: QueryRunner, sql: string, params: readonly unknown[] = []): Promise<SqlResult> {
  const result = await runner.query(sql, params as unknown[], true);
  return { rows: Array.isArray(result.records) ? (result.records as Row[]) : [], affected: result.affected ?? 0 };
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

/** `?, ?, ?` for an IN list of `count` values. */
export function placeholders(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ');
}
