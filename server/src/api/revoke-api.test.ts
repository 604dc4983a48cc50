import { verifyWebhook } from '@loopgate/shared';
import request from 'supertest';
import { bearer } from '../test-support/api-requests.js';
import { DATABASES } from '../test-support/databases.js';
import { task, useDeliveryApp } from '../test-support/delivery-app.js';
import { until } from '../test-support/until.js';

for (const database of DATABASES) {
  describe(`${database}: POST /api/v1/tasks/{id}/revoke`, () => {
    const d = useDeliveryApp(database, { workspaceAllowsPrivate: true });

    test('revoking an approval: 200 revoked with the decision kept; task.revoked signed to the callback and to subscribers', async () => {
      const sub = await request(d.app)
        .post('/api/v1/webhooks')
        .set(bearer(d.keys.reviewer))
        .send({ url: `${d.receiver.url}/subscriber`, events: ['task.revoked'] });
      expect(sub.status).toBe(201);
      const { id } = await d.create(task({ callbackUrl: `${d.receiver.url}/callback` }));
      const decided = await request(d.app)
        .post(`/api/v1/tasks/${id}/decision`)
        .set(bearer(d.keys.admin))
        .send({ action: 'approve', comment: 'ok' });
      expect(decided.status).toBe(200);
      const res = await request(d.app)
        .post(`/api/v1/tasks/${id}/revoke`)
        .set(bearer(d.keys.admin))
        .set('X-Request-Id', 'req-revoke-api')
        .send({ reason: 'paid twice' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id, status: 'revoked', decision: decided.body.decision });

      // task.decided to the callback, then task.revoked to the callback and the subscriber.
      const rows = await d.settled(id, 3);
      expect(rows.map((r) => [r.kind, r.eventType]).sort()).toEqual([
        ['callback', 'task.decided'],
        ['callback', 'task.revoked'],
        ['subscription', 'task.revoked'],
      ]);
      const revokedToCallback = rows.find((r) => r.kind === 'callback' && r.eventType === 'task.revoked');
      const received = await until('the callback receives task.revoked', async () =>
        d.receiver.requests.find((r) => r.headers['webhook-id'] === revokedToCallback?.id),
      );
      await expect(verifyWebhook(await d.callbackSecret(), received.headers, received.body)).resolves.toMatchObject({
        id: revokedToCallback?.id,
      });
      const body = JSON.parse(received.body);
      expect(body).toMatchObject({
        type: 'task.revoked',
        data: {
          taskId: id,
          status: 'revoked',
          action: 'approve',
          comment: 'ok',
          event: { type: 'revoked', reason: 'paid twice', data: { action: 'approve' } },
        },
      });
      const toSubscriberRow = rows.find((r) => r.kind === 'subscription');
      const toSubscriber = await until('the subscriber receives task.revoked', async () =>
        d.receiver.requests.find((r) => r.path === '/subscriber'),
      );
      await expect(verifyWebhook(sub.body.secret, toSubscriber.headers, toSubscriber.body)).resolves.toMatchObject({
        id: toSubscriberRow?.id,
      });
      expect(JSON.parse(toSubscriber.body)).toMatchObject({ type: 'task.revoked', data: { taskId: id } });

      const events = await request(d.app).get(`/api/v1/tasks/${id}/events`).set(bearer(d.keys.viewer));
      expect(events.body.data.map((e: { type: string }) => e.type)).toEqual(['created', 'decided', 'revoked']);
      const listed = await request(d.app).get('/api/v1/tasks?status=revoked').set(bearer(d.keys.viewer));
      expect(listed.status).toBe(200);
      expect(listed.body.data.map((t: { id: string }) => t.id)).toContain(id);
    });

    test('refusals: reviewer 403, another workspace 404, not approved 409, no reason 400', async () => {
      const { id } = await d.create(task());
      const call = (key: string, body: object = { reason: 'x' }) =>
        request(d.app).post(`/api/v1/tasks/${id}/revoke`).set(bearer(key)).send(body);
      expect((await call(d.keys.admin)).body).toMatchObject({ status: 409, code: 'conflict' });
      await request(d.app).post(`/api/v1/tasks/${id}/decision`).set(bearer(d.keys.admin)).send({ action: 'approve' });
      expect((await call(d.keys.reviewer)).status).toBe(403);
      expect((await call(d.keys.otherWorkspaceAdmin)).status).toBe(404);
      const noReason = await call(d.keys.admin, {});
      expect([noReason.status, noReason.body.errors?.[0]?.path]).toEqual([400, 'reason']);
      expect((await call(d.keys.admin)).status).toBe(200);
    });
  });
}
