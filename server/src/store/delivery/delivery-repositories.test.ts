import type { DeliveryAttemptRecord, WebhookSubscriptionRecord } from '../../domain/delivery/delivery-ports.js';
import type { Store } from '../../domain/store.js';
import { countRows, DATABASES, openTestStore, type TestDatabaseHandle } from '../../test-support/databases.js';
import { deliveryRecord } from '../../test-support/delivery-records.js';
import { taskRecord } from '../../test-support/task-records.js';

const ws = 'wsp_delivery';

const subscription = (id: string, extra: Partial<WebhookSubscriptionRecord> = {}): WebhookSubscriptionRecord => ({
  id,
  workspaceId: ws,
  url: `https://example.com/${id}`,
  events: ['task.decided', 'task.created'],
  description: null,
  secret: `secret_${id}`,
  previousSecret: null,
  previousSecretExpiresAt: null,
  status: 'active',
  disabledReason: null,
  createdBy: null,
  createdAt: 100,
  updatedAt: 100,
  ...extra,
});

for (const database of DATABASES) {
  describe(`${database}: delivery repositories`, () => {
    let store: Store;
    let db: TestDatabaseHandle;
    let close: () => Promise<void>;

    beforeAll(async () => {
      ({ store, db, close } = await openTestStore(database));
      await store.transaction(async (tx) => {
        await tx.workspaces.insert({ id: ws, slug: 'delivery', name: 'x', createdAt: 1 });
        await tx.tasks.insert(taskRecord(ws, 'tsk_d', 1));
      });
    });
    afterAll(async () => close());

    test('subscriptions come back as written; rotate, disable and delete change only their own', async () => {
      const subs = [
        subscription('sub_1', { createdBy: { type: 'user', id: 'usr_1' }, description: 'CRM "sync"' }),
        subscription('sub_2', { createdAt: 200, createdBy: { type: 'system', id: null } }),
      ];
      await store.transaction(async (tx) => {
        for (const sub of subs) await tx.webhooks.insert(sub);
      });
      expect(await store.read.webhooks.findById(ws, 'sub_1')).toEqual(subs[0]);
      expect(await store.read.webhooks.findById('wsp_other', 'sub_1')).toBeNull();
      expect(await store.read.webhooks.list(ws)).toEqual(subs);
      await store.transaction((tx) => tx.webhooks.rotateSecret(ws, 'sub_1', 'secret_new', 900, 300));
      await store.transaction((tx) => tx.webhooks.disable(ws, 'sub_2', 'x'.repeat(600), 301));
      expect(await store.read.webhooks.list(ws)).toEqual([
        {
          ...subs[0],
          secret: 'secret_new',
          previousSecret: 'secret_sub_1',
          previousSecretExpiresAt: 900,
          updatedAt: 300,
        },
        { ...subs[1], status: 'disabled', disabledReason: 'x'.repeat(500), updatedAt: 301 },
      ]);
      expect((await store.read.webhooks.listActive(ws)).map((s) => s.id)).toEqual(['sub_1']);
      expect(await store.transaction((tx) => tx.webhooks.delete(ws, 'sub_2'))).toBe(true);
      expect(await store.transaction((tx) => tx.webhooks.delete(ws, 'sub_2'))).toBe(false);
    });

    test('deliveries come back as written, list by filter newest first, and page by cursor', async () => {
      const rows = [
        deliveryRecord(ws, 'dlv_1', 1_000, { taskId: 'tsk_d', urlOwner: { type: 'api_key', id: 'key_1' } }),
        deliveryRecord(ws, 'dlv_2', 2_000, { kind: 'subscription', subscriptionId: 'sub_1', status: 'failed' }),
        deliveryRecord(ws, 'dlv_3', 2_000, { taskId: 'tsk_d', status: 'pending', nextAttemptAt: 5, deliveredAt: null }),
        deliveryRecord(ws, 'dlv_4', 3_000, { lastStatusCode: null, lastError: 'refused', leaseToken: 'lease' }),
      ];
      await store.transaction(async (tx) => {
        for (const row of rows) await tx.deliveries.insert(row);
      });
      expect(await store.read.deliveries.findById(ws, 'dlv_1')).toEqual(rows[0]);
      expect(await store.read.deliveries.findById('wsp_other', 'dlv_1')).toBeNull();
      expect(await store.read.deliveries.findForWorker('dlv_4')).toEqual(rows[3]);
      const ids = async (filter: object, limit = 10, after?: { createdAt: number; id: string }) =>
        (await store.read.deliveries.list(ws, filter, limit, after)).map((d) => d.id);
      expect(await ids({})).toEqual(['dlv_4', 'dlv_3', 'dlv_2', 'dlv_1']);
      expect(await ids({ taskId: 'tsk_d' })).toEqual(['dlv_3', 'dlv_1']);
      expect(await ids({ subscriptionId: 'sub_1' })).toEqual(['dlv_2']);
      expect(await ids({ status: 'delivered' })).toEqual(['dlv_4', 'dlv_1']);
      expect(await ids({ taskId: 'tsk_d', status: 'pending' })).toEqual(['dlv_3']);
      expect(await ids({}, 2)).toEqual(['dlv_4', 'dlv_3']);
      expect(await ids({}, 10, { createdAt: 2_000, id: 'dlv_3' })).toEqual(['dlv_2', 'dlv_1']);
    });

    test('the worker claims a due row once, completes it under its lease, and logs each attempt', async () => {
      await store.transaction((tx) =>
        tx.deliveries.insert(
          deliveryRecord(ws, 'dlv_w', 10, { status: 'pending', attempts: 0, nextAttemptAt: 50, deliveredAt: null }),
        ),
      );
      expect((await store.read.deliveries.listDue(50, 10)).map((d) => d.id)).toContain('dlv_w');
      expect((await store.read.deliveries.listDue(49, 10)).map((d) => d.id)).not.toContain('dlv_w');
      expect(await store.transaction((tx) => tx.deliveries.claim('dlv_w', 50, 'lease_1', 80))).toBe(true);
      expect(await store.transaction((tx) => tx.deliveries.claim('dlv_w', 50, 'lease_2', 80))).toBe(false);
      const result = { statusCode: 503, error: 'e'.repeat(1200) };
      const retry = { status: 'pending' as const, nextAttemptAt: 90 };
      expect(await store.transaction((tx) => tx.deliveries.complete('dlv_w', 'lease_2', retry, result, 60))).toBe(
        false,
      );
      expect(await store.transaction((tx) => tx.deliveries.complete('dlv_w', 'lease_1', retry, result, 60))).toBe(true);
      expect(await store.read.deliveries.findById(ws, 'dlv_w')).toMatchObject({
        status: 'pending',
        attempts: 1,
        nextAttemptAt: 90,
        leaseToken: null,
        lastStatusCode: 503,
        lastError: 'e'.repeat(1000),
        updatedAt: 60,
        deliveredAt: null,
      });
      await store.transaction((tx) => tx.deliveries.claim('dlv_w', 90, 'lease_3', 120));
      const ok = { statusCode: 200, error: null };
      await store.transaction((tx) =>
        tx.deliveries.complete('dlv_w', 'lease_3', { status: 'delivered', at: 95 }, ok, 95),
      );
      expect(await store.read.deliveries.findById(ws, 'dlv_w')).toMatchObject({
        status: 'delivered',
        attempts: 2,
        nextAttemptAt: null,
        lastError: null,
        deliveredAt: 95,
      });
      const attempts: DeliveryAttemptRecord[] = [
        {
          deliveryId: 'dlv_w',
          workspaceId: ws,
          attempt: 1,
          startedAt: 55,
          statusCode: 503,
          latencyMs: 12,
          error: 'down',
        },
        {
          deliveryId: 'dlv_w',
          workspaceId: ws,
          attempt: 2,
          startedAt: 91,
          statusCode: null,
          latencyMs: 3,
          error: null,
        },
        { deliveryId: 'dlv_1', workspaceId: ws, attempt: 1, startedAt: 1, statusCode: 200, latencyMs: 7, error: null },
      ];
      await store.transaction(async (tx) => {
        for (const attempt of attempts)
          await tx.deliveries.appendAttempt({ ...attempt, latencyMs: attempt.latencyMs + 0.4 });
      });
      expect(await store.read.deliveries.listAttempts(ws, ['dlv_w', 'dlv_1'])).toEqual([
        attempts[2],
        attempts[0],
        attempts[1],
      ]);
      expect(await store.read.deliveries.listAttempts(ws, [])).toEqual([]);
      expect(await store.read.deliveries.listAttempts('wsp_other', ['dlv_w'])).toEqual([]);
    });

    test('requeue makes a row due now; cancelling a subscription stops only its pending rows', async () => {
      await store.transaction(async (tx) => {
        await tx.deliveries.insert(deliveryRecord(ws, 'dlv_r', 10, { status: 'failed' }));
        await tx.deliveries.insert(
          deliveryRecord(ws, 'dlv_c1', 10, { subscriptionId: 'sub_9', status: 'pending', nextAttemptAt: 5 }),
        );
        await tx.deliveries.insert(deliveryRecord(ws, 'dlv_c2', 10, { subscriptionId: 'sub_9', status: 'delivered' }));
      });
      expect(await store.transaction((tx) => tx.deliveries.requeue(ws, 'dlv_r', 77))).toBe(true);
      expect(await store.transaction((tx) => tx.deliveries.requeue('wsp_other', 'dlv_r', 77))).toBe(false);
      expect(await store.read.deliveries.findById(ws, 'dlv_r')).toMatchObject({
        status: 'pending',
        nextAttemptAt: 77,
        updatedAt: 77,
      });
      await store.transaction((tx) => tx.deliveries.cancelPendingForSubscription(ws, 'sub_9', 78));
      expect(await store.read.deliveries.findById(ws, 'dlv_c1')).toMatchObject({
        status: 'cancelled',
        nextAttemptAt: null,
        updatedAt: 78,
      });
      expect((await store.read.deliveries.findById(ws, 'dlv_c2'))?.status).toBe('delivered');
    });

    test('housekeeping deletes finished rows in batches, with their attempts only', async () => {
      const wsOld = 'wsp_delivery_old';
      await store.transaction(async (tx) => {
        await tx.workspaces.insert({ id: wsOld, slug: 'delivery-old', name: 'x', createdAt: 1 });
        for (const [id, status] of [
          ['dlv_o1', 'delivered'],
          ['dlv_o2', 'failed'],
          ['dlv_o3', 'delivered'],
          ['dlv_o4', 'pending'],
        ] as const) {
          await tx.deliveries.insert(deliveryRecord(wsOld, id, -50, { status, updatedAt: -50 }));
          await tx.deliveries.appendAttempt({
            deliveryId: id,
            workspaceId: wsOld,
            attempt: 1,
            startedAt: -50,
            statusCode: 200,
            latencyMs: 1,
            error: null,
          });
        }
      });
      const attemptsBefore = await countRows(db, 'webhook_delivery_attempts');
      expect(await store.transaction((tx) => tx.deliveries.deleteFinished([], 0, 10))).toEqual({
        selected: 0,
        deliveries: 0,
        attempts: 0,
      });
      expect(await store.transaction((tx) => tx.deliveries.deleteFinished(['delivered', 'failed'], -50, 2))).toEqual({
        selected: 2,
        deliveries: 2,
        attempts: 2,
      });
      expect(await store.transaction((tx) => tx.deliveries.deleteFinished(['delivered', 'failed'], -50, 2))).toEqual({
        selected: 1,
        deliveries: 1,
        attempts: 1,
      });
      expect(await store.transaction((tx) => tx.deliveries.deleteFinished(['delivered', 'failed'], -50, 2))).toEqual({
        selected: 0,
        deliveries: 0,
        attempts: 0,
      });
      expect(await countRows(db, 'webhook_delivery_attempts')).toBe(attemptsBefore - 3);
      expect(await store.read.deliveries.findById(wsOld, 'dlv_o4')).not.toBeNull();
    });

    test('settings: inserted once, updated whole, and per-task options kept', async () => {
      const settings = {
        workspaceId: ws,
        callbackSecret: 'cb_1',
        previousCallbackSecret: null,
        previousSecretExpiresAt: null,
        allowPrivateCallbacks: false,
        callbackAllowlist: [],
        updatedAt: 5,
      };
      expect(await store.read.deliverySettings.find(ws)).toBeNull();
      expect(await store.transaction((tx) => tx.deliverySettings.insertIfMissing(settings))).toEqual(settings);
      expect(
        await store.transaction((tx) => tx.deliverySettings.insertIfMissing({ ...settings, callbackSecret: 'cb_x' })),
      ).toEqual(settings);
      const changed = {
        ...settings,
        callbackSecret: 'cb_2',
        previousCallbackSecret: 'cb_1',
        previousSecretExpiresAt: 99,
        allowPrivateCallbacks: true,
        callbackAllowlist: ['10.0.0.0/8', 'intranet.local'],
        updatedAt: 6,
      };
      await store.transaction((tx) => tx.deliverySettings.update(changed));
      expect(await store.read.deliverySettings.find(ws)).toEqual(changed);
      expect(await store.read.deliverySettings.findTaskOptions(ws, 'tsk_d')).toBeNull();
      await store.transaction((tx) => tx.deliverySettings.setTaskOptions(ws, 'tsk_d', { notifyEscalations: true }));
      expect(await store.read.deliverySettings.findTaskOptions(ws, 'tsk_d')).toEqual({ notifyEscalations: true });
      expect(await store.read.deliverySettings.findTaskOptions('wsp_other', 'tsk_d')).toBeNull();
    });
  });
}
