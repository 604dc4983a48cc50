import { verifyWebhook, type WebhookPayload } from '@loopgate/shared';
import request from 'supertest';
import { bearer } from '../test-support/api-requests.js';
import { DATABASES } from '../test-support/databases.js';
import { DELIVERY_WAIT, type DeliveryView, task, useDeliveryApp } from '../test-support/delivery-app.js';
import { until } from '../test-support/until.js';

for (const database of DATABASES) {
  describe(`${database}: decision delivery API`, () => {
    const d = useDeliveryApp(database, { workspaceAllowsPrivate: true });

    test('a decision POSTs the signed final outcome to the callback URL once; the attempt is logged', async () => {
      const seen = d.receiver.requests.length;
      const { id } = await d.create(
        task({
          callbackUrl: `${d.receiver.url}/n8n/resume/abc`,
          externalRef: 'order-1234',
          responseForm: { type: 'object', properties: { reply: { type: 'string' } }, required: ['reply'] },
        }),
      );
      const decided = await request(d.app)
        .post(`/api/v1/tasks/${id}/decision`)
        .set(bearer(d.keys.reviewer))
        .send({
          action: 'approve_with_modifications',
          comment: 'lower amount',
          modifiedPayload: { amount: 40 },
          response: { reply: 'Partial refund, sorry' },
        });
      expect(decided.status).toBe(200);
      const [received] = (await d.receiver.waitFor(seen + 1)).slice(seen);
      expect(received?.path).toBe('/n8n/resume/abc');
      const secret = await d.callbackSecret();
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
          reasonCode: null,
          response: { reply: 'Partial refund, sorry' },
          externalRef: 'order-1234',
        },
      });
      expect(payload.data.task.decision?.response).toEqual({ reply: 'Partial refund, sorry' });
      // The payload's task copy never carries the resume URL, only its origin (subscribers get the same body shape).
      expect(payload.data.task).toMatchObject({ callbackUrl: d.receiver.url, hasCallback: true });
      const [row] = await d.settled(id);
      expect(row).toMatchObject({ id: verified.id, kind: 'callback', status: 'delivered', attempts: 1 });
      expect(row?.attemptLog).toEqual([expect.objectContaining({ attempt: 1, statusCode: 200, error: null })]);
      // 'created' is not a final event: the callback got exactly one request for this task.
      expect(d.receiver.requests.filter((r) => r.path === '/n8n/resume/abc')).toHaveLength(1);
    });

    test.each([
      ['cancel', 'cancelled', 'task.cancelled', (id: string) => `/api/v1/tasks/${id}/cancel`, {}],
      [
        'reject',
        'rejected',
        'task.decided',
        (id: string) => `/api/v1/tasks/${id}/decision`,
        { action: 'reject', comment: 'no' },
      ],
    ])('%s: the callback receives %s as %s', async (_name, status, type, path, body) => {
      const seen = d.receiver.requests.length;
      const { id } = await d.create(task({ callbackUrl: `${d.receiver.url}/cb/${_name}` }));
      expect((await request(d.app).post(path(id)).set(bearer(d.keys.reviewer)).send(body)).status).toBe(200);
      const [received] = (await d.receiver.waitFor(seen + 1)).slice(seen);
      expect(JSON.parse(received?.body ?? '{}')).toMatchObject({ type, data: { taskId: id, status } });
    });

    test("a reject's reason code travels in the callback, top level and in the task copy", async () => {
      const queue = await request(d.app)
        .post('/api/v1/queues')
        .set(bearer(d.keys.admin))
        .send({ name: 'refund-reasons', config: { rejectReasons: [{ code: 'no-receipt', label: 'No receipt' }] } });
      expect(queue.status).toBe(201);
      const seen = d.receiver.requests.length;
      const { id } = await d.create(task({ queue: 'refund-reasons', callbackUrl: `${d.receiver.url}/cb/reason` }));
      const refused = await request(d.app)
        .post(`/api/v1/tasks/${id}/decision`)
        .set(bearer(d.keys.reviewer))
        .send({ action: 'reject', comment: 'no' });
      expect(refused.status).toBe(400);
      expect(refused.body.errors).toEqual([{ path: 'reasonCode', message: 'Choose a reason: one of no-receipt' }]);
      const decided = await request(d.app)
        .post(`/api/v1/tasks/${id}/decision`)
        .set(bearer(d.keys.reviewer))
        .send({ action: 'reject', comment: 'Ask for the receipt', reasonCode: 'no-receipt' });
      expect(decided.status).toBe(200);
      expect(decided.body.decision).toMatchObject({ reasonCode: 'no-receipt', response: null });
      const [received] = (await d.receiver.waitFor(seen + 1)).slice(seen);
      const payload = JSON.parse(received?.body ?? '{}') as WebhookPayload;
      expect(payload.data).toMatchObject({ status: 'rejected', reasonCode: 'no-receipt', response: null });
      expect(payload.data.task.decision?.reasonCode).toBe('no-receipt');
    });

    test.each([
      ['500', 500, 'pending', /HTTP 500/],
      ['302 (redirects are not followed)', 302, 'pending', /redirects are not followed/],
      ['timeout', 'hold' as const, 'pending', /timed out after 1000 ms/],
    ])('a %s answer is a failed attempt, logged, retried later with backoff', async (_name, answer, status, error) => {
      d.receiver.respondWith(() => answer);
      const started = Date.now();
      const { id } = await d.create(task({ callbackUrl: `${d.receiver.url}/fail/${_name.slice(0, 3)}` }));
      await request(d.app)
        .post(`/api/v1/tasks/${id}/decision`)
        .set(bearer(d.keys.reviewer))
        .send({ action: 'approve' });
      const [row] = await d.settled(id);
      d.receiver.release(200);
      expect(row).toMatchObject({ status, attempts: 1 });
      expect(row?.lastError).toMatch(error);
      expect(row?.attemptLog[0]?.error).toMatch(error);
      // First retry after 5 s ± 20 %.
      const next = Date.parse(row?.nextAttemptAt ?? '');
      expect(next).toBeGreaterThanOrEqual(started + 4_000);
      expect(next).toBeLessThanOrEqual(Date.now() + 6_000);
      expect(d.receiver.requests.filter((r) => r.path.startsWith(`/fail/${_name.slice(0, 3)}`))).toHaveLength(1);

      // An admin redelivers: same webhook-id, sent now.
      d.receiver.respondWith(() => 200);
      expect(
        (await request(d.app).post(`/api/v1/deliveries/${row?.id}/redeliver`).set(bearer(d.keys.reviewer))).status,
      ).toBe(403);
      const again = await request(d.app).post(`/api/v1/deliveries/${row?.id}/redeliver`).set(bearer(d.keys.admin));
      expect(again.status).toBe(202);
      const done = await until(
        'the redelivery',
        async () => {
          const res = await request(d.app).get(`/api/v1/deliveries/${row?.id}`).set(bearer(d.keys.viewer));
          return res.body.status === 'delivered' ? (res.body as DeliveryView) : undefined;
        },
        DELIVERY_WAIT,
      );
      expect(done.attempts).toBe(2);
      expect(done.attemptLog.map((a) => a.statusCode)).toEqual([answer === 'hold' ? null : answer, 200]);
      const sends = d.receiver.requests.filter((r) => r.path.startsWith(`/fail/${_name.slice(0, 3)}`));
      expect(new Set(sends.map((r) => r.headers['webhook-id']))).toEqual(new Set([row?.id]));
    });

    test('the delivery log lists by task and status; other workspaces see none of it', async () => {
      const { id } = await d.create(task({ callbackUrl: `${d.receiver.url}/log` }));
      await request(d.app)
        .post(`/api/v1/tasks/${id}/decision`)
        .set(bearer(d.keys.reviewer))
        .send({ action: 'approve' });
      const [row] = await d.settled(id);
      const byTask = await request(d.app).get(`/api/v1/deliveries?taskId=${id}`).set(bearer(d.keys.viewer));
      expect(byTask.body.data.map((d: DeliveryView) => d.id)).toEqual([row?.id]);
      const delivered = await request(d.app)
        .get('/api/v1/deliveries?status=delivered&limit=200')
        .set(bearer(d.keys.viewer));
      expect(delivered.body.data.map((d: DeliveryView) => d.id)).toContain(row?.id);
      const foreign = await request(d.app).get(`/api/v1/deliveries/${row?.id}`).set(bearer(d.keys.otherWorkspaceAdmin));
      expect(foreign.status).toBe(404);
      expect(
        (await request(d.app).get(`/api/v1/tasks/${id}/deliveries`).set(bearer(d.keys.otherWorkspaceAdmin))).status,
      ).toBe(404);
    });

    test('the OpenAPI document describes the delivery, settings, events and Slack routes', async () => {
      const res = await request(d.app).get('/api/openapi.json');
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
  });
}
