import { verifyWebhook } from '@loopgate/shared';
import request from 'supertest';
import { bearer } from '../test-support/api-requests.js';
import { DATABASES } from '../test-support/databases.js';
import { task, useDeliveryApp } from '../test-support/delivery-app.js';

for (const database of DATABASES) {
  describe(`${database}: REST-hook subscriptions`, () => {
    const d = useDeliveryApp(database, { workspaceAllowsPrivate: true });

    test('subscriptions: REST-hook subscribe, signed per subscription, only subscribed events, unsubscribe', async () => {
      const sub = await request(d.app)
        .post('/api/v1/webhooks')
        .set(bearer(d.keys.reviewer))
        .send({ url: `${d.receiver.url}/zap`, events: ['task.created', 'task.decided'] });
      expect(sub.status).toBe(201);
      expect(sub.body).toMatchObject({ id: expect.stringMatching(/^whk_/), status: 'active' });
      expect(sub.body.secret).toMatch(/^whsec_/);
      const list = await request(d.app).get('/api/v1/webhooks').set(bearer(d.keys.reviewer));
      expect(list.body.data.map((s: { id: string }) => s.id)).toContain(sub.body.id);
      expect(list.body.data[0].secret).toBeUndefined();

      const { id } = await d.create(task());
      await request(d.app).post(`/api/v1/tasks/${id}/cancel`).set(bearer(d.keys.reviewer)).send({});
      const rows = await d.settled(id, 1);
      // created was subscribed, cancelled was not.
      expect(rows.map((d) => d.eventType)).toEqual(['task.created']);
      const received = d.receiver.requests.find((r) => r.headers['webhook-id'] === rows[0]?.id);
      expect(received?.path).toBe('/zap');
      await expect(verifyWebhook(sub.body.secret, received?.headers ?? {}, received?.body ?? '')).resolves.toEqual({
        id: rows[0]?.id,
        timestamp: expect.any(Number),
      });
      await expect(
        verifyWebhook(await d.callbackSecret(), received?.headers ?? {}, received?.body ?? ''),
      ).rejects.toThrow('No matching webhook signature');

      // Another workspace cannot see or delete it.
      const foreign = await request(d.app)
        .delete(`/api/v1/webhooks/${sub.body.id}`)
        .set(bearer(d.keys.otherWorkspaceAdmin));
      expect(foreign.status).toBe(404);
      expect((await request(d.app).get('/api/v1/webhooks').set(bearer(d.keys.viewer))).status).toBe(403);
      const deleted = await request(d.app).delete(`/api/v1/webhooks/${sub.body.id}`).set(bearer(d.keys.reviewer));
      expect(deleted.status).toBe(204);
      const after = await d.create(task());
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await d.deliveriesOf(after.id)).toEqual([]);
    });

    test('rotation: deliveries carry both signatures during the overlap; old and new secrets verify', async () => {
      const sub = await request(d.app)
        .post('/api/v1/webhooks')
        .set(bearer(d.keys.admin))
        .send({ url: `${d.receiver.url}/rotate`, events: ['task.created'] });
      const rotated = await request(d.app)
        .post(`/api/v1/webhooks/${sub.body.id}/rotate-secret`)
        .set(bearer(d.keys.admin));
      expect(rotated.status).toBe(200);
      expect(rotated.body.secret).not.toBe(sub.body.secret);
      const { id } = await d.create(task());
      const [row] = await d.settled(id);
      const received = d.receiver.requests.find((r) => r.headers['webhook-id'] === row?.id);
      expect(String(received?.headers['webhook-signature']).split(' ')).toHaveLength(2);
      for (const secret of [sub.body.secret, rotated.body.secret]) {
        await expect(verifyWebhook(secret, received?.headers ?? {}, received?.body ?? '')).resolves.toBeDefined();
      }
      await request(d.app).delete(`/api/v1/webhooks/${sub.body.id}`).set(bearer(d.keys.admin));

      const before = await d.callbackSecret();
      const rotatedCallback = await request(d.app)
        .post('/api/v1/settings/callback-secret/rotate')
        .set(bearer(d.keys.admin));
      expect(rotatedCallback.body.secret).not.toBe(before);
      expect(rotatedCallback.body.previousSecretExpiresAt).not.toBeNull();
      expect((await request(d.app).get('/api/v1/settings/callback-secret').set(bearer(d.keys.reviewer))).status).toBe(
        403,
      );
    });

    test('410 Gone disables the subscription and stops its deliveries', async () => {
      d.receiver.respondWith((r) => (r.path === '/gone' ? 410 : 200));
      const sub = await request(d.app)
        .post('/api/v1/webhooks')
        .set(bearer(d.keys.admin))
        .send({ url: `${d.receiver.url}/gone`, events: ['task.created'] });
      const { id } = await d.create(task());
      const [row] = await d.settled(id);
      expect(row).toMatchObject({ status: 'failed', lastStatusCode: 410 });
      const got = await request(d.app).get(`/api/v1/webhooks/${sub.body.id}`).set(bearer(d.keys.admin));
      expect(got.body).toMatchObject({ status: 'disabled', disabledReason: expect.stringContaining('410') });
      const next = await d.create(task());
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await d.deliveriesOf(next.id)).toEqual([]);
    });
  });
}
