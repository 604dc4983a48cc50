// Bare baseline for POST /api/v1/tasks: a plain Express 5 handler doing one INSERT per request
// into the same `tasks` table, with the same driver and durability settings as Loopgate, and no
// Loopgate code (no auth, no validation library, no transaction wrapper, no task_events row).
//
// Env: BASELINE_DB=sqlite|mysql, PORT, HOST (default 127.0.0.1), BASELINE_WORKSPACE_ID (must exist),
//      BASELINE_SQLITE_FILE (sqlite), BASELINE_MYSQL_URL + BASELINE_POOL_SIZE (mysql, default 10).
//      BASELINE_WITH_EVENT=1: diagnostic variant that, like Loopgate, also appends the 'created'
//      task_events row in the same transaction (BEGIN; 2 INSERTs; COMMIT).
const { randomBytes } = require('node:crypto');
const express = require('express');

const kind = process.env.BASELINE_DB;
const port = Number(process.env.PORT);
const host = process.env.HOST || '127.0.0.1';
const workspaceId = process.env.BASELINE_WORKSPACE_ID;
if (!['sqlite', 'mysql'].includes(kind) || !port || !workspaceId) {
  process.stderr.write('baseline-server: set BASELINE_DB=sqlite|mysql, PORT and BASELINE_WORKSPACE_ID\n');
  process.exit(2);
}

// Same column list as the INSERT of server/src/store/tasks/task-repository.ts (newTaskRow).
const COLUMNS = [
  'id',
  'workspace_id',
  'queue',
  'title',
  'description',
  'payload',
  'context',
  'confidence',
  'risk_level',
  'tags',
  'source',
  'external_ref',
  'callback_url',
  'status',
  'due_at',
  'created_at',
  'updated_at',
  'closed_at',
  'version',
  'created_by_type',
  'created_by_id',
  'created_by_name',
];
const withEvent = process.env.BASELINE_WITH_EVENT === '1';
const INSERT_EVENT =
  'INSERT INTO task_events (id, workspace_id, task_id, type, from_status, to_status, actor_type, actor_id, actor_name, reason, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const INSERT = `INSERT INTO tasks (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`;

// Same id shape as server/src/domain/ids.ts: tsk_<9 time chars><16 random chars>.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
function newId(prefix, now) {
  let time = '';
  let rest = now;
  for (let i = 0; i < 9; i++) {
    time = ALPHABET[rest % 32] + time;
    rest = Math.floor(rest / 32);
  }
  let rand = '';
  for (const b of randomBytes(16)) rand += ALPHABET[b & 31];
  return `${prefix}_${time}${rand}`;
}

const ACTOR = { type: 'api_key', id: 'key_baseline', name: 'bench' };

function buildTask(body, now) {
  return {
    id: newId('tsk', now),
    queue: body.queue ?? 'default',
    title: body.title,
    description: body.description ?? null,
    payload: body.payload,
    context: body.context ?? null,
    confidence: body.confidence ?? null,
    riskLevel: body.riskLevel ?? null,
    tags: body.tags ?? [],
    source: body.source ?? 'api',
    externalRef: body.externalRef ?? null,
    callbackUrl: body.callbackUrl ?? null,
    status: 'pending_review',
    dueAt: body.slaSeconds === undefined ? null : now + body.slaSeconds * 1000,
    createdAt: now,
  };
}

function params(t) {
  return [
    t.id,
    workspaceId,
    t.queue,
    t.title,
    t.description,
    JSON.stringify(t.payload),
    t.context === null ? null : JSON.stringify(t.context),
    t.confidence,
    t.riskLevel,
    JSON.stringify(t.tags),
    t.source,
    t.externalRef,
    t.callbackUrl,
    t.status,
    t.dueAt,
    t.createdAt,
    t.createdAt,
    null,
    1,
    ACTOR.type,
    ACTOR.id,
    ACTOR.name,
  ];
}

function eventParams(t) {
  return [
    newId('evt', t.createdAt),
    workspaceId,
    t.id,
    'created',
    null,
    t.status,
    ACTOR.type,
    ACTOR.id,
    ACTOR.name,
    'Every task in this queue goes to human review',
    null,
    t.createdAt,
  ];
}

function view(t) {
  const iso = (ms) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: t.id,
    queue: t.queue,
    title: t.title,
    description: t.description,
    payload: t.payload,
    context: t.context,
    confidence: t.confidence,
    riskLevel: t.riskLevel,
    tags: t.tags,
    source: t.source,
    externalRef: t.externalRef,
    callbackUrl: t.callbackUrl,
    status: t.status,
    dueAt: iso(t.dueAt),
    createdAt: iso(t.createdAt),
    updatedAt: iso(t.createdAt),
    closedAt: null,
    createdBy: ACTOR,
    decision: null,
    version: 1,
  };
}

let insert; // (task) => Promise<void>
let close;
if (kind === 'sqlite') {
  const Database = require('better-sqlite3');
  const db = new Database(process.env.BASELINE_SQLITE_FILE, { timeout: 5000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  const stmt = db.prepare(INSERT);
  const eventStmt = db.prepare(INSERT_EVENT);
  const both = db.transaction((t) => {
    stmt.run(params(t));
    eventStmt.run(eventParams(t));
  });
  insert = async (t) => {
    if (withEvent) both(t);
    else stmt.run(params(t)); // autocommit: one transaction, one fsync per request
  };
  close = async () => db.close();
} else {
  const mysql = require('mysql2/promise');
  const url = new URL(process.env.BASELINE_MYSQL_URL);
  const pool = mysql.createPool({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username || 'root'),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.slice(1)),
    charset: 'utf8mb4_bin',
    connectionLimit: Number(process.env.BASELINE_POOL_SIZE || 10),
    supportBigNumbers: true,
  });
  insert = async (t) => {
    if (!withEvent) {
      await pool.query(INSERT, params(t)); // autocommit
      return;
    }
    const conn = await pool.getConnection();
    try {
      await conn.query('START TRANSACTION');
      await conn.query(INSERT, params(t));
      await conn.query(INSERT_EVENT, eventParams(t));
      await conn.query('COMMIT');
    } catch (error) {
      await conn.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      conn.release();
    }
  };
  close = () => pool.end();
}

const app = express();
app.use(express.json({ limit: '1mb' }));
app.get('/healthz', (_req, res) => {
  res.json({ status: 'ok' });
});
app.post('/api/v1/tasks', async (req, res) => {
  const body = req.body;
  if (!body || typeof body.title !== 'string' || body.payload === undefined) {
    res.status(400).json({ error: 'title and payload are required' });
    return;
  }
  const task = buildTask(body, Date.now());
  try {
    await insert(task);
  } catch (error) {
    res.status(500).json({ error: error.message });
    return;
  }
  res.status(201).location(`/api/v1/tasks/${task.id}`).json(view(task));
});

const server = app.listen(port, host);
const shutdown = () => {
  server.close(() => {
    Promise.resolve(close()).finally(() => process.exit(0));
  });
  server.closeAllConnections?.();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
