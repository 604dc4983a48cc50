import type { DeliveryStatus } from '@loopgate/shared';
import { countingTransactions } from '../../test-support/counting-store.js';
import { DATABASES, openTestStore } from '../../test-support/databases.js';
import { deliveryRecord } from '../../test-support/delivery-records.js';
import { FakeAttemptLimiter } from '../../test-support/fake-attempt-limiter.js';
import { taskRecord } from '../../test-support/task-records.js';
import { upsertUser } from '../admin/users.js';
import type { DeliveryRecord } from '../delivery/delivery-ports.js';
import { hashToken } from '../kernel/secrets.js';
import type { ReviewLinkAction } from '../reviewers/reviewer-ports.js';
import { authenticateSession, logIn } from '../reviewers/sessions.js';
import type { Store } from '../store.js';
import type { TaskRecord } from '../tasks/task-record.js';
import { type HousekeepingDeps, NOTHING_PRUNED, pruneOnce } from './housekeeping.js';

const DAY = 24 * 60 * 60 * 1000;
const NOW = Date.UTC(2026, 0, 31, 12);
const RETENTION = 30 * DAY;
const OLD = NOW - RETENTION - DAY;
const RECENT = NOW - DAY;

function delivery(workspaceId: string, id: string, status: DeliveryStatus, updatedAt: number): DeliveryRecord {
  return deliveryRecord(workspaceId, id, updatedAt - DAY, {
    status,
    attempts: 2,
    nextAttemptAt: status === 'pending' ? NOW + DAY : null,
    lastStatusCode: status === 'delivered' ? 200 : 500,
    updatedAt,
    deliveredAt: status === 'delivered' ? updatedAt : null,
  });
}

function task(workspaceId: string, id: string, closedAt: number | null): TaskRecord {
  return taskRecord(workspaceId, id, OLD - 20 * DAY, {
    payload: {},
    status: closedAt === null ? 'pending_review' : 'approved',
    updatedAt: closedAt ?? OLD - 20 * DAY,
    closedAt,
  });
}

for (const database of DATABASES) {
  describe(`${database}: housekeeping pruneOnce`, () => {
    let store: Store;
    let close: () => Promise<void>;
    let workspaceId: string;
    let userId: string;
    const deps = (): HousekeepingDeps => ({ store });

    beforeEach(async () => {
      ({ store, close } = await openTestStore(database));
      const user = await upsertUser(
        { store, clock: () => NOW - 40 * DAY },
        { email: 'rita@example.com', password: 'correct horse battery', role: 'reviewer' },
      );
      workspaceId = user.workspace.id;
      userId = user.userId;
    });
    afterEach(async () => close());

    async function insertDeliveries(rows: DeliveryRecord[]): Promise<void> {
      await store.transaction(async (tx) => {
        for (const row of rows) {
          await tx.deliveries.insert(row);
          for (let attempt = 1; attempt <= row.attempts; attempt++) {
            await tx.deliveries.appendAttempt({
              deliveryId: row.id,
              workspaceId,
              attempt,
              startedAt: row.createdAt + attempt,
              statusCode: 500,
              latencyMs: 12,
              error: null,
            });
          }
        }
      });
    }

    const exists = async (id: string) => (await store.read.deliveries.findForWorker(id)) !== null;
    const attemptsOf = async (ids: string[]) => store.read.deliveries.listAttempts(workspaceId, ids);

    function mixedDeliveries(prefix: string): DeliveryRecord[] {
      return [
        delivery(workspaceId, `${prefix}_old_delivered`, 'delivered', OLD),
        delivery(workspaceId, `${prefix}_old_failed`, 'failed', OLD),
        delivery(workspaceId, `${prefix}_old_cancelled`, 'cancelled', OLD),
        delivery(workspaceId, `${prefix}_at_cutoff`, 'delivered', NOW - RETENTION),
        // Pending whatever its age: the worker still owes it an attempt.
        delivery(workspaceId, `${prefix}_ancient_pending`, 'pending', OLD - 300 * DAY),
        delivery(workspaceId, `${prefix}_recent_delivered`, 'delivered', RECENT),
        delivery(workspaceId, `${prefix}_recent_failed`, 'failed', NOW - RETENTION + 1),
      ];
    }

    test('finished deliveries past retention go with their attempts; pending and recent ones stay', async () => {
      const rows = mixedDeliveries('msg');
      await insertDeliveries(rows);

      const result = await pruneOnce(deps(), { now: NOW, deliveryRetentionMs: RETENTION, batchSize: 1000 });

      const gone = ['msg_old_delivered', 'msg_old_failed', 'msg_old_cancelled', 'msg_at_cutoff'];
      const kept = ['msg_ancient_pending', 'msg_recent_delivered', 'msg_recent_failed'];
      expect(result).toMatchObject({ deliveries: 4, deliveryAttempts: 8 });
      for (const id of gone) expect(await exists(id)).toBe(false);
      for (const id of kept) expect(await exists(id)).toBe(true);
      expect(await attemptsOf(gone)).toEqual([]);
      const keptAttempts = await attemptsOf(kept);
      expect(keptAttempts.map((a) => a.deliveryId).sort()).toEqual(kept.flatMap((id) => [id, id]).sort());

      // Nothing left to do: a second run removes nothing and keeps the rest.
      const again = await pruneOnce(deps(), { now: NOW, deliveryRetentionMs: RETENTION, batchSize: 1000 });
      expect(again).toEqual(NOTHING_PRUNED);
      for (const id of kept) expect(await exists(id)).toBe(true);
    });

    test('a redelivered (pending again) delivery is not pruned however old its last attempt', async () => {
      await insertDeliveries([delivery(workspaceId, 'msg_redeliver', 'failed', OLD)]);
      expect(await store.transaction((tx) => tx.deliveries.requeue(workspaceId, 'msg_redeliver', NOW))).toBe(true);

      // Even asked to keep nothing, the row the worker now owes an attempt stays, with its log.
      const result = await pruneOnce(deps(), { now: NOW, deliveryRetentionMs: 0, batchSize: 1000 });

      expect(result.deliveries).toBe(0);
      expect(await store.read.deliveries.findForWorker('msg_redeliver')).toMatchObject({ status: 'pending' });
      expect(await attemptsOf(['msg_redeliver'])).toHaveLength(2);
    });

    test('retention null keeps every delivery, review link and idempotency key', async () => {
      const rows = mixedDeliveries('keep');
      await insertDeliveries(rows);
      await store.transaction(async (tx) => {
        await tx.tasks.insert(task(workspaceId, 'tsk_keep', OLD));
        await tx.reviewLinks.insert(link(workspaceId, userId, 'tsk_keep', 'approve', OLD - DAY));
        await tx.idempotency.begin(workspaceId, 'key-old', 'h', OLD, OLD);
        await tx.idempotency.complete(workspaceId, 'key-old', { status: 201, body: '{}' }, OLD);
      });

      const result = await pruneOnce(deps(), { now: NOW, deliveryRetentionMs: null, batchSize: 1000 });

      expect(result).toEqual(NOTHING_PRUNED);
      for (const row of rows) expect(await exists(row.id)).toBe(true);
      expect(await attemptsOf(rows.map((r) => r.id))).toHaveLength(rows.length * 2);
      expect(await store.read.reviewLinks.findByHash(hashToken('tsk_keep-approve'))).not.toBeNull();
      const replay = await store.transaction((tx) => tx.idempotency.begin(workspaceId, 'key-old', 'h', NOW, NOW));
      expect(replay).toEqual({ outcome: 'completed', response: { status: 201, body: '{}' } });
    });

    test('expired sessions go; a live one stays and still authenticates', async () => {
      const limiter = new FakeAttemptLimiter();
      const login = await logIn(
        { store, clock: () => NOW - DAY, limiter },
        { email: 'rita@example.com', password: 'correct horse battery', clientAddress: '127.0.0.1' },
      );
      const expired = ['s1', 's2', 's3'].map((name, i) => ({
        idHash: hashToken(`expired-${name}`),
        userId,
        workspaceId,
        csrfToken: 'x',
        createdAt: OLD,
        expiresAt: NOW - i * 1000,
      }));
      await store.transaction(async (tx) => {
        for (const session of expired) await tx.sessions.insert(session);
      });

      const result = await pruneOnce(deps(), { now: NOW, deliveryRetentionMs: RETENTION, batchSize: 1000 });

      expect(result.sessions).toBe(3);
      // findLive with time 0 finds any row that is still stored.
      for (const session of expired) expect(await store.read.sessions.findLive(session.idHash, 0)).toBeNull();
      const live = await authenticateSession({ store, clock: () => NOW }, login.token);
      expect(live?.user.id).toBe(userId);
      expect(live?.session.idHash).toBe(login.session.idHash);
    });

    test('review links go only once their task has been closed longer than the retention', async () => {
      await store.transaction(async (tx) => {
        await tx.tasks.insert(task(workspaceId, 'tsk_closed_old', OLD));
        await tx.tasks.insert(task(workspaceId, 'tsk_closed_recent', RECENT));
        await tx.tasks.insert(task(workspaceId, 'tsk_open', null));
        for (const taskId of ['tsk_closed_old', 'tsk_closed_recent', 'tsk_open']) {
          for (const action of ['approve', 'reject', 'modify'] as const) {
            // Made long ago, expired long ago, and the approve link used long ago.
            await tx.reviewLinks.insert({
              ...link(workspaceId, userId, taskId, action, OLD - 10 * DAY),
              expiresAt: OLD - 5 * DAY,
              usedAt: action === 'approve' ? OLD - 9 * DAY : null,
            });
          }
        }
      });

      const result = await pruneOnce(deps(), { now: NOW, deliveryRetentionMs: RETENTION, batchSize: 1000 });

      expect(result.reviewLinks).toBe(3);
      const present = async (taskId: string, action: ReviewLinkAction) =>
        (await store.read.reviewLinks.findByHash(hashToken(`${taskId}-${action}`))) !== null;
      for (const action of ['approve', 'reject', 'modify'] as const) {
        expect(await present('tsk_closed_old', action)).toBe(false);
        expect(await present('tsk_closed_recent', action)).toBe(true);
        // The open task's links are the record that its reviewer was mailed: removing them would mail again.
        expect(await present('tsk_open', action)).toBe(true);
      }
    });

    test('invitations whose link stopped working before the retention go; recent ones stay', async () => {
      const invitation = (name: string, expiresAt: number) => ({
        tokenHash: hashToken(name),
        workspaceId,
        email: `${name}@example.com`,
        role: 'viewer' as const,
        name: null,
        invitedBy: null,
        createdAt: expiresAt - 7 * DAY,
        expiresAt,
        usedAt: null,
        revokedAt: null,
      });
      await store.transaction(async (tx) => {
        await tx.invitations.insert(invitation('inv-old', OLD));
        await tx.invitations.insert(invitation('inv-expired-recently', RECENT));
        await tx.invitations.insert(invitation('inv-live', NOW + DAY));
      });

      const result = await pruneOnce(deps(), { now: NOW, deliveryRetentionMs: RETENTION, batchSize: 1000 });

      expect(result.invitations).toBe(1);
      expect(await store.read.invitations.findByHash(hashToken('inv-old'))).toBeNull();
      expect(await store.read.invitations.findByHash(hashToken('inv-expired-recently'))).not.toBeNull();
      expect(await store.read.invitations.findByHash(hashToken('inv-live'))).not.toBeNull();
    });

    test('idempotency keys first used before the retention go; recent ones still replay', async () => {
      await store.transaction(async (tx) => {
        await tx.idempotency.begin(workspaceId, 'key-old', 'h1', OLD, OLD);
        await tx.idempotency.complete(workspaceId, 'key-old', { status: 201, body: '{"old":true}' }, OLD);
        await tx.idempotency.begin(workspaceId, 'key-recent', 'h2', RECENT, RECENT);
        await tx.idempotency.complete(workspaceId, 'key-recent', { status: 201, body: '{"recent":true}' }, RECENT);
      });

      const result = await pruneOnce(deps(), { now: NOW, deliveryRetentionMs: RETENTION, batchSize: 1000 });

      expect(result.idempotencyKeys).toBe(1);
      const [old, recent] = await store.transaction(async (tx) => [
        await tx.idempotency.begin(workspaceId, 'key-old', 'h1', NOW, NOW - 60_000),
        await tx.idempotency.begin(workspaceId, 'key-recent', 'h2', NOW, NOW - 60_000),
      ]);
      expect(old).toEqual({ outcome: 'started' });
      expect(recent).toEqual({ outcome: 'completed', response: { status: 201, body: '{"recent":true}' } });
    });

    test('more rows than batchSize are all removed across several bounded batches', async () => {
      const batchSize = 4;
      const old = Array.from({ length: 2 * batchSize + 3 }, (_, i) =>
        delivery(workspaceId, `msg_batch_${String(i).padStart(2, '0')}`, i % 2 ? 'failed' : 'delivered', OLD - i),
      );
      await insertDeliveries([...old, delivery(workspaceId, 'msg_batch_pending', 'pending', OLD)]);
      await store.transaction(async (tx) => {
        for (let i = 0; i < 2 * batchSize + 1; i++) {
          await tx.sessions.insert({
            idHash: hashToken(`batch-${i}`),
            userId,
            workspaceId,
            csrfToken: 'x',
            createdAt: OLD,
            expiresAt: NOW - 1,
          });
        }
      });
      const counted = countingTransactions(store);
      const counting: HousekeepingDeps = { store: counted.store };

      const result = await pruneOnce(counting, { now: NOW, deliveryRetentionMs: RETENTION, batchSize });

      expect(result).toMatchObject({ deliveries: old.length, deliveryAttempts: old.length * 2, sessions: 9 });
      for (const row of old) expect(await exists(row.id)).toBe(false);
      expect(await exists('msg_batch_pending')).toBe(true);
      expect(await attemptsOf(old.map((r) => r.id))).toEqual([]);
      // 9 sessions: 4 + 4 + 1; 11 deliveries: 4 + 4 + 3; then one short batch each for links, keys and invitations.
      expect(counted.count()).toBe(3 + 3 + 1 + 1 + 1);
    });

    test('two runs in parallel both succeed and leave the same end state as one', async () => {
      const old = Array.from({ length: 30 }, (_, i) =>
        delivery(workspaceId, `msg_par_${String(i).padStart(2, '0')}`, 'delivered', OLD - i),
      );
      const kept = [
        delivery(workspaceId, 'msg_par_pending', 'pending', OLD),
        delivery(workspaceId, 'msg_par_recent', 'delivered', RECENT),
      ];
      await insertDeliveries([...old, ...kept]);
      await store.transaction(async (tx) => {
        for (let i = 0; i < 12; i++) {
          await tx.sessions.insert({
            idHash: hashToken(`par-${i}`),
            userId,
            workspaceId,
            csrfToken: 'x',
            createdAt: OLD,
            expiresAt: NOW - i,
          });
        }
        for (let i = 0; i < 5; i++) {
          await tx.tasks.insert(task(workspaceId, `tsk_par_${i}`, OLD));
          await tx.reviewLinks.insert(link(workspaceId, userId, `tsk_par_${i}`, 'approve', OLD - DAY));
        }
      });

      const options = { now: NOW, deliveryRetentionMs: RETENTION, batchSize: 3 };
      const [a, b] = await Promise.all([pruneOnce(deps(), options), pruneOnce(deps(), options)]);

      // Each row was deleted by exactly one of them.
      expect(a.deliveries + b.deliveries).toBe(old.length);
      expect(a.deliveryAttempts + b.deliveryAttempts).toBe(old.length * 2);
      expect(a.sessions + b.sessions).toBe(12);
      expect(a.reviewLinks + b.reviewLinks).toBe(5);
      for (const row of old) expect(await exists(row.id)).toBe(false);
      for (const row of kept) expect(await exists(row.id)).toBe(true);
      expect(await attemptsOf(old.map((r) => r.id))).toEqual([]);
      expect(await attemptsOf(kept.map((r) => r.id))).toHaveLength(4);
      const third = await pruneOnce(deps(), options);
      expect(third).toEqual(NOTHING_PRUNED);
    });

    test('a stopping process ends the run between batches', async () => {
      await insertDeliveries(
        Array.from({ length: 6 }, (_, i) => delivery(workspaceId, `msg_stop_${i}`, 'delivered', OLD - i)),
      );
      const stopping = new AbortController();
      const aborting: HousekeepingDeps = {
        store: {
          transaction: async (work) => {
            const value = await store.transaction(work);
            stopping.abort();
            return value;
          },
        },
      };

      const result = await pruneOnce(aborting, {
        now: NOW,
        deliveryRetentionMs: RETENTION,
        batchSize: 2,
        signal: stopping.signal,
      });

      // The session batch ran, saw the signal and stopped before any delivery batch.
      expect(result.deliveries).toBe(0);
      expect(await exists('msg_stop_0')).toBe(true);
    });
  });
}

/** A link whose token is `${taskId}-${action}`, so a test can look it up by hash. */
function link(workspaceId: string, userId: string, taskId: string, action: ReviewLinkAction, createdAt: number) {
  return {
    tokenHash: hashToken(`${taskId}-${action}`),
    workspaceId,
    taskId,
    level: 1,
    userId,
    email: 'rita@example.com',
    action,
    expiresAt: null,
    usedAt: null,
    createdAt,
  };
}
