import type { WebhookPayload } from '@loopgate/shared';
import request from 'supertest';
import { createApiKey } from '../domain/admin/api-keys.js';
import { upsertUser } from '../domain/admin/users.js';
import { bearer } from '../test-support/api-requests.js';
import { DATABASES } from '../test-support/databases.js';
import { DELIVERY_WAIT, PASSWORD, task, useDeliveryApp } from '../test-support/delivery-app.js';
import { until } from '../test-support/until.js';
import { logInAs } from '../test-support/web-login.js';

for (const database of DATABASES) {
  describe(`${database}: who sees a delivery target`, () => {
    const d = useDeliveryApp(database, { workspaceAllowsPrivate: true });

    test('the task page shows every attempt; an admin redelivers from it, a viewer sees only where it went', async () => {
      for (const [email, role] of [
        ['page-admin@example.com', 'admin'],
        ['page-viewer@example.com', 'viewer'],
      ] as const) {
        await upsertUser({ store: d.store, clock: Date.now }, { email, password: PASSWORD, role });
      }
      d.receiver.respondWith(() => 503);
      const { id } = await d.create(task({ callbackUrl: `${d.receiver.url}/resume/secret-token-123?sig=abc` }));
      const other = await d.create(task());
      await request(d.app)
        .post(`/api/v1/tasks/${id}/decision`)
        .set(bearer(d.keys.reviewer))
        .send({ action: 'reject', comment: 'no' });
      const [row] = await d.settled(id);

      const admin = await logInAs(d.app, 'page-admin@example.com', PASSWORD);
      const page = await admin.agent.get(`/tasks/${id}`);
      expect(page.status).toBe(200);
      const section = page.text.slice(page.text.indexOf('id="deliveries"'), page.text.indexOf('class="history"'));
      expect(section).toContain(`data-delivery="${row?.id}"`);
      expect(section).toContain('task.decided');
      expect(section).toContain('<span class="delivery-status delivery-pending">pending</span>');
      expect(section).toMatch(
        /<td[^>]*>1<\/td><td[^>]*>[^<]+<\/td><td[^>]*>503<\/td><td[^>]*>\d+ ms<\/td><td[^>]*>HTTP 503<\/td>/,
      );
      expect(section).toContain(`${d.receiver.url}/resume/secret-token-123?sig=abc`);
      expect(section).toContain('Redeliver');

      // Callback URLs carry resume tokens: a viewer sees the origin, no path, no redeliver button.
      const viewer = await logInAs(d.app, 'page-viewer@example.com', PASSWORD);
      const viewed = await viewer.agent.get(`/tasks/${id}`);
      expect(viewed.text).toContain(`<code>${d.receiver.url}</code>`);
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
      expect(d.receiver.requests.filter((r) => r.path.startsWith('/resume/secret-token-123'))).toHaveLength(1);

      d.receiver.respondWith(() => 200);
      const redelivered = await admin.agent
        .post(`/tasks/${id}/deliveries/${row?.id}/redeliver`)
        .type('form')
        .send({ _csrf: admin.csrf });
      expect([redelivered.status, redelivered.headers.location]).toEqual([303, `/tasks/${id}#deliveries`]);
      await until(
        'the redelivery',
        async () => {
          const res = await request(d.app).get(`/api/v1/deliveries/${row?.id}`).set(bearer(d.keys.viewer));
          return res.body.status === 'delivered' ? true : undefined;
        },
        DELIVERY_WAIT,
      );
      const after = await admin.agent.get(`/tasks/${id}`);
      expect(after.text).toContain('<span class="delivery-status delivery-delivered">delivered</span>');
      expect(after.text).toMatch(/<td[^>]*>2<\/td><td[^>]*>[^<]+<\/td><td[^>]*>200<\/td>/);
    });

    test('target URLs: admins and whoever registered one see it whole, everyone else only its origin', async () => {
      // Three URLs that are credentials: a task's resume URL (the reviewer key creates the task), a REST
      // hook (another reviewer subscribes) and a Slack incoming webhook (an admin sets it up).
      const deps = { store: d.store, clock: Date.now };
      const subscriber = (await createApiKey(deps, { name: 'subscriber', role: 'reviewer' })).key;
      const origin = d.receiver.url;
      const callbackUrl = `${origin}/resume/cb-secret-1?signature=sig-1`;
      const hookUrl = `${origin}/hooks/standard/hook-secret-2/`;
      const slackUrl = `${origin}/services/T000/B000/slack-secret-3`;
      const secrets = ['cb-secret-1', 'sig-1', 'hook-secret-2', 'slack-secret-3'];
      expect(
        (await request(d.app).post('/api/v1/queues').set(bearer(d.keys.admin)).send({ name: 'urls' })).status,
      ).toBe(201);
      const slack = await request(d.app)
        .post('/api/v1/integrations/slack')
        .set(bearer(d.keys.admin))
        .send({ webhookUrl: slackUrl, signingSecret: 'slack-signing-secret', queue: 'urls' });
      expect(slack.status).toBe(201);
      const sub = await request(d.app)
        .post('/api/v1/webhooks')
        .set(bearer(subscriber))
        .send({ url: hookUrl, events: ['task.decided'] });
      expect([sub.status, sub.body.url]).toEqual([201, hookUrl]);
      try {
        const seen = d.receiver.requests.length;
        const { id } = await d.create(task({ queue: 'urls', callbackUrl }));
        await request(d.app)
          .post(`/api/v1/tasks/${id}/decision`)
          .set(bearer(d.keys.reviewer))
          .send({ action: 'approve' });
        const rows = await d.settled(id, 3);
        expect(rows.map((d) => d.kind).sort()).toEqual(['callback', 'slack', 'subscription']);

        const whole = { callback: callbackUrl, subscription: hookUrl, slack: slackUrl };
        const roles = [
          { role: 'admin', key: d.keys.admin, sees: ['callback', 'subscription', 'slack'] },
          { role: 'task creator', key: d.keys.reviewer, sees: ['callback'] },
          { role: 'subscriber', key: subscriber, sees: ['subscription'] },
          { role: 'viewer', key: d.keys.viewer, sees: [] },
        ];
        for (const { role, key, sees } of roles) {
          const expected = (kind: keyof typeof whole) => (sees.includes(kind) ? whole[kind] : origin);
          const urls = (list: { kind: string; url: string }[]) => Object.fromEntries(list.map((d) => [d.kind, d.url]));
          const want = {
            callback: expected('callback'),
            subscription: expected('subscription'),
            slack: expected('slack'),
          };
          const ofTask = await request(d.app).get(`/api/v1/tasks/${id}/deliveries`).set(bearer(key));
          expect([role, urls(ofTask.body.data)]).toEqual([role, want]);
          const logged = await request(d.app).get(`/api/v1/deliveries?taskId=${id}`).set(bearer(key));
          expect([role, urls(logged.body.data)]).toEqual([role, want]);
          for (const row of rows) {
            const one = await request(d.app).get(`/api/v1/deliveries/${row.id}`).set(bearer(key));
            expect([role, row.kind, one.body.url]).toEqual([role, row.kind, want[row.kind as keyof typeof whole]]);
          }
          const viewed = await request(d.app).get(`/api/v1/tasks/${id}`).set(bearer(key));
          expect([role, viewed.body.callbackUrl, viewed.body.hasCallback]).toEqual([role, want.callback, true]);
          if (sees.length === 0) {
            const everything = JSON.stringify([ofTask.body, logged.body, viewed.body]);
            for (const secret of secrets) expect([role, everything.includes(secret)]).toEqual([role, false]);
          }
          if (role !== 'viewer') {
            const subs = await request(d.app).get('/api/v1/webhooks').set(bearer(key));
            const mine = (subs.body.data as { id: string; url: string }[]).find((s) => s.id === sub.body.id);
            expect([role, mine?.url]).toEqual([role, want.subscription]);
            const got = await request(d.app).get(`/api/v1/webhooks/${sub.body.id}`).set(bearer(key));
            expect([role, got.body.url]).toEqual([role, want.subscription]);
          }
        }
        // Webhook payloads are read by every receiver: the task copy in them names only the origin.
        const received = d.receiver.requests
          .slice(seen)
          .filter((r) => r.path.startsWith('/resume/') || r.path.startsWith('/hooks/'));
        expect(received.map((r) => r.path.split('/')[1]).sort()).toEqual(['hooks', 'resume']);
        for (const r of received) {
          const payload = JSON.parse(r.body) as WebhookPayload;
          expect(payload.data.task).toMatchObject({ callbackUrl: origin, hasCallback: true });
          for (const secret of secrets) expect(r.body.includes(secret)).toBe(false);
        }

        // Slack integrations are an admin's business: they see the URL whole, nobody else lists them.
        const integrations = await request(d.app).get('/api/v1/integrations/slack').set(bearer(d.keys.admin));
        expect(integrations.body.data.find((i: { id: string }) => i.id === slack.body.id)?.webhookUrl).toBe(slackUrl);
        // The admin's redeliver answers with the whole URL; a rotation by someone else than the subscriber does not.
        const again = await request(d.app)
          .post(`/api/v1/deliveries/${rows[0]?.id}/redeliver`)
          .set(bearer(d.keys.admin));
        expect(again.body.url).toBe(whole[rows[0]?.kind as keyof typeof whole]);
        const rotated = await request(d.app)
          .post(`/api/v1/webhooks/${sub.body.id}/rotate-secret`)
          .set(bearer(d.keys.reviewer));
        expect([rotated.status, rotated.body.url]).toEqual([200, origin]);

        // The task page applies the same rule: a reviewer who registered none of them sees three origins.
        await upsertUser(deps, { email: 'urls-reviewer@example.com', password: PASSWORD, role: 'reviewer' });
        await upsertUser(deps, { email: 'urls-admin@example.com', password: PASSWORD, role: 'admin' });
        const reviewerPage = await (await logInAs(d.app, 'urls-reviewer@example.com', PASSWORD)).agent.get(
          `/tasks/${id}`,
        );
        expect(reviewerPage.status).toBe(200);
        expect(reviewerPage.text.split(`<code>${origin}</code>`)).toHaveLength(4);
        for (const secret of secrets) expect(reviewerPage.text.includes(secret)).toBe(false);
        const adminPage = await (await logInAs(d.app, 'urls-admin@example.com', PASSWORD)).agent.get(`/tasks/${id}`);
        for (const url of Object.values(whole))
          expect(adminPage.text).toContain(`<code>${url.replaceAll('&', '&amp;')}</code>`);
      } finally {
        await request(d.app).delete(`/api/v1/webhooks/${sub.body.id}`).set(bearer(d.keys.admin));
        await request(d.app).delete(`/api/v1/integrations/slack/${slack.body.id}`).set(bearer(d.keys.admin));
      }
    });
  });
}
