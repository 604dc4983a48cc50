// Loopgate benchmark runner: runs every bench/suites/*.js in name order (one at a time), prints
// their tables and writes bench/results/latest.json. Configuration via env, see bench/README.md.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { renderTable } = require('./lib/table');
const { mysqlTarget, probeMysql } = require('./lib/mysql');

function num(name, fallback, min) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) {
    process.stderr.write(`${name} must be a number >= ${min}\n`);
    process.exit(2);
  }
  return value;
}

async function main() {
  const root = path.resolve(__dirname, '..');
  if (!fs.existsSync(path.join(root, 'server/dist/main.js'))) {
    process.stderr.write('server/dist is missing: run `npm run build` first (npm run bench does it)\n');
    process.exit(2);
  }
  const ctx = {
    root,
    env: process.env,
    seconds: num('BENCH_SECONDS', 5, 0.1),
    warmupSeconds: num('BENCH_WARMUP_SECONDS', 1, 0),
    concurrency: num('BENCH_CONCURRENCY', 32, 1),
    rounds: Math.round(num('BENCH_ROUNDS', 5, 1)),
    mysql: { available: false, target: mysqlTarget() },
    log: (line) => process.stderr.write(`${line}\n`),
  };

  const probe = await probeMysql(ctx.mysql.target);
  if (probe.ok) {
    Object.assign(ctx.mysql, { available: true, version: probe.version, durability: probe.durability });
  } else {
    const where = `${ctx.mysql.target.user}@${ctx.mysql.target.host}:${ctx.mysql.target.port}`;
    if (process.env.BENCH_REQUIRE_MYSQL === '1') {
      process.stderr.write(`BENCH_REQUIRE_MYSQL=1 but MySQL at ${where} is not reachable: ${probe.reason}\n`);
      process.exit(1);
    }
    ctx.mysql.reason = `not reachable at ${where} (${probe.reason})`;
    process.stderr.write(`\n*** NOTICE: MySQL ${ctx.mysql.reason}; MySQL rows are skipped. ***\n\n`);
  }

  const only = (process.env.BENCH_SUITES || '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const suiteDir = path.join(__dirname, 'suites');
  const files = fs
    .readdirSync(suiteDir)
    .filter((f) => f.endsWith('.js'))
    .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
    .sort();

  const report = {
    startedAt: new Date().toISOString(),
    machine: {
      node: process.version,
      platform: `${os.platform()} ${os.arch()}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
    },
    settings: {
      seconds: ctx.seconds,
      warmupSeconds: ctx.warmupSeconds,
      concurrency: ctx.concurrency,
      rounds: ctx.rounds,
    },
    mysql: {
      available: ctx.mysql.available,
      version: ctx.mysql.version,
      durability: ctx.mysql.durability,
      reason: ctx.mysql.reason,
    },
    suites: [],
  };
  let failed = false;
  for (const file of files) {
    const suite = require(path.join(suiteDir, file));
    const name = suite.name || path.basename(file, '.js');
    ctx.log(`== ${name}`);
    const started = Date.now();
    try {
      const tables = await suite.run(ctx);
      report.suites.push({ name, file, seconds: (Date.now() - started) / 1000, tables });
    } catch (error) {
      failed = true;
      ctx.log(`suite ${name} failed: ${error.stack || error}`);
      report.suites.push({ name, file, error: String(error.message || error) });
    }
  }

  for (const suite of report.suites) {
    if (suite.error) {
      process.stdout.write(`\n## ${suite.name}: FAILED — ${suite.error}\n`);
      continue;
    }
    for (const table of suite.tables) {
      process.stdout.write(`\n## ${table.title}\n\n${renderTable(table.columns, table.rows)}\n`);
      for (const note of table.notes ?? []) process.stdout.write(`  * ${note}\n`);
    }
  }

  const outDir = path.join(__dirname, 'results');
  fs.mkdirSync(outDir, { recursive: true });
  const json = {
    ...report,
    finishedAt: new Date().toISOString(),
    suites: report.suites.map((s) => ({
      ...s,
      tables: s.tables?.map((t) => ({ title: t.title, rows: t.rows, notes: t.notes ?? [] })),
    })),
  };
  fs.writeFileSync(path.join(outDir, 'latest.json'), `${JSON.stringify(json, null, 2)}\n`);
  process.stdout.write(`\nwrote ${path.relative(process.cwd(), path.join(outDir, 'latest.json'))}\n`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
