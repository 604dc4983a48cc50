import { setTimeout } from 'node:timers/promises';
import { createConnection } from 'mysql2/promise';
import { DataSource, type QueryRunner } from 'typeorm';
import type { DatabaseConfig } from '../config.js';
import type { Repositories, Store } from '../domain/store.js';
import { MIGRATIONS } from './migrations/index.js';
import { createRepositories } from './repositories.js';
import { runOn, type Sql, sqlOn } from './sql.js';

type MysqlConfig = Extract<DatabaseConfig, { kind: 'mysql' }>;

export class DatabaseSetupError extends Error {
  override name = 'DatabaseSetupError';
}

const DEADLOCK = 1213;
const MAX_DEADLOCK_ATTEMPTS = 8;
const DEADLOCK_BACKOFF_BASE_MS = 5;
const DEADLOCK_BACKOFF_CAP_MS = 250;

/**
 * How long to wait before running a deadlock victim's transaction again: exponential in the attempt,
 * capped, with full jitter, so the transactions that collided do not collide again in lock step.
 */
export function deadlockBackoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(DEADLOCK_BACKOFF_CAP_MS, DEADLOCK_BACKOFF_BASE_MS * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Creates the database if it is missing; when the account may not, says exactly what to run. */
export async function ensureDatabase(config: MysqlConfig): Promise<void> {
  let connection: Awaited<ReturnType<typeof createConnection>>;
  try {
    connection = await createConnection({
      host: config.host,
      port: config.port,
      user: config.user,
      password: config.password,
    });
  } catch (error) {
    throw new DatabaseSetupError(
      `Cannot connect to MySQL at ${config.host}:${config.port} as ${config.user}: ${(error as Error).message}`,
    );
  }
  try {
    await connection.query(
      `CREATE DATABASE IF NOT EXISTS \`${config.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
    );
  } catch (error) {
    throw new DatabaseSetupError(
      `Database "${config.database}" does not exist and ${config.user} may not create it (${(error as Error).message}). ` +
        `Create it once as an administrator: CREATE DATABASE \`${config.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;`,
    );
  } finally {
    await connection.end();
  }
}

function errno(error: unknown): number | undefined {
  const driverError = (error as { driverError?: { errno?: number }; errno?: number }) ?? {};
  return driverError.driverError?.errno ?? driverError.errno;
}

/** Where and how to connect: the database's address and account, and the collation every table uses. */
export function mysqlConnection(config: MysqlConfig) {
  return {
    type: 'mysql',
    host: config.host,
    port: config.port,
    username: config.user,
    password: config.password,
    database: config.database,
    charset: 'utf8mb4_bin',
  } as const;
}

export async function openMysqlStore(config: MysqlConfig, options: { logging?: boolean } = {}): Promise<Store> {
  await ensureDatabase(config);
  const dataSource = new DataSource({
    ...mysqlConnection(config),
    // BIGINT columns come back as numbers (as strings only past 2^53); see Sql.
    supportBigNumbers: true,
    bigNumberStrings: false,
    poolSize: config.poolSize,
    migrations: MIGRATIONS,
    synchronize: false,
    logging: options.logging ?? false,
  });
  await dataSource.initialize();

  // Several server processes may start at once; a named lock lets exactly one of them migrate.
  const lockRunner = dataSource.createQueryRunner();
  try {
    await runOn(lockRunner, "SELECT GET_LOCK('loopgate_migrations', 120)");
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await runOn(lockRunner, "SELECT RELEASE_LOCK('loopgate_migrations')").catch(() => undefined);
    await lockRunner.release();
  }

  const readSql: Sql = {
    dialect: 'mysql',
    async query<R>(text: string, params?: readonly unknown[]) {
      const runner = dataSource.createQueryRunner('slave');
      try {
        return await runOn<R>(runner, text, params);
      } finally {
        await runner.release();
      }
    },
  };

  async function transactionOnce<T>(work: (tx: Repositories) => Promise<T>): Promise<T> {
    const runner: QueryRunner = dataSource.createQueryRunner('master');
    await runner.connect();
    await runner.startTransaction();
    try {
      const value = await work(createRepositories(sqlOn('mysql', runner)));
      await runner.commitTransaction();
      return value;
    } catch (error) {
      await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  return {
    dialect: 'mysql',
    read: createRepositories(readSql),
    async transaction(work) {
      // InnoDB may pick this transaction as a deadlock victim; its work is all-or-nothing, so run it again.
      for (let attempt = 1; ; attempt++) {
        try {
          return await transactionOnce(work);
        } catch (error) {
          if (errno(error) !== DEADLOCK || attempt >= MAX_DEADLOCK_ATTEMPTS) throw error;
          await setTimeout(deadlockBackoffMs(attempt));
        }
      }
    },
    async ping() {
      await readSql.query('SELECT 1');
    },
    async close() {
      await dataSource.destroy();
    },
  };
}
