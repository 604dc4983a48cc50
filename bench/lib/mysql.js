// MySQL/MariaDB helpers for benchmarks: reachability probe, throw-away databases.
const { randomBytes } = require('node:crypto');

const DEFAULT = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };

function mysqlTarget() {
  return {
    host: process.env.BENCH_MYSQL_HOST || DEFAULT.host,
    port: Number(process.env.BENCH_MYSQL_PORT || DEFAULT.port),
    user: process.env.BENCH_MYSQL_USER || DEFAULT.user,
    password: process.env.BENCH_MYSQL_PASSWORD || DEFAULT.password,
  };
}

/** Resolves { ok: true, version, durability } or { ok: false, reason }. */
async function probeMysql(target = mysqlTarget()) {
  let mysql;
  try {
    mysql = require('mysql2/promise');
  } catch (e) {
    return { ok: false, reason: `mysql2 not installed (${e.message})` };
  }
  let conn;
  try {
    conn = await mysql.createConnection({ ...target, connectTimeout: 3000 });
    const [[v]] = await conn.query(
      'SELECT VERSION() AS version, @@innodb_flush_log_at_trx_commit AS flush, @@sync_binlog AS syncBinlog',
    );
    return {
      ok: true,
      version: v.version,
      durability: { innodb_flush_log_at_trx_commit: v.flush, sync_binlog: v.syncBinlog },
    };
  } catch (e) {
    return { ok: false, reason: e.message || e.code || String(e) };
  } finally {
    if (conn) await conn.end().catch(() => undefined);
  }
}

function freshDbName(prefix = 'lg_bench') {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

function mysqlUrl(target, database) {
  const auth = target.password
    ? `${encodeURIComponent(target.user)}:${encodeURIComponent(target.password)}`
    : encodeURIComponent(target.user);
  return `mysql://${auth}@${target.host}:${target.port}/${database}`;
}

async function dropDatabase(target, database) {
  if (!/^[A-Za-z0-9_]+$/.test(database)) throw new Error(`bad database name ${database}`);
  const mysql = require('mysql2/promise');
  const conn = await mysql.createConnection({ ...target, connectTimeout: 3000 });
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${database}\``);
  } finally {
    await conn.end();
  }
}

module.exports = { mysqlTarget, probeMysql, freshDbName, mysqlUrl, dropDatabase };
