/**
 * The Loopgate n8n nodes inside real n8n runtimes, on both lines people run: n8n 1.123.x (Node 22)
 * and n8n 2.40.x (Node 24). Each line gets one Loopgate server process, one n8n instance with the
 * built package loaded through N8N_CUSTOM_EXTENSIONS, and a local receiver the workflows post to.
 * Build first (`npm run test:e2e` does): the server (server/dist) and the package (n8n-nodes/dist).
 *
 * LOOPGATE_N8N_LINES=1 (or 2) runs one line only.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabaseHandle } from '../../../server/src/test-support/databases.js';
import { type ReceivedRequest, type Receiver, startReceiver } from '../../../server/src/test-support/receiver.js';
import { runCli, type ServerProcess, startServerProcess } from '../../../server/src/test-support/server-process.js';
import { until as pollUntil } from '../../../server/src/test-support/until.js';
import {
  ensureRuntime,
  freePort,
  importAndActivateWorkflow,
  type N8nLine,
  n8nEnv,
  type RunningN8n,
  startN8n,
} from './n8n-runtime.js';
import {
  APPROVAL_NODE_ID,
  APPROVAL_PATH,
  approvalWorkflow,
  credentialsJson,
  docsExampleWorkflow,
  triggerWorkflow,
} from './workflows.js';

const PACKAGE_DIST = path.resolve(__dirname, '../../../n8n-nodes/dist');
const LINES: N8nLine[] = (process.env.LOOPGATE_N8N_LINES ?? '1,2')
  .split(',')
  .map((value) => Number(value.trim()))
  .filter((value): value is N8nLine => value === 1 || value === 2);

/**
 * Jest sets NODE_ENV=test, which makes n8n exit with code 1 and no output at start-up; n8n must run
 * as it would for a user.
 */
const N8N_ENV = { NODE_ENV: undefined, JEST_WORKER_ID: undefined };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** n8n executions take their time: up to 30 s by default, polling every 200 ms. */
const until = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000) =>
  pollUntil(what, probe, { timeoutMs, intervalMs: 200 });

interface Task {
  id: string;
  title: string;
  status: string;
  callbackUrl: string | null;
  source: string;
  externalRef: string | null;
  riskLevel: string | null;
  tags: string[];
  dueAt: string | null;
}

interface ResumedItem {
  decision: string;
  approved: boolean;
  payload: unknown;
  originalPayload: unknown;
  modified: boolean;
  reviewer: { type: string; id: string | null; name: string | null } | null;
  comment: string | null;
  taskId: string;
  resumedBy: string;
  decidedAt: string | null;
}

function importCredentials(line: N8nLine, userFolder: string, baseUrl: string, apiKey: string): void {
  const rt = ensureRuntime(line);
  const file = path.join(userFolder, 'credentials.json');
  // Plain `data` objects are encrypted with the instance's key by import:credentials itself.
  writeFileSync(file, JSON.stringify(credentialsJson(baseUrl, apiKey)));
  const res = spawnSync(rt.node, [rt.bin, 'import:credentials', `--input=${file}`], {
    env: n8nEnv(line, userFolder, N8N_ENV),
    encoding: 'utf8',
    timeout: 180_000,
  });
  rmSync(file, { force: true });
  if (res.status !== 0) throw new Error(`import:credentials failed:\n${res.stdout}${res.stderr}`);
}

for (const line of LINES) {
  describe(`n8n line ${line} (${line === 1 ? 'n8n 1.123.x on Node 22' : 'n8n 2.40.x on Node 24'})`, () => {
    let db: TestDatabaseHandle;
    let loopgateEnv: NodeJS.ProcessEnv;
    let loopgate: ServerProcess;
    let receiver: Receiver;
    let n8n: RunningN8n;
    let userFolder: string;
    let triggerWorkflowId: string;
    let n8nKey: string;
    let reviewerKey: string;
    let backstopTask: Task;
    let backstopStartedAt: number;

    const api = async (key: string, method: string, pathname: string, body?: unknown) => {
      const res = await fetch(`${loopgate.url}${pathname}`, {
        method,
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    };

    /** Starts the approval workflow and returns the task the Loopgate node created for it. */
    const requestApproval = async (
      title: string,
      payload: unknown,
      slaMinutes?: number,
      waitLimitMinutes?: number,
    ): Promise<Task> => {
      const res = await fetch(`${n8n.url}/webhook/${APPROVAL_PATH}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ title, payload, slaMinutes, waitLimitMinutes }),
      });
      expect(res.status).toBe(200);
      return until(`the task "${title}"`, async () => {
        const list = await api(n8nKey, 'GET', '/api/v1/tasks?limit=200');
        return (list.body.data as Task[]).find((task) => task.title === title);
      });
    };

    const decide = async (taskId: string, decision: Record<string, unknown>) => {
      const res = await api(reviewerKey, 'POST', `/api/v1/tasks/${taskId}/decision`, decision);
      expect(res.status).toBe(200);
    };

    const resultsFor = (taskId: string): { route: string; item: ResumedItem }[] =>
      receiver.requests
        .filter((req: ReceivedRequest) => req.path.startsWith('/result/'))
        .map((req) => ({ route: req.path.slice('/result/'.length), item: JSON.parse(req.body) as ResumedItem }))
        .filter((result) => result.item.taskId === taskId);

    const resultFor = (taskId: string, timeoutMs = 30_000) =>
      until(`the workflow's result for ${taskId}`, () => resultsFor(taskId)[0], timeoutMs);

    beforeAll(async () => {
      if (!existsSync(path.join(PACKAGE_DIST, 'nodes/Loopgate/Loopgate.node.js'))) {
        throw new Error('n8n-nodes/dist is missing: run `npm run test:e2e` (it builds the package)');
      }
      ensureRuntime(line);
      receiver = await startReceiver();
      db = await createTestDatabase('sqlite');
      const port = await freePort();
      loopgateEnv = {
        DATABASE_URL: db.url,
        DATA_DIR: db.dataDir,
        PORT: String(port),
        LOOPGATE_ADMIN_EMAIL: 'ops@example.com',
        LOOPGATE_ADMIN_PASSWORD: 'correct horse battery',
        // n8n runs on 127.0.0.1 next to the server: allow the loopback callback URLs.
        LOOPGATE_ALLOW_PRIVATE_CALLBACKS: 'true',
        LOOPGATE_SLA_SWEEP_SECONDS: '1',
        LOOPGATE_OUTBOX_POLL_MS: '200',
      };
      loopgate = await startServerProcess(loopgateEnv);
      const key = (role: string, name: string) => {
        const created = runCli(['api-key', 'create', '--role', role, '--name', name], loopgateEnv);
        if (created.status !== 0) throw new Error(`api-key create failed: ${created.stderr}`);
        return created.stdout.trim();
      };
      n8nKey = key('reviewer', 'n8n');
      reviewerKey = key('reviewer', 'reviewer');

      userFolder = mkdtempSync(path.join(tmpdir(), `loopgate-n8n${line}-`));
      importCredentials(line, userFolder, loopgate.url, n8nKey);
      importAndActivateWorkflow({ line, userFolder, env: N8N_ENV, workflowJson: approvalWorkflow(receiver.url) });
      triggerWorkflowId = importAndActivateWorkflow({
        line,
        userFolder,
        env: N8N_ENV,
        workflowJson: triggerWorkflow(receiver.url),
      }).id;
      importAndActivateWorkflow({
        line,
        userFolder,
        env: N8N_ENV,
        workflowJson: docsExampleWorkflow(readFileSync(path.resolve(__dirname, '../../../docs/n8n.md'), 'utf8')),
      });
      n8n = await startN8n({ line, userFolder, customExtensions: PACKAGE_DIST, env: N8N_ENV });
      // Started first because n8n's own wait limit is slow to fire (1.x checks waits once a minute);
      // checked by the last test. No SLA, so only the 1-minute wait limit can end this wait.
      backstopStartedAt = Date.now();
      backstopTask = await requestApproval(`backstop ${line}`, { orderId: 'A-8' }, undefined, 1);
    }, 600_000);

    afterAll(async () => {
      await n8n?.stop();
      await loopgate?.stop();
      await receiver?.close();
      await db?.drop();
      if (userFolder) rmSync(userFolder, { recursive: true, force: true });
    }, 60_000);

    test('1. approve: the workflow resumes with decision=approved and posts its result', async () => {
      const payload = { orderId: 'A-1', amount: 250 };
      const task = await requestApproval(`approve ${line}`, payload);
      expect(task).toMatchObject({ status: 'pending_review', source: 'n8n', riskLevel: 'high', tags: ['e2e', 'n8n'] });
      expect(task.externalRef).toMatch(/^n8n:[^:]+:\d+$/);
      // The signed resume URL of this execution's Loopgate node, on the host n8n was told it lives at.
      expect(task.callbackUrl).toMatch(
        new RegExp(`^${n8n.url}/webhook-waiting/\\d+/${APPROVAL_NODE_ID}\\?signature=[^&]+$`),
      );
      await decide(task.id, { action: 'approve', comment: 'looks fine' });
      const result = await resultFor(task.id);
      expect(result.route).toBe('approved');
      expect(result.item).toMatchObject({
        decision: 'approved',
        approved: true,
        payload,
        originalPayload: payload,
        modified: false,
        comment: 'looks fine',
        resumedBy: 'loopgate',
        reviewer: { type: 'api_key' },
      });
      expect(result.item.decidedAt).toEqual(expect.any(String));
      await sleep(500);
      expect(resultsFor(task.id)).toHaveLength(1);
    });

    test('2. approve with modifications: downstream nodes get the modified payload', async () => {
      const payload = { orderId: 'A-2', amount: 900 };
      const task = await requestApproval(`modify ${line}`, payload);
      await decide(task.id, { action: 'approve_with_modifications', modifiedPayload: { orderId: 'A-2', amount: 400 } });
      const result = await resultFor(task.id);
      expect(result.route).toBe('approved_with_modifications');
      expect(result.item).toMatchObject({
        decision: 'approved_with_modifications',
        approved: true,
        payload: { orderId: 'A-2', amount: 400 },
        originalPayload: payload,
        modified: true,
        diff: expect.stringContaining('-  "amount": 900\n+  "amount": 400\n'),
      });
    });

    test('3. reject: the rejected route runs', async () => {
      const task = await requestApproval(`reject ${line}`, { orderId: 'A-3' });
      await decide(task.id, { action: 'reject', comment: 'no' });
      const result = await resultFor(task.id);
      expect(result.route).toBe('rejected');
      expect(result.item).toMatchObject({ decision: 'rejected', approved: false, comment: 'no' });
    });

    test('7. a forged resume (bad or missing signature) does not resume the workflow', async () => {
      const task = await requestApproval(`forged ${line}`, { orderId: 'A-7' });
      const signed = new URL(task.callbackUrl as string);
      const signature = signed.searchParams.get('signature') as string;
      const forgedBody = JSON.stringify({
        type: 'task.decided',
        timestamp: new Date().toISOString(),
        data: { taskId: task.id, status: 'approved', originalPayload: { orderId: 'A-7' }, modifiedPayload: null },
      });
      const tampered = new URL(signed);
      tampered.searchParams.set('signature', `${signature.slice(0, -2)}${signature.endsWith('aa') ? 'bb' : 'aa'}`);
      const unsigned = new URL(signed);
      unsigned.search = '';
      for (const url of [tampered, unsigned]) {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: forgedBody,
        });
        expect(res.status).toBeGreaterThanOrEqual(400);
      }
      await sleep(1500);
      expect(resultsFor(task.id)).toEqual([]);
      // The real decision still resumes it, exactly once.
      await decide(task.id, { action: 'reject', comment: 'real one' });
      const result = await resultFor(task.id);
      expect(result).toMatchObject({ route: 'rejected', item: { decision: 'rejected', comment: 'real one' } });
      await sleep(500);
      expect(resultsFor(task.id)).toHaveLength(1);
    });

    test("9. a forged body on the signed resume URL: the workflow waits, then goes on only with Loopgate's decision", async () => {
      const payload = { orderId: 'A-9', amount: 100 };
      const task = await requestApproval(`forged body ${line}`, payload);
      // The attacker holds the resume URL itself (signed: n8n lets it through) and a reviewer key.
      const resumeUrl = task.callbackUrl as string;
      const forge = (data: Record<string, unknown>) =>
        fetch(resumeUrl, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({
            type: 'task.decided',
            timestamp: new Date().toISOString(),
            data: { taskId: task.id, status: 'approved', originalPayload: payload, modifiedPayload: null, ...data },
          }),
        });
      // Another task, really approved: its id must not resume this execution.
      const other = await api(reviewerKey, 'POST', '/api/v1/tasks', { title: `other ${line}`, payload: { x: 1 } });
      await decide(other.body.id as string, { action: 'approve' });
      // A task someone else created with this very resume URL as its callback: Loopgate itself POSTs its
      // (signed, real) approval here, and that must not resume this execution either.
      const planted = await api(reviewerKey, 'POST', '/api/v1/tasks', {
        title: `planted ${line}`,
        payload: { ...payload, amount: 100_000 },
        callbackUrl: resumeUrl,
      });
      expect(planted.status).toBe(201);
      await api(n8nKey, 'POST', `/api/v1/tasks/${planted.body.id}/decision`, { action: 'approve' });

      // Loopgate's own (refused) POST of the planted approval first: while it holds the execution's
      // one-resume lock a forged POST would get 409 for that reason instead of the one checked below.
      await until('Loopgate to try the planted callback', async () => {
        const deliveries = await api(reviewerKey, 'GET', `/api/v1/tasks/${planted.body.id}/deliveries`);
        const list = deliveries.body.data as { kind: string; attempts: number; lastStatusCode: number | null }[];
        return list.find((d) => d.kind === 'callback' && d.attempts > 0);
      }).then((delivery) => expect(delivery.lastStatusCode).toBe(409));
      const approvedOpen = await forge({});
      expect(approvedOpen.status).toBe(200);
      expect(await approvedOpen.json()).toMatchObject({ resumed: false });
      const modifiedOpen = await forge({
        status: 'approved_with_modifications',
        modifiedPayload: { ...payload, amount: 1 },
        diff: 'forged',
      });
      expect(modifiedOpen.status).toBe(200);
      expect((await forge({ taskId: other.body.id })).status).toBe(409);
      expect((await forge({ taskId: planted.body.id })).status).toBe(409);
      await sleep(1500);
      for (const id of [task.id, other.body.id as string, planted.body.id as string]) {
        expect(resultsFor(id)).toEqual([]);
      }

      // Rejected for real; a forged approval racing Loopgate's callback still ends in the rejection.
      await decide(task.id, { action: 'reject', comment: 'real no' });
      const racing = await forge({ status: 'approved', modifiedPayload: { ...payload, amount: 1 } });
      expect([200, 409]).toContain(racing.status);
      const result = await resultFor(task.id);
      expect(result).toMatchObject({
        route: 'rejected',
        item: { decision: 'rejected', approved: false, payload, modified: false, comment: 'real no' },
      });
      await sleep(1000);
      expect(resultsFor(task.id)).toHaveLength(1);
      expect(resultsFor(planted.body.id as string)).toEqual([]);
    });

    test('4. the SLA expires: the workflow resumes with decision=expired', async () => {
      const task = await requestApproval(`expire ${line}`, { orderId: 'A-4' }, 0.05); // 3 s SLA
      expect(task.dueAt).toEqual(expect.any(String));
      const result = await resultFor(task.id, 60_000);
      expect(result.route).toBe('expired');
      expect(result.item).toMatchObject({ decision: 'expired', approved: false, resumedBy: 'loopgate' });
    });

    test('6. Loopgate restarted while the workflow waits: the decision still resumes it', async () => {
      const task = await requestApproval(`restart ${line}`, { orderId: 'A-6' });
      await loopgate.stop();
      loopgate = await startServerProcess(loopgateEnv);
      await decide(task.id, { action: 'approve' });
      const result = await resultFor(task.id);
      expect(result).toMatchObject({ route: 'approved', item: { decision: 'approved' } });
    });

    test('5. the trigger fires on decisions, refuses unsigned deliveries, and unsubscribes on deactivation', async () => {
      const subs = await api(n8nKey, 'GET', '/api/v1/webhooks');
      const ours = (subs.body.data as { id: string; url: string; events: string[]; status: string }[]).filter((sub) =>
        sub.url.startsWith(n8n.url),
      );
      expect(ours).toHaveLength(1);
      expect(ours[0]).toMatchObject({ events: ['task.decided'], status: 'active' });

      // The decisions above were delivered to the trigger too, signed with the subscription's secret.
      const approved = (await api(n8nKey, 'GET', '/api/v1/tasks?limit=200')).body.data as Task[];
      const decidedTask = approved.find((task) => task.title === `approve ${line}`) as Task;
      const fired = await until('the trigger workflow to run', () =>
        receiver.requests
          .filter((req) => req.path === '/trigger')
          .map((req) => JSON.parse(req.body) as Record<string, unknown>)
          .find((item) => item.taskId === decidedTask.id),
      );
      expect(fired).toMatchObject({ event: 'task.decided', decision: 'approved', taskId: decidedTask.id });

      const forged = await fetch(ours[0]!.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'webhook-id': 'msg_forged',
          'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
          'webhook-signature': 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
        },
        body: JSON.stringify({ type: 'task.decided', data: { taskId: 'tsk_forged', status: 'approved' } }),
      });
      expect(forged.status).toBe(401);
      await sleep(1000);
      // (Real deliveries of earlier decisions may still arrive meanwhile: look for the forged one.)
      expect(receiver.requests.filter((req) => req.path === '/trigger' && req.body.includes('tsk_forged'))).toEqual([]);

      // Deactivate through n8n's own REST API, as the editor does: the node unsubscribes.
      const browserId = 'loopgate-e2e';
      const setup = await fetch(`${n8n.url}/rest/owner/setup`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'browser-id': browserId },
        body: JSON.stringify({
          email: 'owner@example.com',
          firstName: 'E2e',
          lastName: 'Owner',
          password: 'Passw0rd!e2e',
        }),
      });
      expect(setup.status).toBe(200);
      const cookie = (setup.headers.get('set-cookie') ?? '').split(';')[0] as string;
      const deactivated = await fetch(`${n8n.url}/rest/workflows/${triggerWorkflowId}/deactivate`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'browser-id': browserId, cookie },
        body: '{}',
      });
      expect(deactivated.status).toBe(200);
      await until('the subscription to be deleted', async () => {
        const after = await api(n8nKey, 'GET', '/api/v1/webhooks');
        const left = (after.body.data as { url: string }[]).filter((sub) => sub.url.startsWith(n8n.url));
        return left.length === 0 ? true : undefined;
      });
    });

    test("docs/n8n.md's example workflow imports, asks for approval and resumes on the decision", async () => {
      const res = await fetch(`${n8n.url}/webhook/refund-approval`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ orderId: `D-${line}`, amount: 250 }),
      });
      expect(res.status).toBe(200);
      const task = await until('the example workflow to create its task', async () => {
        const list = await api(n8nKey, 'GET', '/api/v1/tasks?limit=200');
        return (list.body.data as (Task & { payload: unknown })[]).find(
          (t) => t.title === `Refund D-${line} for $250?`,
        );
      });
      expect(task).toMatchObject({ status: 'pending_review', payload: { orderId: `D-${line}`, amount: 250 } });
      expect(task.tags).toEqual(['refund']);
      expect(task.callbackUrl).toContain('/webhook-waiting/');
      await decide(task.id, { action: 'approve' });
      // n8n accepted the callback (the execution resumed): Loopgate recorded it as delivered.
      await until('the callback to be delivered', async () => {
        const deliveries = await api(n8nKey, 'GET', `/api/v1/tasks/${task.id}/deliveries`);
        const list = deliveries.body.data as { kind: string; status: string; lastStatusCode: number | null }[];
        return list.some((d) => d.kind === 'callback' && d.status === 'delivered' && d.lastStatusCode === 200)
          ? true
          : undefined;
      });
    });

    test("8. n8n's wait limit (backstop) ends the wait marked expired by the wait limit, never approved", async () => {
      const result = await resultFor(backstopTask.id, 170_000);
      expect(Date.now() - backstopStartedAt).toBeGreaterThanOrEqual(60_000);
      expect(result.route).toBe('expired');
      expect(result.item).toMatchObject({ decision: 'expired', approved: false, resumedBy: 'wait_limit' });
      // Loopgate was not asked: the task is still open there.
      const task = await api(n8nKey, 'GET', `/api/v1/tasks/${backstopTask.id}`);
      expect(task.body.status).toBe('pending_review');
    }, 180_000);
  });
}
