import { DataSource, type DataSourceOptions } from 'typeorm';
import { ensureDatabase, mysqlConnection } from '../store/mysql-store.js';
import type { TestDatabaseHandle } from './databases.js';

/**
 * A bare TypeORM connection to a test database, knowing only `migrations`: for tests that build the
 * schema of an older version, or look at rows underneath the repositories.
 */
export async function rawDataSource(
  db: TestDatabaseHandle,
  migrations: DataSourceOptions['migrations'] = [],
): Promise<DataSource> {
  const config = db.config;
  if (config.kind === 'mysql') await ensureDatabase(config);
  const source = new DataSource(
    config.kind === 'sqlite'
      ? { type: 'better-sqlite3', database: config.file, migrations }
      : { ...mysqlConnection(config), migrations },
  );
  return source.initialize();
}
