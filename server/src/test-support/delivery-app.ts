import type { Express } from 'express';
import pino from 'pino';
import request from 'supertest';
import { type DeliverySettings, type DeliverySetup, setUpDelivery } from '../delivery-setup.js';
import type { Store } from '../domain/store.js';
import { InProcessTaskEventBus } from '../events/in-process-bus.js';
import { bearer, createTaskVia } from './api-requests.js';
import { openTestStore, type TestDatabase, type TestDatabaseHandle } from './databases.js';
import { buildTestApp, type TestApp } from './fixtures.js';
import { useOpened } from './live.js';
import { type Receiver, startReceiver } from './receiver.js';
import { until } from './until.js';

export const PASSWORD = 'correct horse battery';
export const DELIVERY_WAIT = { timeoutMs: 8_000 };

/** A task body for delivery tests: a refund, plus whatever the test adds (a callback URL, a queue). */
export const task = (extra: object = {}) => ({
  title: 'Refund order 1234',
  payload: { orderId: 1234, amount: 42.5 },
  ...extra,
});

/** A delivery as GET /api/v1/deliveries/{id} shows it. */
export interface DeliveryView {
  id: string;
  kind: string;
  status: string;
  eventType: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  subscriptionId: string | null;
  attemptLog: { attempt: number; statusCode: number | null; error: string | null; latencyMs: number }[];
}

/** Delivery settings as the tests run them: short timeouts and a fast outbox, private targets refused server-wide. */
export function testDeliverySettings(extra: Partial<DeliverySettings> = {}): DeliverySettings {
  return {
    publicUrl: 'http://localhost:3000',
    allowPrivateCallbacks: false,
    callbackAllowlist: [],
    webhookTimeoutMs: 1_000,
    outboxPollMs: 100,
    outboxConcurrency: 8,
    ...extra,
  };
}

export interface DeliveryApp extends ReturnType<typeof deliveryRequests> {
  store: Store;
  db: TestDatabaseHandle;
  t: TestApp;
  app: Express;
  keys: TestApp['keys'];
  delivery: DeliverySetup;
  /** Where callbacks, subscriptions and Slack messages go in these tests. */
  receiver: Receiver;
  close(): Promise<void>;
}

/**
 * The app with decision delivery wired and its outbox running, over a fresh database, and a local
 * receiver to deliver to. With `workspaceAllowsPrivate`, the default workspace allows private targets
 * (the receiver is on 127.0.0.1) through its own setting; the other workspace keeps the default.
 */
export async function openDeliveryApp(
  kind: TestDatabase,
  {
    workspaceAllowsPrivate = false,
    ...settings
  }: Partial<DeliverySettings> & { workspaceAllowsPrivate?: boolean } = {},
): Promise<DeliveryApp> {
  const { store, db, close } = await openTestStore(kind);
  const receiver = await startReceiver();
  const bus = new InProcessTaskEventBus();
  const delivery = setUpDelivery(
    { store, clock: Date.now, logger: pino({ level: 'silent' }), bus },
    testDeliverySettings(settings),
  );
  const t = await buildTestApp(store, Date.now, {
    bus,
    publicUrl: testDeliverySettings(settings).publicUrl,
    onTaskChange: delivery.onTaskChange,
    checkCallbackUrl: delivery.checkCallbackUrl,
    delivery: delivery.delivery,
  });
  if (workspaceAllowsPrivate) {
    const allowed = await request(t.app)
      .post('/api/v1/settings/delivery')
      .set(bearer(t.keys.admin))
      .send({ allowPrivateCallbacks: true });
    expect(allowed.status).toBe(200);
  }
  delivery.outbox.start();
  return {
    store,
    db,
    t,
    app: t.app,
    keys: t.keys,
    delivery,
    receiver,
    ...deliveryRequests(t),
    async close() {
      await delivery.outbox.stop();
      await receiver.close();
      await t.authenticator.settle();
      await close();
    },
  };
}

/** The delivery API as the tests call it. */
function deliveryRequests(t: TestApp) {
  async function deliveriesOf(taskId: string, key = t.keys.viewer): Promise<DeliveryView[]> {
    const res = await request(t.app).get(`/api/v1/tasks/${taskId}/deliveries`).set(bearer(key));
    expect(res.status).toBe(200);
    return res.body.data as DeliveryView[];
  }
  return {
    /** Creates a task (201 expected) as `key`, the reviewer key by default. */
    create: (body: object, key = t.keys.reviewer, app = t.app) => createTaskVia(app, key, body),
    deliveriesOf,
    /** The task's deliveries once there are `count` and each has been attempted. */
    settled: (taskId: string, count = 1): Promise<DeliveryView[]> =>
      until(
        `${count} attempted deliveries of ${taskId}`,
        async () => {
          const list = await deliveriesOf(taskId);
          return list.length >= count && list.every((d) => d.attempts > 0) ? list : undefined;
        },
        DELIVERY_WAIT,
      ),
    async callbackSecret(key = t.keys.admin): Promise<string> {
      const res = await request(t.app).get('/api/v1/settings/callback-secret').set(bearer(key));
      expect(res.status).toBe(200);
      expect(res.body.secret).toMatch(/^whsec_/);
      return res.body.secret as string;
    },
  };
}

/** openDeliveryApp before the describe block's tests, closed after them; the receiver answers 200 at the start of each. */
export function useDeliveryApp(kind: TestDatabase, options: Parameters<typeof openDeliveryApp>[1] = {}) {
  const d = useOpened(() => openDeliveryApp(kind, options));
  beforeEach(() => d.receiver.respondWith(() => 200));
  return d;
}
