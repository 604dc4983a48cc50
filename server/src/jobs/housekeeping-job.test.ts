import pino from 'pino';
import { upsertUser } from '../domain/admin/users.js';
import { createWorkspace } from '../domain/admin/workspaces.js';
import { OPERATOR, recordAudit } from '../domain/audit/record-audit.js';
import { verifyAuditLog } from '../domain/audit/verify-audit-log.js';
import type { HousekeepingDeps } from '../domain/housekeeping/housekeeping.js';
import { hashToken } from '../domain/kernel/secrets.js';
import type { Store } from '../domain/store.js';
import { countingTransactions } from '../test-support/counting-store.js';
import { DATABASES, openTestStore } from '../test-support/databases.js';
import { deliveryRecord } from '../test-support/delivery-records.js';
import { startHousekeeping } from './housekeeping-job.js';

const DAY = 24 * 60 * 60 * 1000;
const NOW = Date.UTC(2026, 0, 31, 12);

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const database of DATABASES) {
  describe(`${database}: housekeeping job`, () => {
    let store: Store;
    let close: () => Promise<void>;

    beforeAll(async () => {
      ({ store, close } = await openTestStore(database));
    });
    afterAll(async () => close());

    test('prunes right after start, logs what it removed, and waits out the interval before the next run', async () => {
      const { userId, workspace } = await upsertUser(
        { store, clock: () => NOW - 40 * DAY },
        { email: 'job@example.com', password: 'correct horse battery', role: 'reviewer' },
      );
      await store.transaction(async (tx) => {
        await tx.sessions.insert({
          idHash: hashToken('job-expired'),
          userId,
          workspaceId: workspace.id,
          csrfToken: 'x',
          createdAt: NOW - 8 * DAY,
          expiresAt: NOW - DAY,
        });
        await tx.deliveries.insert(deliveryRecord(workspace.id, 'msg_job_old', NOW - 40 * DAY));
      });
      const counted = countingTransactions(store);
      const counting: HousekeepingDeps = { store: counted.store };
      const { logger, lines } = capturingLogger();

      const job = startHousekeeping(
        { ...counting, clock: () => NOW },
        { intervalMinutes: 10, deliveryRetentionMs: 30 * DAY, logger },
      );
      try {
        await waitFor(() => lines.some((line) => line.msg === 'housekeeping pruned rows'));
        expect(lines.find((line) => line.msg === 'housekeeping pruned rows')).toMatchObject({
          sessions: 1,
          deliveries: 1,
        });
        expect(await store.read.deliveries.findForWorker('msg_job_old')).toBeNull();
        expect(await store.read.sessions.findLive(hashToken('job-expired'), 0)).toBeNull();
        const afterFirstRun = counted.count();
        // The cron ticks every second; with a 10-minute interval none of the next ticks runs again.
        await sleep(2_500);
        expect(counted.count()).toBe(afterFirstRun);
      } finally {
        await job.stop();
      }
    });

    test('with an audit retention, the job prunes old audit entries behind a checkpoint; the log still verifies', async () => {
      const workspace = await createWorkspace({ store, clock: () => NOW }, 'job-audit');
      for (const age of [400, 200, 1]) {
        await store.transaction((tx) =>
          recordAudit(tx, {
            workspaceId: workspace.id,
            at: NOW - age * DAY,
            actor: OPERATOR,
            action: 'board.configured',
            target: { type: 'board', id: workspace.id },
            data: { age },
            requestId: null,
          }),
        );
      }
      const { logger, lines } = capturingLogger();
      const job = startHousekeeping(
        { store, clock: () => NOW, audit: { store, retentionMs: 183 * DAY } },
        { intervalMinutes: 10, deliveryRetentionMs: 30 * DAY, logger },
      );
      try {
        await waitFor(() => lines.some((line) => line.msg === 'housekeeping pruned rows'));
        expect(lines.find((line) => line.msg === 'housekeeping pruned rows')).toMatchObject({
          auditEntries: 2,
          auditCheckpoints: 1,
        });
        const left = await store.read.audit.list(workspace.id, 0, 10);
        expect(left.map((e) => [e.seq, e.action])).toEqual([
          [3, 'board.configured'],
          [4, 'audit.pruned'],
        ]);
        expect(await verifyAuditLog({ store }, workspace.id)).toMatchObject({ ok: true, firstSeq: 3 });
      } finally {
        await job.stop();
      }
    });
  });
}

describe('housekeeping job: failures and stopping', () => {
  test('a failed run is logged, not thrown', async () => {
    const { logger, lines } = capturingLogger();
    const failing: HousekeepingDeps = {
      store: { transaction: () => Promise.reject(new Error('database went away')) },
    };

    const job = startHousekeeping(
      { ...failing, clock: () => NOW },
      { intervalMinutes: 1, deliveryRetentionMs: 30 * DAY, logger },
    );
    try {
      await waitFor(() => lines.some((line) => line.msg === 'housekeeping failed'));
      const logged = lines.find((line) => line.msg === 'housekeeping failed') as { err?: { message?: string } };
      expect(logged.err?.message).toBe('database went away');
    } finally {
      await job.stop();
    }
  });

  test('stop() waits for the run in progress, which ends after its current batch', async () => {
    const { logger } = capturingLogger();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let calls = 0;
    let batchFinished = false;
    const slow: HousekeepingDeps = {
      store: {
        transaction: async <T>() => {
          calls++;
          await gate;
          batchFinished = true;
          // A full batch: without the stop, the run would go on to another one.
          return 1000 as T;
        },
      },
    };
    const job = startHousekeeping(
      { ...slow, clock: () => NOW },
      { intervalMinutes: 1, deliveryRetentionMs: 30 * DAY, logger },
    );
    await waitFor(() => calls > 0);

    let stopped = false;
    const stopping = job.stop().then(() => {
      stopped = true;
    });
    await sleep(300);
    expect(stopped).toBe(false);
    release();
    await stopping;

    expect(batchFinished).toBe(true);
    expect(calls).toBe(1);
  });
});
