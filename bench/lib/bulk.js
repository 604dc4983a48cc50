// Bulk seeding for benchmarks that need a million rows: multi-row INSERTs over a plain connection
// (better-sqlite3 or mysql2), one transaction per chunk, far faster than the store's one-row writes.
const path = require('node:path');

/**
 * A plain connection to the database `dbConfig` names (the shape openStore takes):
 * `insertRows(table, columns, rows)` writes rows (arrays in column order) in multi-row INSERTs,
 * `query(sql, params)` resolves the rows of a SELECT, and `close()`.
 */
async function openBulk(ctx, dbConfig, { rowsPerInsert = 500, insertsPerCommit = 20 } = {}) {
  const chunk = rowsPerInsert * insertsPerCommit;
  if (dbConfig.kind === 'sqlite') {
    const Database = require(require.resolve('better-sqlite3', { paths: [path.join(ctx.root, 'server')] }));
    const db = new Database(dbConfig.file);
    db.pragma('busy_timeout = 10000');
    const statements = new Map();
    const prepared = (sql) => {
      let statement = statements.get(sql);
      if (!statement) {
        statement = db.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    };
    return {
      kind: 'sqlite',
      async insertRows(table, columns, rows) {
        const one = `(${columns.map(() => '?').join(', ')})`;
        for (let start = 0; start < rows.length; start += chunk) {
          db.transaction(() => {
            for (let at = start; at < Math.min(rows.length, start + chunk); at += rowsPerInsert) {
              const part = rows.slice(at, Math.min(rows.length, at + rowsPerInsert, start + chunk));
              prepared(
                `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array(part.length).fill(one).join(', ')}`,
              ).run(...part.flat());
            }
          })();
        }
      },
      async query(sql, params = []) {
        const statement = prepared(sql);
        if (statement.reader) return statement.all(...params);
        statement.run(...params);
        return [];
      },
      // A bulk load leaves a WAL as large as what it wrote, which the server's connection would then
      // read through; a server that grew by its own writes checkpoints every 1000 pages and never has
      // one. Checkpoint it, so reads are measured on the database such a server would have.
      async close() {
        db.pragma('wal_checkpoint(TRUNCATE)');
        db.close();
      },
    };
  }
  const mysql = require(require.resolve('mysql2/promise', { paths: [path.join(ctx.root, 'server')] }));
  const { host, port, user, password, database } = dbConfig;
  const conn = await mysql.createConnection({ host, port, user, password, database });
  return {
    kind: 'mysql',
    async insertRows(table, columns, rows) {
      const one = `(${columns.map(() => '?').join(', ')})`;
      for (let start = 0; start < rows.length; start += chunk) {
        await conn.beginTransaction();
        for (let at = start; at < Math.min(rows.length, start + chunk); at += rowsPerInsert) {
          const part = rows.slice(at, Math.min(rows.length, at + rowsPerInsert, start + chunk));
          await conn.query(
            `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array(part.length).fill(one).join(', ')}`,
            part.flat(),
          );
        }
        await conn.commit();
      }
    },
    async query(sql, params = []) {
      const [rows] = await conn.query(sql, params);
      return Array.isArray(rows) ? rows : [];
    },
    async close() {
      await conn.end();
    },
  };
}

module.exports = { openBulk };
