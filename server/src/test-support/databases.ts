import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import type { DatabaseConfig } from '../config.js';
import type { Store } from '../domain/store.js';
import { openStore } from '../store/open-store.js';

export type TestDatabase = 'sqlite' | 'mysql';

const mysqlUrl = process.env.LOOPGATE_TEST_MYSQL_AVAILABLE ?? '';

/** Every database the storage and API tests must pass on; MySQL only when global setup reached it. */
export const DATABASES: TestDatabase[] = mysqlUrl ? ['sqlite', 'mysql'] : ['sqlite'];

export interface TestDatabaseHandle {
  config: DatabaseConfig;
  /** A DATABASE_URL for child processes (the server, the CLI) on the same database. */
  url: string;
  dataDir: string;
  drop(): Promise<void>;
}

/** A fresh, empty database of the given kind: a temp SQLite file, or a uniquely named MySQL database. */
export async function createTestDatabase(kind: TestDatabase): Promise<TestDatabaseHandle> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'loopgate-test-'));
  if (kind === 'sqlite') {
    const file = path.join(dataDir, 'loopgate.db');
    return {
      config: { kind: 'sqlite', file },
      url: `sqlite:${file}`,
      dataDir,
      async drop() {
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const base = new URL(mysqlUrl);
  const database = `lg_test_${randomBytes(6).toString('hex')}`;
  const config: DatabaseConfig = {
    kind: 'mysql',
    host: base.hostname,
    port: Number(base.port || 3306),
    user: decodeURIComponent(base.username || 'root'),
    password: decodeURIComponent(base.password),
    database,
    poolSize: 20,
  };
  return {
    config,
    url: `${base.protocol}//${base.username ? `${base.username}${base.password ? `:${base.password}` : ''}@` : ''}${base.host}/${database}`,
    dataDir,
    async drop() {
      const connection = await createConnection({
        host: config.host,
        port: config.port,
        user: config.user,
        password: config.password,
      });
      await connection.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await connection.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function openTestStore(
  kind: TestDatabase,
): Promise<{ store: Store; db: TestDatabaseHandle; close(): Promise<void> }> {
  const db = await createTestDatabase(kind);
  const store = await openStore(db.config);
  return {
    store,
    db,
    async close() {
      await store.close();
      await db.drop();
    },
  };
}

/**
 * Rows in a table, counted over a connection of its own rather than through a repository, so a test
 * can check what a write path left behind whatever the repositories choose to show.
 */
export async function countRows(db: TestDatabaseHandle, table: string): Promise<number> {
  if (!/^\w+$/.test(table)) throw new Error(`not a table name: ${table}`);
  if (db.config.kind === 'sqlite') {
    const Database = require('better-sqlite3') as new (
      file: string,
      options: { readonly: boolean },
    ) => { prepare(sql: string): { get(): { n: number } }; close(): void };
    const reader = new Database(db.config.file, { readonly: true });
    try {
      return reader.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get().n;
    } finally {
      reader.close();
    }
  }
  const { host, port, user, password, database } = db.config;
  const connection = await createConnection({ host, port, user, password, database });
  try {
    const [rows] = await connection.query(`SELECT COUNT(*) AS n FROM ${table}`);
    return Number((rows as { n: number }[])[0]?.n);
  } finally {
    await connection.end();
  }
}
