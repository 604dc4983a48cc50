import request from 'supertest';
import { bearer } from '../test-support/api-requests.js';
import { DATABASES } from '../test-support/databases.js';
import { anotherTestApp } from '../test-support/fixtures.js';
import { SLACK_WAIT, slackSign, useSlackApp } from '../test-support/slack-app.js';
import { until } from '../test-support/until.js';

for (const database of DATABASES) {
  describe(`${database}: Slack`, () => {
    const d = useSlackApp(database);

    test('a new task is posted as Block Kit with title, risk, confidence, summary, deadline, buttons and a link', async () => {
      const { id, message } = await d.openTask();
      expect(message.text).toBe('Review needed: Refund <order> 1234');
      const fields = message.blocks.flatMap((b) => b.fields ?? []).map((f) => f.text);
      expect(fields).toEqual(
        expect.arrayContaining([
          '*Risk:* high',
          '*Confidence:* 62%',
          expect.stringMatching(/^\*Deadline:\* <!date\^\d+\^/),
        ]),
      );
      expect(JSON.stringify(message.blocks)).toContain('Customer says the parcel arrived damaged');
      const buttons = message.blocks.flatMap((b) => b.elements ?? []);
      expect(buttons.map((b) => b.action_id)).toEqual(['loopgate_approve', 'loopgate_reject', 'loopgate_open']);
      expect(buttons[2]?.url).toBe(`https://loopgate.example/tasks/${id}`);
      // The payments-only integration was not notified.
      expect(d.slack.requests.filter((r) => r.path === '/payments-only')).toHaveLength(0);
      const deliveries = await request(d.app).get(`/api/v1/tasks/${id}/deliveries`).set(bearer(d.keys.viewer));
      expect(deliveries.body.data).toEqual([expect.objectContaining({ kind: 'slack', status: 'delivered' })]);
    });

    test('a signed click by a linked reviewer decides through decideTask and updates the message', async () => {
      const { id, message } = await d.openTask();
      const body = d.click(message, 'loopgate_approve', 'U_RITA');
      const ts = Math.floor(Date.now() / 1000);
      const res = await d.post(body, {
        'X-Slack-Request-Timestamp': String(ts),
        'X-Slack-Signature': slackSign(body, ts),
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ outcome: 'decided' });
      const task = await d.taskOf(id);
      expect(task).toMatchObject({ status: 'approved', decision: { decidedBy: { type: 'user', name: 'Rita' } } });
      const update = await until(
        'the reply to Slack',
        () => d.slack.requests.find((r) => r.path === '/response/U_RITA' && r.body.includes(id)),
        SLACK_WAIT,
      );
      expect(JSON.parse(update.body)).toMatchObject({
        replace_original: true,
        text: expect.stringContaining('Approved by Rita'),
      });
      const events = (await request(d.app).get(`/api/v1/tasks/${id}/events`).set(bearer(d.keys.viewer))).body.data;
      expect(events.map((e: { type: string }) => e.type)).toContain('decided');
      expect((await d.audit())[0]).toMatchObject({ outcome: 'decided' });

      // A second click says it is already decided and changes nothing.
      const again = d.click(message, 'loopgate_reject', 'U_RITA');
      const ts2 = Math.floor(Date.now() / 1000);
      const second = await d.post(again, {
        'X-Slack-Request-Timestamp': String(ts2),
        'X-Slack-Signature': slackSign(again, ts2),
      });
      expect(second.body).toEqual({ outcome: 'already_decided' });
      expect((await d.taskOf(id)).status).toBe('approved');
    });

    test.each([
      [
        'a wrong signature',
        (body: string, ts: number) => slackSign(body, ts, 'not-the-secret'),
        0,
        401,
        'bad_signature',
      ],
      ['a stale timestamp', (body: string, ts: number) => slackSign(body, ts), -400, 401, 'stale_timestamp'],
      ['no signature', () => '', 0, 401, 'bad_signature'],
      [
        'a tampered body',
        (body: string, ts: number) => slackSign(body.replace('U_RITA', 'U_XXXX'), ts),
        0,
        401,
        'bad_signature',
      ],
    ])('%s decides nothing and is counted', async (_name, sign, skew, status, reason) => {
      const { id, message } = await d.openTask();
      const before = await d.refused(reason);
      const body = d.click(message, 'loopgate_approve', 'U_RITA');
      const ts = Math.floor(Date.now() / 1000) + skew;
      const res = await d.post(body, { 'X-Slack-Request-Timestamp': String(ts), 'X-Slack-Signature': sign(body, ts) });
      expect(res.status).toBe(status);
      expect(res.body.code).toBe('webhook_signature_invalid');
      expect((await d.taskOf(id)).status).toBe('pending_review');
      expect(await d.refused(reason)).toBe(before + 1);
      // The first refusals of each hour are also kept as samples.
      expect((await d.audit()).some((entry) => entry.outcome === reason)).toBe(true);
    });

    test.each([
      ['an unlinked Slack user', 'U_NOBODY', 'unmapped_user'],
      ['a linked viewer', 'U_VIEW', 'forbidden'],
    ])('%s decides nothing; told so, audited', async (_name, slackUserId, outcome) => {
      const { id, message } = await d.openTask();
      const body = d.click(message, 'loopgate_reject', slackUserId);
      const ts = Math.floor(Date.now() / 1000);
      const res = await d.post(body, {
        'X-Slack-Request-Timestamp': String(ts),
        'X-Slack-Signature': slackSign(body, ts),
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ outcome });
      expect((await d.taskOf(id)).status).toBe('pending_review');
      expect((await d.audit())[0]).toMatchObject({ outcome });
      await until(
        'the reply to Slack',
        () => d.slack.requests.find((r) => r.path === `/response/${slackUserId}`),
        SLACK_WAIT,
      );
    });

    test.each(['payload=null', 'payload=%5B%5D', 'payload=42', 'nothing=here'])(
      'a body without a payload object (%s) is a 400, not a crash',
      async (body) => {
        const res = await d.post(body, {}, anotherTestApp(d.store, Date.now));
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('validation_failed');
      },
    );

    test('integration admin routes need the admin role and stay in their workspace', async () => {
      expect((await request(d.app).get('/api/v1/integrations/slack').set(bearer(d.keys.reviewer))).status).toBe(403);
      const other = await request(d.app).get('/api/v1/integrations/slack').set(bearer(d.keys.otherWorkspaceAdmin));
      expect(other.body.data).toEqual([]);
      const foreignLink = await request(d.app)
        .post(`/api/v1/integrations/slack/${d.integrationId}/users`)
        .set(bearer(d.keys.otherWorkspaceAdmin))
        .send({ slackUserId: 'U1', email: 'rev@example.com' });
      expect(foreignLink.status).toBe(404);
    });
  });
}
