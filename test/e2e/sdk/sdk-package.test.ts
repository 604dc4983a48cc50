import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually, type RealServer, startRealServer } from '../../../sdk/src/test-support/real-server.js';

const ROOT = path.resolve(__dirname, '../../..');

/**
 * `npm pack` of @loopgate/sdk (and the @loopgate/shared it depends on) installed into an empty project,
 * and its example run from there — CommonJS `require` and ESM `import` both — against a real server.
 * What a user installs is what is tested, not the workspace's source.
 */
describe('@loopgate/sdk as an npm package', () => {
  let server: RealServer;
  let project: string;

  beforeAll(async () => {
    project = mkdtempSync(path.join(tmpdir(), 'loopgate-sdk-user-'));
    for (const workspace of ['shared', 'sdk']) {
      execFileSync('npm', ['pack', '--silent', '-w', workspace, '--pack-destination', project], {
        cwd: ROOT,
        stdio: 'pipe',
      });
    }
    const tarballs = readdirSync(project).filter((name) => name.endsWith('.tgz'));
    expect(tarballs.sort()).toEqual(['loopgate-sdk-0.1.0.tgz', 'loopgate-shared-0.1.0.tgz']);
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'agent-project', private: true }));
    // Both tarballs in one install, so the SDK's @loopgate/shared is the packed one, not the registry's.
    // The adapter examples' frameworks at the versions the workspace tests with (the adapters' optional peers).
    const frameworks = ['langchain', '@langchain/core', '@langchain/langgraph', 'zod', '@openai/agents', 'ai'].map(
      (name) => `${name}@${workspaceVersion(name)}`,
    );
    execFileSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs.map((t) => `./${t}`), ...frameworks],
      { cwd: project, stdio: 'pipe' },
    );
    server = await startRealServer();
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  test('the installed package loads as CommonJS and as ESM with the same API', () => {
    const names = (code: string, type: 'commonjs' | 'module') =>
      execFileSync(process.execPath, ['--input-type', type, '-e', code], { cwd: project, encoding: 'utf8' }).trim();
    const cjs = names("console.log(Object.keys(require('@loopgate/sdk')).sort().join(','))", 'commonjs');
    const esm = names("import * as sdk from '@loopgate/sdk'; console.log(Object.keys(sdk).sort().join(','))", 'module');
    expect(cjs).toBe(esm);
    expect(cjs.split(',')).toEqual(
      expect.arrayContaining(['Loopgate', 'LoopgateError', 'payloadDigest', 'verifyWebhook']),
    );
  });

  test.each([
    ['approve', { action: 'approve' }, { refunded: { orderId: 1042, amount: 480, currency: 'EUR' } }],
    [
      'modify',
      { action: 'approve_with_modifications', modifiedPayload: { orderId: 1043, amount: 300, currency: 'EUR' } },
      { refunded: { orderId: 1043, amount: 300, currency: 'EUR' } },
    ],
    ['reject', { action: 'reject', comment: 'no receipt' }, { notRefunded: 'rejected', reason: 'no receipt' }],
  ] as const)('examples/refund-agent.mjs from the tarball: a person decides "%s"', async (_name, decision, printed) => {
    const orderId = { approve: '1042', modify: '1043', reject: '1044' }[_name];
    const example = path.join(project, 'node_modules/@loopgate/sdk/examples/refund-agent.mjs');
    const run = runExample(example, [orderId, '480'], server, project);
    const task = await eventually(async () => {
      const page = await server.person.listTasks({ agent: 'refund-example', status: 'pending_review' });
      return page.data.find((t) => (t.payload as { orderId: number }).orderId === Number(orderId));
    });
    await server.person.decide(task.id, decision as never);
    const { code, stdout } = await run.done;
    expect(code).toBe(0);
    const line = JSON.parse(stdout.trim());
    expect(line).toMatchObject(printed);
    if (_name !== 'reject') expect(line.payloadDigest).toMatch(/^[0-9a-f]{64}$/);
  });

  test.each([
    ['langgraph-refund.mjs', 'answer'],
    ['openai-agents-refund.mjs', 'finalOutput'],
    ['ai-sdk-refund.mjs', 'text'],
  ])(
    'examples/%s from the tarball: the adapter subpath loads, and an edit runs with the reviewer’s amount',
    async (file, answer) => {
      const example = path.join(project, 'node_modules/@loopgate/sdk/examples', file);
      const orderId = `T-${file.split('-')[0]}`;
      const run = runExample(example, [orderId, '90'], server, project);
      const task = await eventually(async () => {
        const page = await server.person.listTasks({ status: 'pending_review' });
        return page.data.find((t) => (t.payload as { orderId: unknown }).orderId === orderId);
      });
      await server.person.decide(task.id, {
        action: 'approve_with_modifications',
        modifiedPayload: { orderId, amount: 60 },
      });
      const { code, stdout } = await run.done;
      expect(code).toBe(0);
      expect(JSON.parse(stdout.trim())).toEqual({ refunded: [{ orderId, amount: 60 }], [answer]: 'Done.' });
    },
  );

  test('the example says so when nobody decides in time, and exits 2', async () => {
    const example = path.join(project, 'node_modules/@loopgate/sdk/examples/refund-agent.mjs');
    const { code, stdout } = await runExample(example, ['1045', '10'], server, project, { APPROVAL_TIMEOUT_MS: '500' })
      .done;
    expect(code).toBe(2);
    expect(JSON.parse(stdout.trim())).toEqual({ stillWaiting: expect.stringMatching(/^tsk_/) });
  });

  test.each([
    ['approve', { action: 'approve' }, { refunded: { orderId: '2042', amount: 120 } }],
    [
      'modify',
      { action: 'approve_with_modifications', modifiedPayload: { orderId: '2043', amount: 80 } },
      { refunded: { orderId: '2043', amount: 80 } },
    ],
    ['reject', { action: 'reject', comment: 'already refunded' }, { notRefunded: true, reason: 'already refunded' }],
  ] as const)(
    'examples/langchain-refund-agent.mjs from the tarball: a person decides "%s"',
    async (name, decision, printed) => {
      const orderId = { approve: '2042', modify: '2043', reject: '2044' }[name];
      const example = path.join(project, 'node_modules/@loopgate/sdk/examples/langchain-refund-agent.mjs');
      const run = runExample(example, [orderId, '120'], server, project);
      const task = await eventually(async () => {
        const page = await server.person.listTasks({ agent: 'langchain-refund-example', status: 'pending_review' });
        return page.data.find((t) => (t.payload as { orderId: string }).orderId === orderId);
      });
      expect(task.form?.properties).toMatchObject({ orderId: { type: 'string' }, amount: { type: 'number' } });
      await server.person.decide(task.id, decision as never);
      const { code, stdout, stderr } = await run.done;
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(stdout.trim())).toEqual(printed);
    },
  );
});

function workspaceVersion(name: string): string {
  // Read from the package's folder: not every package exports its package.json (@openai/agents does not).
  const entry = require.resolve(name, { paths: [path.join(ROOT, 'sdk')] });
  let dir = path.dirname(entry);
  while (!existsSync(path.join(dir, 'package.json')) || readJson(path.join(dir, 'package.json')).name !== name) {
    dir = path.dirname(dir);
  }
  return readJson(path.join(dir, 'package.json')).version as string;
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8'));
}

function runExample(file: string, args: string[], server: RealServer, cwd: string, extra: Record<string, string> = {}) {
  const child: ChildProcess = spawn(process.execPath, [file, ...args], {
    cwd,
    env: { PATH: process.env.PATH, LOOPGATE_URL: server.url, LOOPGATE_API_KEY: server.agentKey, ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, stdout, stderr })),
  );
  return { done };
}
