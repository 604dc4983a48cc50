import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { DataSource, type QueryRunner } from 'typeorm';
import type { Repositories, Store } from '../domain/store.js';
import { MIGRATIONS } from './migrations/index.js';
import { createRepositories } from './repositories.js';
import { sqlOn } from './sql.js';

interface Job {
  work: (tx: Repositories) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

const MAX_BATCH = 256;

/**
 * SQLite has one writer. Transactions from concurrent requests are queued and committed together
 * (group commit): each request's work runs inside its own SAVEPOINT, so a failing one rolls back
 * alone, and one COMMIT — one fsync with synchronous=FULL — makes the whole batch durable before
 * any of its callers is answered. Durability stays at FULL; throughput comes from sharing the fsync.
 */
class GroupCommitWriter {
  private readonly queue: Job[] = [];
  private draining = false;
  private readonly repos: Repositories;

  constructor(private readonly runner: QueryRunner) {
    this.repos = createRepositories(sqlOn('sqlite', runner));
  }

  run<T>(work: (tx: Repositories) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.draining) {
        this.draining = true;
        void this.drain();
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        // Let pending I/O callbacks run first, so requests that arrived meanwhile join this batch.
        await new Promise((resolve) => setImmediate(resolve));
        await this.commitBatch(this.queue.splice(0, MAX_BATCH));
      }
    } finally {
      this.draining = false;
    }
  }

  private async commitBatch(batch: Job[]): Promise<void> {
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      await this.runner.query('BEGIN IMMEDIATE');
    } catch (error) {
      for (const job of batch) job.reject(error);
      return;
    }
    for (const job of batch) {
      await this.runner.query('SAVEPOINT unit');
      try {
        const value = await job.work(this.repos);
        await this.runner.query('RELEASE unit');
        outcomes.push({ ok: true, value });
      } catch (error) {
        await this.runner.query('ROLLBACK TO unit');
        await this.runner.query('RELEASE unit');
        outcomes.push({ ok: false, value: error });
      }
    }
    try {
      await this.runner.query('COMMIT');
    } catch (error) {
      await this.runner.query('ROLLBACK').catch(() => undefined);
      for (const job of batch) job.reject(error);
      return;
    }
    batch.forEach((job, index) => {
      const outcome = outcomes[index];
      if (outcome?.ok) job.resolve(outcome.value);
      else job.reject(outcome?.value);
    });
  }
}

/**
 * WAL checkpoints copy the log back into the database file and can take hundreds of milliseconds;
 * with better-sqlite3 being synchronous that would stall every request. Automatic checkpoints are
 * off on the writer and a worker thread with its own connection runs passive checkpoints instead.
 */
function startCheckpointWorker(file: string, intervalMs: number): Worker {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const Database = require(workerData.driver);
    const db = new Database(workerData.file, { timeout: 5000 });
    const timer = setInterval(() => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} }, workerData.intervalMs);
    parentPort.on('message', () => { clearInterval(timer); try { db.pragma('wal_checkpoint(PASSIVE)'); db.close(); } catch {} process.exit(0); });
  `;
  const worker = new Worker(source, {
    eval: true,
    workerData: { file, intervalMs, driver: require.resolve('better-sqlite3') },
  });
  worker.unref();
  return worker;
}

export async function openSqliteStore(file: string): Promise<Store> {
  mkdirSync(path.dirname(file), { recursive: true });
  const writer = new DataSource({
    type: 'better-sqlite3',
    database: file,
    migrations: MIGRATIONS,
    migrationsRun: false,
    synchronize: false,
    enableWAL: true,
    timeout: 5000,
    prepareDatabase: (db: { pragma: (statement: string) => unknown }) => {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('wal_autocheckpoint = 0');
    },
  });
  await writer.initialize();
  await writer.runMigrations({ transaction: 'all' });

  const reader = new DataSource({ type: 'better-sqlite3', database: file, readonly: true, timeout: 5000 });
  await reader.initialize();

  const writeRunner = writer.createQueryRunner();
  const readRunner = reader.createQueryRunner();
  const groupCommit = new GroupCommitWriter(writeRunner);
  const readSql = sqlOn('sqlite', readRunner);
  const checkpointer = startCheckpointWorker(file, 1000);

  return {
    dialect: 'sqlite',
    read: createRepositories(readSql),
    transaction: (work) => groupCommit.run(work),
    async ping() {
      await readSql.query('SELECT 1');
    },
    async close() {
      await new Promise<void>((resolve) => {
        checkpointer.once('exit', () => resolve());
        checkpointer.ref(); // keep the process alive until the final checkpoint is done
        checkpointer.postMessage('stop');
      });
      await reader.destroy();
      await writer.destroy();
    },
  };
}
