// Audit verify over a million entries (issue 16): one workspace's log is bulk-seeded with chained
// entries (hashed with the product's own entryHash, so the chain verifies), then the product's
// verifyAuditLog walks it, and so does `loopgate audit verify` as an operator runs it. Bare baselines
// in the same run: a SELECT of every row page by page with the same query and no mapping, and SHA-256
// of the same canonical strings with node:crypto alone. Goal: verify < 60 s.
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { openBulk } = require('../lib/bulk');
const { cleanEnv } = require('../lib/loopgate');
const { freshDbName, dropDatabase, mysqlUrl } = require('../lib/mysql');
const { runCommand } = require('../lib/proc');
const { fmt } = require('../lib/table');

const ENTRIES = Number(process.env.BENCH_AUDIT_ENTRIES || 1_000_000);
const GOAL_SECONDS = 60;
const CHUNK = 10_000;
/** verifyAuditLog's default page, so the SELECT baseline reads the rows the way the walk does. */
const PAGE = 1000;

const COLUMNS = [
  'id',
  'workspace_id',
  'seq',
  'created_at',
  'actor_type',
  'actor_id',
  'actor_name',
  'actor_role',
  'action',
  'target_type',
  'target_id',
  'data',
  'request_id',
  'prev_hash',
  'hash',
];
const ACTIONS = ['task.created', 'task.claimed', 'task.decided', 'task.delivered'];

function dist(ctx, file) {
  return require(path.join(ctx.root, 'server/dist', file));
}

/** Entry n of the seed (seq = n): task events of a busy desk, one every 30 ms. */
function entry(workspaceId, seq, start) {
  const task = `tsk_aud${String(Math.floor(seq / 4)).padStart(12, '0')}`;
  const action = ACTIONS[seq % ACTIONS.length];
  return {
    id: `aud_b${String(seq).padStart(14, '0')}`,
    workspaceId,
    seq,
    at: start + seq * 30,
    actor: { type: 'user', id: `usr_bench_rev${seq % 8}`, name: `rev${seq % 8}@bench.example`, role: 'reviewer' },
    action,
    target: { type: 'task', id: task },
    data:
      action === 'task.decided'
        ? { fromStatus: 'in_review', toStatus: 'approved', reason: null, level: 1, comment: `ok ${seq}` }
        : { fromStatus: 'pending_review', toStatus: 'in_review', reason: null },
    requestId: seq % 3 === 0 ? null : `req_${seq.toString(36)}`,
  };
}

async function measure(ctx, label, dbConfig, databaseUrl) {
  const { openStore } = dist(ctx, 'store/open-store.js');
  const { createWorkspace } = dist(ctx, 'domain/admin/workspaces.js');
  const { entryHash, hashedFields } = dist(ctx, 'domain/audit/audit-chain.js');
  const { verifyAuditLog } = dist(ctx, 'domain/audit/verify-audit-log.js');
  const { canonicalJson } = require(path.join(ctx.root, 'shared/dist/index.js'));

  const store = await openStore(dbConfig);
  try {
    const workspace = await createWorkspace({ store, clock: Date.now }, `bench-audit-${Date.now().toString(36)}`);
    const head = await store.read.audit.head(workspace.id);
    let seq = head?.lastSeq ?? 0;
    let prevHash = head?.lastHash;
    // What the baseline hashes: each entry's prev_hash and canonical text, as the walk would hash them.
    const canonical = [];
    const prevHashes = [];
    const hashes = [];
    ctx.log(`  ${label}: seeding ${ENTRIES} chained audit entries`);
    let started = Date.now();
    const bulk = await openBulk(ctx, dbConfig);
    const start = Date.now() - ENTRIES * 30 - 60_000;
    try {
      for (let done = 0; done < ENTRIES; done += CHUNK) {
        const rows = [];
        for (let k = 0; k < Math.min(CHUNK, ENTRIES - done); k++) {
          seq += 1;
          const record = { ...entry(workspace.id, seq, start), prevHash };
          const hash = entryHash(record);
          canonical.push(canonicalJson(hashedFields(record)));
          prevHashes.push(prevHash);
          hashes.push(hash);
          rows.push([
            record.id,
            record.workspaceId,
            record.seq,
            record.at,
            record.actor.type,
            record.actor.id,
            record.actor.name,
            record.actor.role,
            record.action,
            record.target.type,
            record.target.id,
            JSON.stringify(record.data),
            record.requestId,
            prevHash,
            hash,
          ]);
          prevHash = hash;
        }
        await bulk.insertRows('audit_log', COLUMNS, rows);
        if ((done / CHUNK) % 20 === 19) ctx.log(`  ${label}: ${done + CHUNK} entries written`);
      }
      // The head records what the log wrote last, as append() leaves it.
      await bulk.query('UPDATE audit_heads SET last_seq = ?, last_hash = ? WHERE workspace_id = ?', [
        seq,
        prevHash,
        workspace.id,
      ]);
    } finally {
      await bulk.close();
    }
    const seedSeconds = (Date.now() - started) / 1000;
    ctx.log(`  ${label}: seeded in ${seedSeconds.toFixed(1)} s`);

    // Baseline 1: every row read page by page with the walk's own query, nothing mapped or hashed.
    const plain = await openBulk(ctx, dbConfig);
    let selected = 0;
    started = Date.now();
    try {
      let after = 0;
      for (;;) {
        const page = await plain.query(
          'SELECT * FROM audit_log WHERE workspace_id = ? AND seq > ? ORDER BY seq LIMIT ?',
          [workspace.id, after, PAGE],
        );
        if (page.length === 0) break;
        selected += page.length;
        after = Number(page[page.length - 1].seq);
      }
    } finally {
      await plain.close();
    }
    const selectSeconds = (Date.now() - started) / 1000;
    ctx.log(`  ${label}: bare SELECT of ${selected} rows in ${selectSeconds.toFixed(1)} s`);

    // Baseline 2: SHA-256 of the same prev_hash + canonical text, node:crypto alone.
    started = Date.now();
    for (let i = 0; i < canonical.length; i++) {
      const hash = createHash('sha256').update(prevHashes[i], 'utf8').update(canonical[i], 'utf8').digest('hex');
      if (hash !== hashes[i]) throw new Error(`baseline hash of entry ${i + 1} differs from entryHash`);
    }
    const hashSeconds = (Date.now() - started) / 1000;
    ctx.log(`  ${label}: bare hashing in ${hashSeconds.toFixed(1)} s`);
    canonical.length = 0;
    prevHashes.length = 0;
    hashes.length = 0;

    started = Date.now();
    const result = await verifyAuditLog({ store }, workspace.id);
    const verifySeconds = (Date.now() - started) / 1000;
    if (!result.ok) throw new Error(`${label}: verifyAuditLog found the seeded chain broken: ${result.message}`);
    if (result.checked !== seq) throw new Error(`${label}: verifyAuditLog checked ${result.checked} of ${seq} entries`);
    ctx.log(`  ${label}: verifyAuditLog ${result.checked} entries in ${verifySeconds.toFixed(1)} s`);

    // The operator's command, a process of its own: start-up, migrations check, the walk, the line.
    started = Date.now();
    const cli = await runCommand(
      process.execPath,
      [path.join(ctx.root, 'server/bin/loopgate.js'), 'audit', 'verify', '--workspace', workspace.slug],
      { env: cleanEnv({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' }), cwd: ctx.root, timeoutMs: 20 * 60_000 },
    );
    const cliSeconds = (Date.now() - started) / 1000;
    if (cli.code !== 0 || !cli.stdout.includes(`\tok\t${seq} entries`)) {
      throw new Error(`${label}: loopgate audit verify failed (exit ${cli.code}): ${cli.stdout}${cli.stderr}`);
    }
    ctx.log(`  ${label}: loopgate audit verify in ${cliSeconds.toFixed(1)} s`);

    return {
      db: label,
      entries: result.checked,
      seedSeconds,
      verifySeconds,
      rate: result.checked / verifySeconds,
      goal: verifySeconds < GOAL_SECONDS ? 'met' : 'MISSED',
      cliSeconds,
      selectSeconds,
      hashSeconds,
      ratio: verifySeconds / (selectSeconds + hashSeconds),
    };
  } finally {
    await store.close();
  }
}

async function run(ctx) {
  const started = Date.now();
  const rows = [];
  const notes = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-bench-audit-'));
  try {
    const file = path.join(dir, 'audit.db');
    rows.push(await measure(ctx, 'sqlite', { kind: 'sqlite', file }, `sqlite:${file}`));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (ctx.mysql.available) {
    const database = freshDbName();
    try {
      rows.push(
        await measure(
          ctx,
          'mysql',
          { kind: 'mysql', ...ctx.mysql.target, database, poolSize: 10 },
          mysqlUrl(ctx.mysql.target, database),
        ),
      );
    } finally {
      await dropDatabase(ctx.mysql.target, database);
    }
  } else {
    notes.push(`MySQL rows skipped: ${ctx.mysql.reason}`);
  }
  const s = (v) => (v == null ? '-' : v.toFixed(1));
  return [
    {
      title: `Audit verify over ${ENTRIES.toLocaleString('en-US')} chained entries (goal: < ${GOAL_SECONDS} s)`,
      columns: [
        { key: 'db', label: 'database', align: 'left' },
        { key: 'entries', label: 'entries', format: fmt.int },
        { key: 'seedSeconds', label: 'bulk seed s', format: s },
        { key: 'verifySeconds', label: 'verifyAuditLog s', format: s },
        { key: 'rate', label: 'entries/s', format: fmt.int },
        { key: 'goal', label: 'goal', align: 'left' },
        { key: 'cliSeconds', label: 'loopgate audit verify s', format: s },
        { key: 'selectSeconds', label: 'bare SELECT s', format: s },
        { key: 'hashSeconds', label: 'bare SHA-256 s', format: s },
        { key: 'ratio', label: 'verify/(SELECT+SHA-256)', format: fmt.ratio },
      ],
      rows,
      notes: [
        ...notes,
        "Entries are task events of one workspace (created, claimed, decided, delivered), hashed with the product's entryHash over its canonical JSON and bulk-inserted; the head is set as append() leaves it. verifyAuditLog and the CLI must answer ok with every entry checked.",
        `Baselines: every row read with the walk's own query (pages of ${PAGE}, no mapping) over a plain connection; SHA-256 (node:crypto) of the same prev_hash + canonical strings, precomputed, each checked equal to the stored hash.`,
        `Suite time: ${((Date.now() - started) / 1000).toFixed(0)} s.`,
      ],
    },
  ];
}

module.exports = { name: 'audit-verify', run };
