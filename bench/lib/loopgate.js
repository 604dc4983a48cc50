// The Loopgate server under test, started the way a user would: the CLI makes an API key, then
// `node server/dist/main.js` runs with an environment the bench controls.
const http = require('node:http');
const path = require('node:path');
const { runCommand, startServer } = require('./proc');

/**
 * process.env without anything that could redirect a server under test (its database, data dir,
 * port, log level, Redis, mail, the baseline's own settings), then `extra` on top.
 */
function cleanEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(LOOPGATE_|BASELINE_|DATABASE_URL$|DATA_DIR$|PORT$|HOST$|LOG_LEVEL$|REDIS_URL$|SMTP_URL$)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/** An admin API key made with the loopgate CLI against the database `env` names. */
async function createAdminKey(ctx, env) {
  const cli = await runCommand(
    process.execPath,
    [path.join(ctx.root, 'server/bin/loopgate.js'), 'api-key', 'create', '--role', 'admin', '--name', 'bench'],
    { env, cwd: ctx.root },
  );
  const key = cli.stdout.trim();
  if (cli.code !== 0 || !key) throw new Error(`loopgate api-key create failed (exit ${cli.code}): ${cli.stderr}`);
  return key;
}

/** The compiled server on `env.PORT`, resolved once /healthz answers. */
function startLoopgateServer(ctx, { name, env }) {
  return startServer({
    name,
    cmd: process.execPath,
    args: [path.join(ctx.root, 'server/dist/main.js')],
    env,
    cwd: ctx.root,
    healthUrl: `http://127.0.0.1:${env.PORT}/healthz`,
  });
}

/** One HTTP request with an optional JSON body; resolves { status, body } with the body as text. */
function sendJson(method, url, { headers = {}, body, agent } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method, agent, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

module.exports = { cleanEnv, createAdminKey, startLoopgateServer, sendJson };
