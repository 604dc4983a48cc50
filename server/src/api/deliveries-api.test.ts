import type { AddressInfo } from 'node:net';
import { verifyWebhook, type WebhookPayload } from '@loopgate/shared';
import pino from 'pino';
import request from 'supertest';
import { type DeliverySetup, setUpDelivery } from '../delivery-setup.js';
import { createApiKey } from '../domain/admin/api-keys.js';
import { upsertUser } from '../domain/admin/users.js';
import { parseAllowList } from '../domain/delivery/callback-targets.js';
import type { Store } from '../domain/store.js';
import { InProcessTaskEventBus } from '../events/in-process-bus.js';
import { DATABASES, openTestStore } from '../test-support/databases.js';
import { buildTestApp, type TestApp } from '../test-support/fixtures.js';
import { type Receiver, startReceiver } from '../test-support/receiver.js';
import { sseReader } from '../test-support/sse.js';
import { until } from '../test-support/until.js';
import { logInAs } from '../test-support/web-login.js';

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
const PASSWORD = 'correct horse battery';
const DELIVERY_WAIT = { timeoutMs: 8_000 };
const task = (extra: object = {}) => ({
  title: 'Refund order 1234',
  payload: { orderId: 1234, amount: 42.5 },
  ...extra,
});

interface DeliveryView {
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

for (const database of DATABASES) {
  describe(`${database}: decision delivery API`, () => {
    let store: Store;
    let close: () => Promise<void>;
    let t: TestApp;
    let delivery: DeliverySetup;
    let receiver: Receiver;

    beforeAll(async () => {
      const opened = await openTestStore(database);
      store = opened.store;
      close = opened.close;
      receiver = await startReceiver();
      const bus = new InProcessTaskEventBus();
      const logger = pino({ level: 'silent' });
      const settings = {
        publicUrl: 'http://localhost:3000',
        allowPrivateCallbacks: false,
        callbackAllowlist: [],
        webhookTimeoutMs: 1_000,
        outboxPollMs: 100,
        outboxConcurrency: 8,
      };
      delivery = setUpDelivery({ store, clock: Date.now, logger, bus }, settings);
      t = await buildTestApp(store, Date.now, {
        bus,
        onTaskChange: delivery.onTaskChange,
        checkCallbackUrl: delivery.checkCallbackUrl,
        delivery: delivery.delivery,
      });
      // No server-wide switch: the default workspace allows private targets (the receiver is on
      // 127.0.0.1), the other workspace keeps the default and is refused.
      const allowed = await request(t.app)
        .post('/api/v1/settings/delivery')
        .set(bearer(t.keys.admin))
        .send({ allowPrivateCallbacks: true });
      expect(allowed.status).toBe(200);
      delivery.outbox.start();
    });
    afterAll(async () => {
      await delivery.outbox.stop();
      await receiver.close();
      await close();
    });
    beforeEach(() => receiver.respondWith(() => 200));

    async function create(body: object, key = t.keys.reviewer, app = t.app) {
      const res = await request(app).post('/api/v1/tasks').set(bearer(key)).send(body);
      expect(res.status).toBe(201);
      return res.body as { id: string };
    }

    async function deliveriesOf(taskId: string, key = t.keys.viewer): Promise<DeliveryView[]> {
      const res = await request(t.app).get(`/api/v1/tasks/${taskId}/deliveries`).set(bearer(key));
      expect(res.status).toBe(200);
      return res.body.data as DeliveryView[];
    }

    async function settled(taskId: string, count = 1): Promise<DeliveryView[]> {
      return until(
        `${count} attempted deliveries of ${taskId}`,
        async () => {
          const list = await deliveriesOf(taskId);
          return list.length >= count && list.every((d) => d.attempts > 0) ? list : undefined;
        },
        DELIVERY_WAIT,
      );
    }

    async function callbackSecret(key = t.keys.admin): Promise<string> {
      const res = await request(t.app).get('/api/v1/settings/callback-secret').set(bearer(key));
      expect(res.status).toBe(200);
      expect(res.body.secret).toMatch(/^whsec_/);
      return res.body.secret as string;
    }

    test('a decision POSTs the signed final outcome to the callback URL once; the attempt is logged', async () => {
      const seen = receiver.requests.length;
      const { id } = await create(task({ callbackUrl: `${receiver.url}/n8n/resume/abc`, externalRef: 'order-1234' }));
      const decided = await request(t.app)
        .post(`/api/v1/tasks/${id}/decision`)
        .set(bearer(t.keys.reviewer))
        .send({ action: 'approve_with_modifications', comment: 'lower amount', modifiedPayload: { amount: 40 } });
      expect(decided.status).toBe(200);
      const [received] = (await receiver.waitFor(seen + 1)).slice(seen);
      expect(received?.path).toBe('/n8n/resume/abc');
      const secret = await callbackSecret();
      const verified = await verifyWebhook(secret, received?.headers ?? {}, received?.body ?? '');
      const payload = JSON.parse(received?.body ?? '') as WebhookPayload;
      expect(payload).toMatchObject({
        type: 'task.decided',
        data: {
          taskId: id,
          status: 'approved_with_modifications',
          action: 'approve_with_modifications',
          comment: 'lower amount',
          reviewers: [{ type: 'api_key', name: 'reviewer' }],
          originalPayload: { orderId: 1234, amount: 42.5 },
          modifiedPayload: { amount: 40 },
          diff: expect.stringContaining('-  "amount": 42.5\n+  "amount": 40\n'),
          externalRef: 'order-1234',
        },
      });
      // The payload's task copy never carries the resume URL, only its origin (subscribers get the same body shape).
      expect(payload.data.task).toMatchObject({ callbackUrl: receiver.url, hasCallback: true });
      const [row] = await settled(id);
      expect(row).toMatchObject({ id: verified.id, kind: 'callback', status: 'delivered', attempts: 1 });
      expect(row?.attemptLog).toEqual([expect.objectContaining({ attempt: 1, statusCode: 200, error: null })]);
      // 'created' is not a final event: the callback got exactly one request for this task.
      expect(receiver.requests.filter((r) => r.path === '/n8n/resume/abc')).toHaveLength(1);
    });

    test.each([
      ['cancel', 'cancelled', 'task.cancelled', (id: string) => `/api/v1/tasks/${id}/cancel`, {}],
      ['reject', 'rejected', 'task.decided', (id: string) => `/api/v1/tasks/${id}/decision`, { action: 'reject' }],
    ])('%s: the callback receives %s as %s', async (_name, status, type, path, body) => {
      const seen = receiver.requests.length;
      const { id } = await create(task({ callbackUrl: `${receiver.url}/cb/${_name}` }));
      expect((await request(t.app).post(path(id)).set(bearer(t.keys.reviewer)).send(body)).status).toBe(200);
      const [received] = (await receiver.waitFor(seen + 1)).slice(seen);
      expect(JSON.parse(received?.body ?? '{}')).toMatchObject({ type, data: { taskId: id, status } });
    });

    test('subscriptions: REST-hook subscribe, signed per subscription, only subscribed events, unsubscribe', async () => {
      const sub = await request(t.app)
        .post('/api/v1/webhooks')
        .set(bearer(t.keys.reviewer))
        .send({ url: `${receiver.url}/zap`, events: ['task.created', 'task.decided'] });
      expect(sub.status).toBe(201);
      expect(sub.body).toMatchObject({ id: expect.stringMatching(/^whk_/), status: 'active' });
      expect(sub.body.secret).toMatch(/^whsec_/);
      const list = await request(t.app).get('/api/v1/webhooks').set(bearer(t.keys.reviewer));
      expect(list.body.data.map((s: { id: string }) => s.id)).toContain(sub.body.id);
      expect(list.body.data[0].secret).toBeUndefined();

      const { id } = await create(task());
      await request(t.app).post(`/api/v1/tasks/${id}/cancel`).set(bearer(t.keys.reviewer)).send({});
      const rows = await settled(id, 1);
      // created was subscribed, cancelled was not.
      expect(rows.map((d) => d.eventType)).toEqual(['task.created']);
      const received = receiver.requests.find((r) => r.headers['webhook-id'] === rows[0]?.id);
      expect(received?.path).toBe('/zap');
      await expect(verifyWebhook(sub.body.secret, received?.headers ?? {}, received?.body ?? '')).resolves.toEqual({
        id: rows[0]?.id,
        timestamp: expect.any(Number),
      });
      await expect(
        verifyWebhook(await callbackSecret(), received?.headers ?? {}, received?.body ?? ''),
      ).rejects.toThrow('No matching webhook signature');

      // Another workspace cannot see or delete it.
      const foreign = await request(t.app)
        .delete(`/api/v1/webhooks/${sub.body.id}`)
        .set(bearer(t.keys.otherWorkspaceAdmin));
      expect(foreign.status).toBe(404);
      expect((await request(t.app).get('/api/v1/webhooks').set(bearer(t.keys.viewer))).status).toBe(403);
      const deleted = await request(t.app).delete(`/api/v1/webhooks/${sub.body.id}`).set(bearer(t.keys.reviewer));
      expect(deleted.status).toBe(204);
      const after = await create(task());
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await deliveriesOf(after.id)).toEqual([]);
    });

    test('rotation: deliveries carry both signatures during the overlap; old and new secrets verify', async () => {
      const sub = await request(t.app)
        .post('/api/v1/webhooks')
        .set(bearer(t.keys.admin))
        .send({ url: `${receiver.url}/rotate`, events: ['task.created'] });
      const rotated = await request(t.app)
        .post(`/api/v1/webhooks/${sub.body.id}/rotate-secret`)
        .set(bearer(t.keys.admin));
      expect(rotated.status).toBe(200);
      expect(rotated.body.secret).not.toBe(sub.body.secret);
      const { id } = await create(task());
      const [row] = await settled(id);
      const received = receiver.requests.find((r) => r.headers['webhook-id'] === row?.id);
      expect(String(received?.headers['webhook-signature']).split(' ')).toHaveLength(2);
      for (const secret of [sub.body.secret, rotated.body.secret]) {
        await expect(verifyWebhook(secret, received?.headers ?? {}, received?.body ?? '')).resolves.toBeDefined();
      }
      await request(t.app).delete(`/api/v1/webhooks/${sub.body.id}`).set(bearer(t.keys.admin));

      const before = await callbackSecret();
      const rotatedCallback = await request(t.app)
        .post('/api/v1/settings/callback-secret/rotate')
        .set(bearer(t.keys.admin));
      expect(rotatedCallback.body.secret).not.toBe(before);
      expect(rotatedCallback.body.previousSecretExpiresAt).not.toBeNull();
      expect((await request(t.app).get('/api/v1/settings/callback-secret').set(bearer(t.keys.reviewer))).status).toBe(
        403,
      );
    });

    test.each([
      ['500', 500, 'pending', /HTTP 500/],
      ['302 (redirects are not followed)', 302, 'pending', /redirects are not followed/],
      ['timeout', 'hold' as const, 'pending', /timed out after 1000 ms/],
    ])('a %s answer is a failed attempt, logged, retried later with backoff', async (_name, answer, status, error) => {
      receiver.respondWith(() => answer);
      const started = Date.now();
      const { id } = await create(task({ callbackUrl: `${receiver.url}/fail/${_name.slice(0, 3)}` }));
      await request(t.app)
        .post(`/api/v1/tasks/${id}/decision`)
        .set(bearer(t.keys.reviewer))
        .send({ action: 'approve' });
      const [row] = await settled(id);
      receiver.release(200);
      expect(row).toMatchObject({ status, attempts: 1 });
      expect(row?.lastError).toMatch(error);
      expect(row?.attemptLog[0]?.error).toMatch(error);
      // First retry after 5 s ± 20 %.
      const next = Date.parse(row?.nextAttemptAt ?? '');
      expect(next).toBeGreaterThanOrEqual(started + 4_000);
      expect(next).toBeLessThanOrEqual(Date.now() + 6_000);
      expect(receiver.requests.filter((r) => r.path.startsWith(`/fail/${_name.slice(0, 3)}`))).toHaveLength(1);

      // An admin redelivers: same webhook-id, sent now.
      receiver.respondWith(() => 200);
      expect(
        (await request(t.app).post(`/api/v1/deliveries/${row?.id}/redeliver`).set(bearer(t.keys.reviewer))).status,
      ).toBe(403);
      const again = await request(t.app).post(`/api/v1/deliveries/${row?.id}/redeliver`).set(bearer(t.keys.admin));
      expect(again.status).toBe(202);
      const done = await until(
        'the redelivery',
        async () => {
          const res = await request(t.app).get(`/api/v1/deliveries/${row?.id}`).set(bearer(t.keys.viewer));
          return res.body.status === 'delivered' ? (res.body as DeliveryView) : undefined;
        },
        DELIVERY_WAIT,
      );
      expect(done.attempts).toBe(2);
      expect(done.attemptLog.map((a) => a.statusCode)).toEqual([answer === 'hold' ? null : answer, 200]);
      const sends = receiver.requests.filter((r) => r.path.startsWith(`/fail/${_name.slice(0, 3)}`));
      expect(new Set(sends.map((r) => r.headers['webhook-id']))).toEqual(new Set([row?.id]));
    });

    test('the task page shows every attempt; an admin redelivers from it, a viewer sees only where it went', async () => {
      for (const [email, role] of [
        ['page-admin@example.com', 'admin'],
        ['page-viewer@example.com', 'viewer'],
      ] as const) {
        await upsertUser({ store, clock: Date.now }, { email, password: PASSWORD, role });
      }
      receiver.respondWith(() => 503);
      const { id } = await create(task({ callbackUrl: `${receiver.url}/resume/secret-token-123?sig=abc` }));
      const other = await create(task());
      await request(t.app).post(`/api/v1/tasks/${id}/decision`).set(bearer(t.keys.reviewer)).send({ action: 'reject' });
      const [row] = await settled(id);

      const admin = await logInAs(t.app, 'page-admin@example.com', PASSWORD);
      const page = await admin.agent.get(`/tasks/${id}`);
      expect(page.status).toBe(200);
      const section = page.text.slice(page.text.indexOf('id="deliveries"'), page.text.indexOf('class="history"'));
      expect(section).toContain(`data-delivery="${row?.id}"`);
      expect(section).toContain('task.decided');
      expect(section).toContain('<span class="delivery-status delivery-pending">pending</span>');
      expect(section).toMatch(/<td>1<\/td><td>[^<]+<\/td><td>503<\/td><td>\d+ ms<\/td><td>HTTP 503<\/td>/);
      expect(section).toContain(`${receiver.url}/resume/secret-token-123?sig=abc`);
      expect(section).toContain('Redeliver');

      // Callback URLs carry resume tokens: a viewer sees the origin, no path, no redeliver button.
      const viewer = await logInAs(t.app, 'page-viewer@example.com', PASSWORD);
      const viewed = await viewer.agent.get(`/tasks/${id}`);
      expect(viewed.text).toContain(`<code>${receiver.url}</code>`);
      expect(viewed.text).not.toContain('secret-token-123');
      expect(viewed.text).not.toContain('Redeliver');
      const refused = await viewer.agent
        .post(`/tasks/${id}/deliveries/${row?.id}/redeliver`)
        .type('form')
        .send({ _csrf: viewer.csrf });
      expect(refused.status).toBe(403);
      // Another task's URL does not reach this delivery.
      const foreign = await admin.agent
        .post(`/tasks/${other.id}/deliveries/${row?.id}/redeliver`)
        .type('form')
        .send({ _csrf: admin.csrf });
      expect(foreign.status).toBe(404);
      const noCsrf = await admin.agent.post(`/tasks/${id}/deliveries/${row?.id}/redeliver`).type('form').send({});
      expect(noCsrf.status).toBe(403);
      expect(receiver.requests.filter((r) => r.path.startsWith('/resume/secret-token-123'))).toHaveLength(1);

      receiver.respondWith(() => 200);
      const redelivered = await admin.agent
        .post(`/tasks/${id}/deliveries/${row?.id}/redeliver`)
        .type('form')
        .send({ _csrf: admin.csrf });
      expect([redelivered.status, redelivered.headers.location]).toEqual([303, `/tasks/${id}#deliveries`]);
      await until(
        'the redelivery',
        async () => {
          const res = await request(t.app).get(`/api/v1/deliveries/${row?.id}`).set(bearer(t.keys.viewer));
          return res.body.status === 'delivered' ? true : undefined;
        },
        DELIVERY_WAIT,
      );
      const after = await admin.agent.get(`/tasks/${id}`);
      expect(after.text).toContain('<span class="delivery-status delivery-delivered">delivered</span>');
      expect(after.text).toMatch(/<td>2<\/td><td>[^<]+<\/td><td>200<\/td>/);
    });

    test('410 Gone disables the subscription and stops its deliveries', async () => {
      receiver.respondWith((r) => (r.path === '/gone' ? 410 : 200));
      const sub = await request(t.app)
        .post('/api/v1/webhooks')
        .set(bearer(t.keys.admin))
        .send({ url: `${receiver.url}/gone`, events: ['task.created'] });
      const { id } = await create(task());
      const [row] = await settled(id);
      expect(row).toMatchObject({ status: 'failed', lastStatusCode: 410 });
      const got = await request(t.app).get(`/api/v1/webhooks/${sub.body.id}`).set(bearer(t.keys.admin));
      expect(got.body).toMatchObject({ status: 'disabled', disabledReason: expect.stringContaining('410') });
      const next = await create(task());
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await deliveriesOf(next.id)).toEqual([]);
    });

    const privateRemedy = 'LOOPGATE_ALLOW_PRIVATE_CALLBACKS=true';
    test.each([
      ['loopback literal', 'http://127.0.0.1:9/x', privateRemedy],
      ['localhost name', 'http://localhost:9/x', privateRemedy],
      ['metadata', 'http://169.254.169.254/latest/meta-data', 'name that exact address in LOOPGATE_CALLBACK_ALLOWLIST'],
      ['private', 'http://10.1.2.3/hook', privateRemedy],
      ['IPv6 loopback', 'http://[::1]:9/x', privateRemedy],
      ['mapped IPv4', 'http://[::ffff:192.168.1.1]/x', privateRemedy],
      ['IPv4-compatible', 'http://[::127.0.0.1]/x', privateRemedy],
      ['IPv4-translated', 'http://[::ffff:0:127.0.0.1]/x', privateRemedy],
      ['6to4 of loopback', 'http://[2002:7f00:1::]/x', privateRemedy],
      ['site-local IPv6', 'http://[fec0::1]/x', privateRemedy],
      ['unresolvable', 'http://does-not-exist.invalid/x', 'does not resolve'],
    ])('SSRF: a %s URL is refused at registration, saying what would allow it', async (_name, url, remedy) => {
      const created = await request(t.app)
        .post('/api/v1/tasks')
        .set(bearer(t.keys.otherWorkspaceAdmin))
        .send(task({ callbackUrl: url }));
      expect(created.status).toBe(422);
      expect(created.body.code).toBe('callback_url_refused');
      expect(created.body.detail).toContain(remedy);
      const hook = await request(t.app)
        .post('/api/v1/webhooks')
        .set(bearer(t.keys.otherWorkspaceAdmin))
        .send({ url, events: ['task.decided'] });
      expect(hook.status).toBe(422);
      expect(hook.body.code).toBe('callback_url_refused');
    });

    test('SSRF: the workspace setting allows private targets; turning it off refuses them again at send time', async () => {
      const url = `${receiver.url}/private`;
      const setting = (allow: boolean) =>
        request(t.app)
          .post('/api/v1/settings/delivery')
          .set(bearer(t.keys.admin))
          .send({ allowPrivateCallbacks: allow });
      const { id } = await create(task({ callbackUrl: url }));
      // The other workspace's setting is still off.
      const foreign = await request(t.app)
        .post('/api/v1/tasks')
        .set(bearer(t.keys.otherWorkspaceAdmin))
        .send(task({ callbackUrl: url }));
      expect(foreign.status).toBe(422);
      expect((await setting(false)).body).toEqual({ allowPrivateCallbacks: false, callbackAllowlist: [] });
      try {
        const seen = receiver.requests.length;
        await request(t.app).post(`/api/v1/tasks/${id}/cancel`).set(bearer(t.keys.reviewer)).send({});
        const [row] = await settled(id);
        expect(row?.lastError).toMatch(/private.*LOOPGATE_ALLOW_PRIVATE_CALLBACKS/);
        expect(receiver.requests.length).toBe(seen);
      } finally {
        await setting(true);
      }
    });

    describe('SSRF: the workspace allow list', () => {
      const settings = (body: unknown, key = t.keys.otherWorkspaceAdmin) =>
        request(t.app)
          .post('/api/v1/settings/delivery')
          .set(bearer(key))
          .send(body as object);
      const current = async () =>
        (await request(t.app).get('/api/v1/settings/delivery').set(bearer(t.keys.otherWorkspaceAdmin))).body;
      afterEach(async () => {
        expect((await settings({ allowPrivateCallbacks: false, callbackAllowlist: [] })).status).toBe(200);
      });

      async function deliveriesIn(taskId: string): Promise<DeliveryView[]> {
        return until(
          `an attempted delivery of ${taskId}`,
          async () => {
            const res = await request(t.app)
              .get(`/api/v1/tasks/${taskId}/deliveries`)
              .set(bearer(t.keys.otherWorkspaceAdmin));
            const list = res.body.data as DeliveryView[];
            return list.length > 0 && list.every((d) => d.attempts > 0) ? list : undefined;
          },
          DELIVERY_WAIT,
        );
      }

      test('a listed address is accepted and delivered to; others stay refused; emptying the list refuses it again', async () => {
        const url = `${receiver.url}/allowlisted`;
        const createIn = (callbackUrl: string) =>
          request(t.app).post('/api/v1/tasks').set(bearer(t.keys.otherWorkspaceAdmin)).send(task({ callbackUrl }));
        expect((await createIn(url)).status).toBe(422);
        expect(await current()).toEqual({ allowPrivateCallbacks: false, callbackAllowlist: [] });

        const saved = await settings({ callbackAllowlist: ['127.0.0.1', ' *.svc.cluster.local ', '127.0.0.1'] });
        expect(saved.status).toBe(200);
        expect(saved.body).toEqual({
          allowPrivateCallbacks: false,
          callbackAllowlist: ['127.0.0.1', '*.svc.cluster.local'],
        });
        expect(await current()).toEqual(saved.body);
        // Changing one field keeps the other.
        expect((await settings({ allowPrivateCallbacks: false })).body.callbackAllowlist).toEqual([
          '127.0.0.1',
          '*.svc.cluster.local',
        ]);

        const delivered = await createIn(url);
        expect(delivered.status).toBe(201);
        const pending = await createIn(url);
        expect(pending.status).toBe(201);
        const elsewhere = await createIn('http://10.1.2.3/hook');
        expect(elsewhere.status).toBe(422);
        expect(elsewhere.body.detail).toContain('LOOPGATE_CALLBACK_ALLOWLIST');
        const hook = await request(t.app)
          .post('/api/v1/webhooks')
          .set(bearer(t.keys.otherWorkspaceAdmin))
          .send({ url: `${receiver.url}/allowlisted-hook`, events: ['task.decided'] });
        expect(hook.status).toBe(201);
        await request(t.app).delete(`/api/v1/webhooks/${hook.body.id}`).set(bearer(t.keys.otherWorkspaceAdmin));

        const seen = receiver.requests.length;
        await request(t.app)
          .post(`/api/v1/tasks/${delivered.body.id}/cancel`)
          .set(bearer(t.keys.otherWorkspaceAdmin))
          .send({});
        const [ok] = await deliveriesIn(delivered.body.id);
        expect(ok).toMatchObject({ status: 'delivered', lastStatusCode: 200 });
        expect(receiver.requests.slice(seen).map((r) => r.path)).toEqual(['/allowlisted']);

        expect((await settings({ callbackAllowlist: [] })).body.callbackAllowlist).toEqual([]);
        expect((await createIn(url)).status).toBe(422);
        const before = receiver.requests.length;
        await request(t.app)
          .post(`/api/v1/tasks/${pending.body.id}/cancel`)
          .set(bearer(t.keys.otherWorkspaceAdmin))
          .send({});
        const [refused] = await deliveriesIn(pending.body.id);
        expect(refused?.lastError).toMatch(/127\.0\.0\.1 is a private.*LOOPGATE_CALLBACK_ALLOWLIST/);
        expect(receiver.requests.length).toBe(before);
      });

      test('bad entries are refused with 400 naming each one; a workspace may not allow a metadata address', async () => {
        const res = await settings({
          callbackAllowlist: ['n8n', 'http://n8n:5678', '10.0.0.1/8', '169.254.169.254', 'fd00:ec2::254'],
        });
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('validation_failed');
        expect(res.body.errors).toEqual([
          { path: 'callbackAllowlist.1', message: expect.stringContaining('neither a host name') },
          { path: 'callbackAllowlist.2', message: expect.stringContaining('write 10.0.0.0/8') },
          {
            path: 'callbackAllowlist.3',
            message: expect.stringContaining("only the server's LOOPGATE_CALLBACK_ALLOWLIST"),
          },
          { path: 'callbackAllowlist.4', message: expect.stringContaining('cloud metadata address') },
        ]);
        expect(await current()).toEqual({ allowPrivateCallbacks: false, callbackAllowlist: [] });
        for (const body of [{}, { callbackAllowlist: 'n8n' }, { callbackAllowlist: [42] }, { allowList: [] }]) {
          expect([body, (await settings(body)).status]).toEqual([body, 400]);
        }
        expect((await settings({ callbackAllowlist: Array.from({ length: 101 }, (_, i) => `h${i}`) })).status).toBe(
          400,
        );
        expect((await settings({ callbackAllowlist: ['n8n'] }, t.keys.reviewer)).status).toBe(403);
      });

      test.each([
        'http://169.254.169.254/latest/meta-data/',
        'http://[fd00:ec2::254]/latest/meta-data/',
        'http://[::ffff:169.254.169.254]/',
        'http://100.100.100.200/latest/meta-data/',
      ])('%s stays refused where private targets are allowed, and a covering range does not unlock it', async (url) => {
        expect(
          (await settings({ allowPrivateCallbacks: true, callbackAllowlist: ['169.254.0.0/16', 'fd00::/8'] })).status,
        ).toBe(200);
        const created = await request(t.app)
          .post('/api/v1/tasks')
          .set(bearer(t.keys.otherWorkspaceAdmin))
          .send(task({ callbackUrl: url }));
        expect(created.status).toBe(422);
        expect(created.body.code).toBe('callback_url_refused');
        expect(created.body.detail).toContain('cloud metadata address');
        const hook = await request(t.app)
          .post('/api/v1/webhooks')
          .set(bearer(t.keys.otherWorkspaceAdmin))
          .send({ url, events: ['task.decided'] });
        expect(hook.status).toBe(422);
      });

      test('the server allow list (LOOPGATE_CALLBACK_ALLOWLIST) is the one place a metadata address can be named', async () => {
        const { entries } = parseAllowList(['169.254.169.254']);
        const operator = setUpDelivery(
          { store, clock: Date.now, logger: pino({ level: 'silent' }), bus: new InProcessTaskEventBus() },
          {
            publicUrl: 'http://localhost:3000',
            allowPrivateCallbacks: false,
            callbackAllowlist: entries,
            webhookTimeoutMs: 1_000,
            outboxPollMs: 100,
            outboxConcurrency: 1,
          },
        );
        await expect(
          operator.checkCallbackUrl('wsp_any', 'http://169.254.169.254/latest/meta-data/'),
        ).resolves.toBeUndefined();
        await expect(operator.checkCallbackUrl('wsp_any', 'http://169.254.170.2/v2/credentials')).rejects.toMatchObject(
          {
            code: 'callback_url_refused',
          },
        );
        await expect(operator.checkCallbackUrl('wsp_any', 'http://10.0.0.1/')).rejects.toMatchObject({
          code: 'callback_url_refused',
        });
      });
    });

    test('the delivery log lists by task and status; other workspaces see none of it', async () => {
      const { id } = await create(task({ callbackUrl: `${receiver.url}/log` }));
      await request(t.app)
        .post(`/api/v1/tasks/${id}/decision`)
        .set(bearer(t.keys.reviewer))
        .send({ action: 'approve' });
      const [row] = await settled(id);
      const byTask = await request(t.app).get(`/api/v1/deliveries?taskId=${id}`).set(bearer(t.keys.viewer));
      expect(byTask.body.data.map((d: DeliveryView) => d.id)).toEqual([row?.id]);
      const delivered = await request(t.app)
        .get('/api/v1/deliveries?status=delivered&limit=200')
        .set(bearer(t.keys.viewer));
      expect(delivered.body.data.map((d: DeliveryView) => d.id)).toContain(row?.id);
      const foreign = await request(t.app).get(`/api/v1/deliveries/${row?.id}`).set(bearer(t.keys.otherWorkspaceAdmin));
      expect(foreign.status).toBe(404);
      expect(
        (await request(t.app).get(`/api/v1/tasks/${id}/deliveries`).set(bearer(t.keys.otherWorkspaceAdmin))).status,
      ).toBe(404);
    });

    test('the OpenAPI document describes the delivery, settings, events and Slack routes', async () => {
      const res = await request(t.app).get('/api/openapi.json');
      expect(res.status).toBe(200);
      expect(Object.keys(res.body.paths)).toEqual(
        expect.arrayContaining([
          '/api/v1/webhooks',
          '/api/v1/webhooks/{id}',
          '/api/v1/webhooks/{id}/rotate-secret',
          '/api/v1/deliveries',
          '/api/v1/deliveries/{id}/redeliver',
          '/api/v1/tasks/{id}/deliveries',
          '/api/v1/settings/callback-secret',
          '/api/v1/settings/delivery',
          '/api/v1/events',
          '/api/v1/integrations/slack/interactions',
        ]),
      );
      expect(res.body.paths['/api/v1/tasks'].post.requestBody.content['application/json'].schema).toBeDefined();
    });

    test('SSE: /api/v1/events streams the workspace’s task changes, not other workspaces’', async () => {
      const server = t.app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const abort = new AbortController();
      try {
        const res = await fetch(`${base}/api/v1/events`, { headers: bearer(t.keys.viewer), signal: abort.signal });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
        const stream = sseReader(res);
        await stream.read(': connected');
        await create(task(), t.keys.otherWorkspaceAdmin);
        const { id } = await create(task());
        await request(t.app)
          .post(`/api/v1/tasks/${id}/decision`)
          .set(bearer(t.keys.reviewer))
          .send({ action: 'reject' });
        await stream.read('"status":"rejected"');
        const events = stream
          .text()
          .split('\n\n')
          .filter((block) => block.includes('event: task.changed'));
        expect(events.map((block) => JSON.parse(block.split('data: ')[1] ?? '{}').taskId)).toEqual([id, id]);
      } finally {
        abort.abort();
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });

    test('target URLs: admins and whoever registered one see it whole, everyone else only its origin', async () => {
      // Three URLs that are credentials: a task's resume URL (the reviewer key creates the task), a REST
      // hook (another reviewer subscribes) and a Slack incoming webhook (an admin sets it up).
      const deps = { store, clock: Date.now };
      const subscriber = (await createApiKey(deps, { name: 'subscriber', role: 'reviewer' })).key;
      const origin = receiver.url;
      const callbackUrl = `${origin}/resume/cb-secret-1?signature=sig-1`;
      const hookUrl = `${origin}/hooks/standard/hook-secret-2/`;
      const slackUrl = `${origin}/services/T000/B000/slack-secret-3`;
      const secrets = ['cb-secret-1', 'sig-1', 'hook-secret-2', 'slack-secret-3'];
      expect(
        (await request(t.app).post('/api/v1/queues').set(bearer(t.keys.admin)).send({ name: 'urls' })).status,
      ).toBe(201);
      const slack = await request(t.app)
        .post('/api/v1/integrations/slack')
        .set(bearer(t.keys.admin))
        .send({ webhookUrl: slackUrl, signingSecret: 'slack-signing-secret', queue: 'urls' });
      expect(slack.status).toBe(201);
      const sub = await request(t.app)
        .post('/api/v1/webhooks')
        .set(bearer(subscriber))
        .send({ url: hookUrl, events: ['task.decided'] });
      expect([sub.status, sub.body.url]).toEqual([201, hookUrl]);
      try {
        const seen = receiver.requests.length;
        const { id } = await create(task({ queue: 'urls', callbackUrl }));
        await request(t.app)
          .post(`/api/v1/tasks/${id}/decision`)
          .set(bearer(t.keys.reviewer))
          .send({ action: 'approve' });
        const rows = await settled(id, 3);
        expect(rows.map((d) => d.kind).sort()).toEqual(['callback', 'slack', 'subscription']);

        const whole = { callback: callbackUrl, subscription: hookUrl, slack: slackUrl };
        const roles = [
          { role: 'admin', key: t.keys.admin, sees: ['callback', 'subscription', 'slack'] },
          { role: 'task creator', key: t.keys.reviewer, sees: ['callback'] },
          { role: 'subscriber', key: subscriber, sees: ['subscription'] },
          { role: 'viewer', key: t.keys.viewer, sees: [] },
        ];
        for (const { role, key, sees } of roles) {
          const expected = (kind: keyof typeof whole) => (sees.includes(kind) ? whole[kind] : origin);
          const urls = (list: { kind: string; url: string }[]) => Object.fromEntries(list.map((d) => [d.kind, d.url]));
          const want = {
            callback: expected('callback'),
            subscription: expected('subscription'),
            slack: expected('slack'),
          };
          const ofTask = await request(t.app).get(`/api/v1/tasks/${id}/deliveries`).set(bearer(key));
          expect([role, urls(ofTask.body.data)]).toEqual([role, want]);
          const logged = await request(t.app).get(`/api/v1/deliveries?taskId=${id}`).set(bearer(key));
          expect([role, urls(logged.body.data)]).toEqual([role, want]);
          for (const row of rows) {
            const one = await request(t.app).get(`/api/v1/deliveries/${row.id}`).set(bearer(key));
            expect([role, row.kind, one.body.url]).toEqual([role, row.kind, want[row.kind as keyof typeof whole]]);
          }
          const viewed = await request(t.app).get(`/api/v1/tasks/${id}`).set(bearer(key));
          expect([role, viewed.body.callbackUrl, viewed.body.hasCallback]).toEqual([role, want.callback, true]);
          if (sees.length === 0) {
            const everything = JSON.stringify([ofTask.body, logged.body, viewed.body]);
            for (const secret of secrets) expect([role, everything.includes(secret)]).toEqual([role, false]);
          }
          if (role !== 'viewer') {
            const subs = await request(t.app).get('/api/v1/webhooks').set(bearer(key));
            const mine = (subs.body.data as { id: string; url: string }[]).find((s) => s.id === sub.body.id);
            expect([role, mine?.url]).toEqual([role, want.subscription]);
            const got = await request(t.app).get(`/api/v1/webhooks/${sub.body.id}`).set(bearer(key));
            expect([role, got.body.url]).toEqual([role, want.subscription]);
          }
        }
        // Webhook payloads are read by every receiver: the task copy in them names only the origin.
        const received = receiver.requests
          .slice(seen)
          .filter((r) => r.path.startsWith('/resume/') || r.path.startsWith('/hooks/'));
        expect(received.map((r) => r.path.split('/')[1]).sort()).toEqual(['hooks', 'resume']);
        for (const r of received) {
          const payload = JSON.parse(r.body) as WebhookPayload;
          expect(payload.data.task).toMatchObject({ callbackUrl: origin, hasCallback: true });
          for (const secret of secrets) expect(r.body.includes(secret)).toBe(false);
        }

        // Slack integrations are an admin's business: they see the URL whole, nobody else lists them.
        const integrations = await request(t.app).get('/api/v1/integrations/slack').set(bearer(t.keys.admin));
        expect(integrations.body.data.find((i: { id: string }) => i.id === slack.body.id)?.webhookUrl).toBe(slackUrl);
        // The admin's redeliver answers with the whole URL; a rotation by someone else than the subscriber does not.
        const again = await request(t.app)
          .post(`/api/v1/deliveries/${rows[0]?.id}/redeliver`)
          .set(bearer(t.keys.admin));
        expect(again.body.url).toBe(whole[rows[0]?.kind as keyof typeof whole]);
        const rotated = await request(t.app)
          .post(`/api/v1/webhooks/${sub.body.id}/rotate-secret`)
          .set(bearer(t.keys.reviewer));
        expect([rotated.status, rotated.body.url]).toEqual([200, origin]);

        // The task page applies the same rule: a reviewer who registered none of them sees three origins.
        await upsertUser(deps, { email: 'urls-reviewer@example.com', password: PASSWORD, role: 'reviewer' });
        await upsertUser(deps, { email: 'urls-admin@example.com', password: PASSWORD, role: 'admin' });
        const reviewerPage = await (await logInAs(t.app, 'urls-reviewer@example.com', PASSWORD)).agent.get(
          `/tasks/${id}`,
        );
        expect(reviewerPage.status).toBe(200);
        expect(reviewerPage.text.split(`<code>${origin}</code>`)).toHaveLength(4);
        for (const secret of secrets) expect(reviewerPage.text.includes(secret)).toBe(false);
        const adminPage = await (await logInAs(t.app, 'urls-admin@example.com', PASSWORD)).agent.get(`/tasks/${id}`);
        for (const url of Object.values(whole))
          expect(adminPage.text).toContain(`<code>${url.replaceAll('&', '&amp;')}</code>`);
      } finally {
        await request(t.app).delete(`/api/v1/webhooks/${sub.body.id}`).set(bearer(t.keys.admin));
        await request(t.app).delete(`/api/v1/integrations/slack/${slack.body.id}`).set(bearer(t.keys.admin));
      }
    });
  });
}
