import type { DatabaseConfig } from '../config.js';
import type { Store } from '../domain/store.js';
import { openMysqlStore } from './mysql-store.js';
import { openSqliteStore } from './sqlite-store.js';

/** Opens the configured database and brings its schema up to date (migrations run at every start). */
export function openStore(config: DatabaseConfig, options: { logging?: boolean } = {}): Promise<Store> {
  return config.kind === 'sqlite' ? openSqliteStore(config.file) : openMysqlStore(config, options);
}
