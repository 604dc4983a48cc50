/**
 * Real n8n runtimes for Loopgate's n8n end-to-end tests (node built-ins only).
 *
 *   const rt = ensureRuntime(1);                       // installs/caches via setup.sh
 *   const { id } = importAndActivateWorkflow({ line: 1, userFolder, workflowJson });
 *   const n8n = await startN8n({ line: 1, userFolder, port, customExtensions });
 *   await fetch(`${n8n.url}/webhook/my-path`, { method: 'POST', ... });
 *   await n8n.stop();
 *
 * Line 1 = n8n 1.123.x on Node 22, line 2 = n8n 2.40.x on Node 24 (see setup.sh).
 * Activation is read when n8n starts, so import and activate before startN8n().
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export type N8nLine = 1 | 2;

export interface N8nRuntime {
  /** Absolute path of the Node binary this n8n line runs on. */
  node: string;
  /** Absolute path of n8n's bin script; run it as `<node> <bin> <command>`. */
  bin: string;
}

export interface StartN8nOptions {
  line: N8nLine;
  /** N8N_USER_FOLDER: n8n keeps its SQLite database and settings in `<userFolder>/.n8n`. */
  userFolder: string;
  /** Port on 127.0.0.1; a free one is picked when omitted. */
  port?: number;
  /** Directory (or directories) of built community-node packages (N8N_CUSTOM_EXTENSIONS). */
  customExtensions?: string | string[];
  /** Extra environment, applied last (overrides the defaults). */
  env?: Record<string, string | undefined>;
  /** How long to wait for /healthz and for n8n's "ready" log line (default 90 s). */
  timeoutMs?: number;
}

export interface RunningN8n {
  /** e.g. http://127.0.0.1:5678 (no trailing slash) */
  url: string;
  port: number;
  pid: number;
  /** Kills the whole process group (n8n and its task runners) and waits for the exit. */
  stop(): Promise<void>;
  /** Everything n8n wrote to stdout and stderr so far. */
  logs(): string;
}

export interface ImportWorkflowOptions {
  line: N8nLine;
  /** Must be the same folder that is later passed to startN8n(). */
  userFolder: string;
  /** A workflow object (or its JSON text). An `id` is added when it has none. */
  workflowJson: string | Record<string, unknown>;
  env?: Record<string, string | undefined>;
  /** Activate (1.x) / publish (2.x) after import; default true. */
  activate?: boolean;
}

export interface ImportedWorkflow {
  id: string;
  /** Combined output of the CLI commands, for debugging. */
  output: string;
}

/** setup.sh next to this file; when loaded as ESM (no __dirname), searched from the cwd up. */
function findSetupScript(): string {
  if (process.env.LOOPGATE_N8N_SETUP_SCRIPT) return process.env.LOOPGATE_N8N_SETUP_SCRIPT;
  if (typeof __dirname === 'string') return path.join(__dirname, 'setup.sh');
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'test', 'e2e', 'n8n', 'setup.sh');
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new Error('test/e2e/n8n/setup.sh not found; set LOOPGATE_N8N_SETUP_SCRIPT');
}

const runtimes = new Map<N8nLine, N8nRuntime>();

/**
 * Installs (first time only, several minutes) and returns the runtime of one n8n line.
 * Runs setup.sh synchronously; its progress goes to this process's stderr.
 */
export function ensureRuntime(line: N8nLine): N8nRuntime {
  const cached = runtimes.get(line);
  if (cached) return cached;
  const script = findSetupScript();
  const res = spawnSync('bash', [script, String(line)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1024 * 1024,
  });
  if (res.error) throw res.error;
  if (res.status !== 0) {
    throw new Error(`${script} ${line} failed (exit ${res.status ?? res.signal})`);
  }
  const vars = new Map<string, string>();
  for (const raw of res.stdout.split('\n')) {
    const text = raw.trim();
    const eq = text.indexOf('=');
    if (eq > 0) vars.set(text.slice(0, eq), text.slice(eq + 1));
  }
  const node = vars.get(`N8N${line}_NODE`);
  const bin = vars.get(`N8N${line}_BIN`);
  if (!node || !bin || !fs.existsSync(node) || !fs.existsSync(bin)) {
    throw new Error(`${script} ${line} printed no usable paths:\n${res.stdout}`);
  }
  const rt = { node, bin };
  runtimes.set(line, rt);
  return rt;
}

/** A free TCP port on 127.0.0.1 (racy by nature, but good enough for tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => {
        if (addr && typeof addr === 'object') resolve(addr.port);
        else reject(new Error('could not get a free port'));
      });
    });
  });
}

/**
 * The environment n8n runs with: the parent's environment minus inherited N8N_* and DB_*
 * settings, the runtime's Node first on PATH, headless defaults, then `extra`.
 */
export function n8nEnv(
  line: N8nLine,
  userFolder: string,
  extra: Record<string, string | undefined> = {},
): NodeJS.ProcessEnv {
  const rt = ensureRuntime(line);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('N8N_') || k.startsWith('DB_') || k === 'WEBHOOK_URL') continue;
    env[k] = v;
  }
  Object.assign(env, {
    PATH: `${path.dirname(rt.node)}${path.delimiter}${process.env.PATH ?? ''}`,
    N8N_USER_FOLDER: userFolder,
    N8N_LISTEN_ADDRESS: '127.0.0.1',
    N8N_DIAGNOSTICS_ENABLED: 'false',
    N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
    N8N_TEMPLATES_ENABLED: 'false',
    N8N_PERSONALIZATION_ENABLED: 'false',
    N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'true',
    // Task runners (only used by the Code node): off on 1.x, where they are optional and
    // cost ~5 s of startup and a second process; 2.x always runs them.
    ...(line === 1 ? { N8N_RUNNERS_ENABLED: 'false' } : {}),
    // 2.x activates published workflows asynchronously after startup by default (its
    // "publication service"; the webhook answers 404 for a moment after the editor line).
    // The classic path activates them before n8n logs "Editor is now accessible".
    ...(line === 2 ? { N8N_USE_WORKFLOW_PUBLICATION_SERVICE: 'false' } : {}),
  });
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

function runCli(rt: N8nRuntime, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 180_000): string {
  const res = spawnSync(rt.node, [rt.bin, ...args], {
    env,
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 16 * 1024 * 1024,
  });
  const output = `${res.stdout ?? ''}${res.stderr ?? ''}`;
  if (res.error || res.status !== 0) {
    const why = res.error ? res.error.message : `exit ${res.status ?? res.signal}`;
    throw new Error(`n8n ${args.join(' ')} failed (${why}):\n${output}`);
  }
  return output;
}

function randomId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(16), (b) => alphabet[b % alphabet.length]).join('');
}

/**
 * Imports one workflow into the n8n database under `userFolder` and activates it
 * (1.x: `update:workflow --active=true`, 2.x: `publish:workflow`). n8n must not be
 * running on that folder; start it afterwards.
 */
export function importAndActivateWorkflow(opts: ImportWorkflowOptions): ImportedWorkflow {
  const rt = ensureRuntime(opts.line);
  const wf: Record<string, unknown> =
    typeof opts.workflowJson === 'string' ? JSON.parse(opts.workflowJson) : { ...opts.workflowJson };
  if (typeof wf.id !== 'string' || wf.id === '') wf.id = randomId();
  const id = wf.id as string;
  fs.mkdirSync(opts.userFolder, { recursive: true });
  const env = n8nEnv(opts.line, opts.userFolder, opts.env);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-n8n-wf-'));
  const file = path.join(tmp, 'workflow.json');
  try {
    fs.writeFileSync(file, JSON.stringify(wf));
    let output = runCli(rt, ['import:workflow', `--input=${file}`], env);
    if (opts.activate !== false) {
      output +=
        opts.line === 1
          ? runCli(rt, ['update:workflow', `--id=${id}`, '--active=true'], env)
          : runCli(rt, ['publish:workflow', `--id=${id}`], env);
    }
    return { id, output };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // group already gone
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort if a test forgets stop(): never leave n8n processes behind.
  process.on('exit', () => {
    for (const child of live) killGroup(child, 'SIGKILL');
  });
}

function getStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `n8n start` in its own process group and resolves once /healthz answers 200
 * and n8n has logged that the editor is accessible (printed after the active
 * workflows are registered). Rejects with the captured logs on timeout or early exit.
 */
export async function startN8n(opts: StartN8nOptions): Promise<RunningN8n> {
  const rt = ensureRuntime(opts.line);
  const port = opts.port ?? (await freePort());
  let brokerPort = await freePort();
  while (brokerPort === port) brokerPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const timeoutMs = opts.timeoutMs ?? 90_000;
  fs.mkdirSync(opts.userFolder, { recursive: true });
  const ext = Array.isArray(opts.customExtensions) ? opts.customExtensions.join(';') : opts.customExtensions;
  const env = n8nEnv(opts.line, opts.userFolder, {
    N8N_PORT: String(port),
    // The task broker listens on 5679 by default: give each instance its own port so
    // several n8n (e.g. 1.x and 2.x) can run side by side.
    N8N_RUNNERS_BROKER_PORT: String(brokerPort),
    WEBHOOK_URL: `${url}/`,
    ...(ext ? { N8N_CUSTOM_EXTENSIONS: ext } : {}),
    ...opts.env,
  });

  const child = spawn(rt.node, [rt.bin, 'start'], {
    env,
    cwd: opts.userFolder,
    detached: true, // own process group, so stop() reaches the task runners too
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  installExitHook();
  live.add(child);

  const MAX_LOG = 4 * 1024 * 1024;
  let log = '';
  const append = (chunk: Buffer) => {
    log += chunk.toString('utf8');
    if (log.length > MAX_LOG) log = log.slice(-MAX_LOG);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      live.delete(child);
      resolve();
    });
  });
  const spawnError = new Promise<Error>((resolve) => child.on('error', resolve));
  let spawnFailed: Error | undefined;
  void spawnError.then((e) => {
    spawnFailed = e;
  });

  const stop = async (): Promise<void> => {
    if (exited) {
      killGroup(child, 'SIGKILL'); // stray runners, if any
      return;
    }
    killGroup(child, 'SIGTERM');
    const timer = sleep(15_000).then(() => 'timeout' as const);
    if ((await Promise.race([exitPromise.then(() => 'exited' as const), timer])) === 'timeout') {
      killGroup(child, 'SIGKILL');
      await exitPromise;
    }
    killGroup(child, 'SIGKILL');
  };

  const deadline = Date.now() + timeoutMs;
  let healthy = false;
  while (true) {
    if (spawnFailed) throw spawnFailed;
    if (exited) {
      throw new Error(`n8n exited during startup (code ${exited.code}, signal ${exited.signal}):\n${log}`);
    }
    if (!healthy) healthy = (await getStatus(`${url}/healthz`)) === 200;
    if (healthy && /Editor is now accessible via/.test(log)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`n8n did not become ready on ${url} within ${timeoutMs} ms:\n${log}`);
    }
    await sleep(250);
  }

  return { url, port, pid: child.pid as number, stop, logs: () => log };
}
