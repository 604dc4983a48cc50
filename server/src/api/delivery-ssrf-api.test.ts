import pino from 'pino';
import request from 'supertest';
import { setUpDelivery } from '../delivery-setup.js';
import { parseAllowList } from '../domain/delivery/callback-targets.js';
import { InProcessTaskEventBus } from '../events/in-process-bus.js';
import { bearer } from '../test-support/api-requests.js';
import { DATABASES } from '../test-support/databases.js';
import {
  DELIVERY_WAIT,
  type DeliveryView,
  task,
  testDeliverySettings,
  useDeliveryApp,
} from '../test-support/delivery-app.js';
import { until } from '../test-support/until.js';

for (const database of DATABASES) {
  describe(`${database}: SSRF checks on delivery targets`, () => {
    const d = useDeliveryApp(database, { workspaceAllowsPrivate: true });

    /** The other workspace keeps the default setting: private targets refused. */
    const createElsewhere = (callbackUrl: string) =>
      request(d.app).post('/api/v1/tasks').set(bearer(d.keys.otherWorkspaceAdmin)).send(task({ callbackUrl }));
    const subscribeElsewhere = (url: string) =>
      request(d.app)
        .post('/api/v1/webhooks')
        .set(bearer(d.keys.otherWorkspaceAdmin))
        .send({ url, events: ['task.decided'] });

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
      const created = await createElsewhere(url);
      expect(created.status).toBe(422);
      expect(created.body.code).toBe('callback_url_refused');
      expect(created.body.detail).toContain(remedy);
      const hook = await subscribeElsewhere(url);
      expect(hook.status).toBe(422);
      expect(hook.body.code).toBe('callback_url_refused');
    });

    test('SSRF: the workspace setting allows private targets; turning it off refuses them again at send time', async () => {
      const url = `${d.receiver.url}/private`;
      const setting = (allow: boolean) =>
        request(d.app)
          .post('/api/v1/settings/delivery')
          .set(bearer(d.keys.admin))
          .send({ allowPrivateCallbacks: allow });
      const { id } = await d.create(task({ callbackUrl: url }));
      // The other workspace's setting is still off.
      const foreign = await createElsewhere(url);
      expect(foreign.status).toBe(422);
      expect((await setting(false)).body).toEqual({ allowPrivateCallbacks: false, callbackAllowlist: [] });
      try {
        const seen = d.receiver.requests.length;
        await request(d.app).post(`/api/v1/tasks/${id}/cancel`).set(bearer(d.keys.reviewer)).send({});
        const [row] = await d.settled(id);
        expect(row?.lastError).toMatch(/private.*LOOPGATE_ALLOW_PRIVATE_CALLBACKS/);
        expect(d.receiver.requests.length).toBe(seen);
      } finally {
        await setting(true);
      }
    });

    describe('SSRF: the workspace allow list', () => {
      const settings = (body: unknown, key = d.keys.otherWorkspaceAdmin) =>
        request(d.app)
          .post('/api/v1/settings/delivery')
          .set(bearer(key))
          .send(body as object);
      const current = async () =>
        (await request(d.app).get('/api/v1/settings/delivery').set(bearer(d.keys.otherWorkspaceAdmin))).body;
      afterEach(async () => {
        expect((await settings({ allowPrivateCallbacks: false, callbackAllowlist: [] })).status).toBe(200);
      });

      async function deliveriesIn(taskId: string): Promise<DeliveryView[]> {
        return until(
          `an attempted delivery of ${taskId}`,
          async () => {
            const res = await request(d.app)
              .get(`/api/v1/tasks/${taskId}/deliveries`)
              .set(bearer(d.keys.otherWorkspaceAdmin));
            const list = res.body.data as DeliveryView[];
            return list.length > 0 && list.every((row) => row.attempts > 0) ? list : undefined;
          },
          DELIVERY_WAIT,
        );
      }

      test('a listed address is accepted and delivered to; others stay refused; emptying the list refuses it again', async () => {
        const url = `${d.receiver.url}/allowlisted`;
        expect((await createElsewhere(url)).status).toBe(422);
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

        const delivered = await createElsewhere(url);
        expect(delivered.status).toBe(201);
        const pending = await createElsewhere(url);
        expect(pending.status).toBe(201);
        const elsewhere = await createElsewhere('http://10.1.2.3/hook');
        expect(elsewhere.status).toBe(422);
        expect(elsewhere.body.detail).toContain('LOOPGATE_CALLBACK_ALLOWLIST');
        const hook = await request(d.app)
          .post('/api/v1/webhooks')
          .set(bearer(d.keys.otherWorkspaceAdmin))
          .send({ url: `${d.receiver.url}/allowlisted-hook`, events: ['task.decided'] });
        expect(hook.status).toBe(201);
        await request(d.app).delete(`/api/v1/webhooks/${hook.body.id}`).set(bearer(d.keys.otherWorkspaceAdmin));

        const seen = d.receiver.requests.length;
        await request(d.app)
          .post(`/api/v1/tasks/${delivered.body.id}/cancel`)
          .set(bearer(d.keys.otherWorkspaceAdmin))
          .send({});
        const [ok] = await deliveriesIn(delivered.body.id);
        expect(ok).toMatchObject({ status: 'delivered', lastStatusCode: 200 });
        expect(d.receiver.requests.slice(seen).map((r) => r.path)).toEqual(['/allowlisted']);

        expect((await settings({ callbackAllowlist: [] })).body.callbackAllowlist).toEqual([]);
        expect((await createElsewhere(url)).status).toBe(422);
        const before = d.receiver.requests.length;
        await request(d.app)
          .post(`/api/v1/tasks/${pending.body.id}/cancel`)
          .set(bearer(d.keys.otherWorkspaceAdmin))
          .send({});
        const [refused] = await deliveriesIn(pending.body.id);
        expect(refused?.lastError).toMatch(/127\.0\.0\.1 is a private.*LOOPGATE_CALLBACK_ALLOWLIST/);
        expect(d.receiver.requests.length).toBe(before);
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
        expect((await settings({ callbackAllowlist: ['n8n'] }, d.keys.reviewer)).status).toBe(403);
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
        const created = await createElsewhere(url);
        expect(created.status).toBe(422);
        expect(created.body.code).toBe('callback_url_refused');
        expect(created.body.detail).toContain('cloud metadata address');
        const hook = await subscribeElsewhere(url);
        expect(hook.status).toBe(422);
      });

      test('the server allow list (LOOPGATE_CALLBACK_ALLOWLIST) is the one place a metadata address can be named', async () => {
        const { entries } = parseAllowList(['169.254.169.254']);
        const operator = setUpDelivery(
          { store: d.store, clock: Date.now, logger: pino({ level: 'silent' }), bus: new InProcessTaskEventBus() },
          testDeliverySettings({ callbackAllowlist: entries, outboxConcurrency: 1 }),
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
  });
}
