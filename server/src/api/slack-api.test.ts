import { createHmac } from 'node:crypto';
import pino from 'pino';
import request from 'supertest';
import { type DeliverySetup, setUpDelivery } from '../delivery-setup.js';
import { upsertUser } from '../domain/admin/users.js';
import { BUDGETS } from '../domain/reviewers/login-limits.js';
import { REFUSAL_SAMPLES_PER_WINDOW, REFUSAL_WINDOW_MS, SLACK_REFUSAL_REASONS } from '../domain/slack/interactions.js';
import type { Store } from '../domain/store.js';
import { InProcessTaskEventBus } from '../events/in-process-bus.js';
import { countRows, DATABASES, openTestStore, type TestDatabaseHandle } from '../test-support/databases.js';
import { anotherTestApp, buildTestApp, type TestApp } from '../test-support/fixtures.js';
import { type Receiver, startReceiver } from '../test-support/receiver.js';
import { until } from '../test-support/until.js';

const SLACK_WAIT = { timeoutMs: 8_000 };

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';

/** Signs like Slack does (api.slack.com/authentication/verifying-requests-from-slack): v0=hex HMAC-SHA256 of v0:ts:body. */
function slackSign(body: string, timestamp: number, secret = SIGNING_SECRET): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

interface SlackMessage {
  text: string;
  blocks: {
    type: string;
    text?: { text: string };
    fields?: { text: string }[];
    elements?: { action_id: string; value?: string; url?: string }[];
  }[];
}

for (const database of DATABASES) {
  describe(`${database}: Slack`, () => {
    let store: Store;
    let db: TestDatabaseHandle;
    let close: () => Promise<void>;
    let t: TestApp;
    let delivery: DeliverySetup;
    let slack: Receiver;
    let integrationId: string;

    beforeAll(async () => {
      const opened = await openTestStore(database);
      store = opened.store;
      db = opened.db;
      close = opened.close;
      slack = await startReceiver();
      const bus = new InProcessTaskEventBus();
      delivery = setUpDelivery(
        { store, clock: Date.now, logger: pino({ level: 'silent' }), bus },
        {
          publicUrl: 'https://loopgate.example',
          allowPrivateCallbacks: true,
          callbackAllowlist: [],
          webhookTimeoutMs: 1_000,
          outboxPollMs: 100,
          outboxConcurrency: 8,
        },
      );
      t = await buildTestApp(store, Date.now, {
        bus,
        publicUrl: 'https://loopgate.example',
        onTaskChange: delivery.onTaskChange,
        checkCallbackUrl: delivery.checkCallbackUrl,
        delivery: delivery.delivery,
      });
      delivery.outbox.start();
      const deps = { store, clock: Date.now };
      await upsertUser(deps, {
        email: 'rev@example.com',
        password: 'long enough password',
        name: 'Rita',
        role: 'reviewer',
      });
      await upsertUser(deps, { email: 'view@example.com', password: 'long enough password', role: 'viewer' });

      const created = await request(t.app)
        .post('/api/v1/integrations/slack')
        .set(bearer(t.keys.admin))
        .send({ webhookUrl: `${slack.url}/services/T000/B000/XXX`, signingSecret: SIGNING_SECRET });
      expect(created.status).toBe(201);
      expect(created.body.signingSecret).toBeUndefined();
      integrationId = created.body.id;
      // Only the payments queue: must not post tasks of the default queue.
      await request(t.app)
        .post('/api/v1/integrations/slack')
        .set(bearer(t.keys.admin))
        .send({ webhookUrl: `${slack.url}/payments-only`, signingSecret: SIGNING_SECRET, queue: 'payments' });
      for (const [slackUserId, email] of [
        ['U_RITA', 'rev@example.com'],
        ['U_VIEW', 'view@example.com'],
      ]) {
        const linked = await request(t.app)
          .post(`/api/v1/integrations/slack/${integrationId}/users`)
          .set(bearer(t.keys.admin))
          .send({ slackUserId, email });
        expect(linked.status).toBe(200);
      }
    });
    afterAll(async () => {
      await delivery.outbox.stop();
      await slack.close();
      await close();
    });

    async function openTask(): Promise<{ id: string; message: SlackMessage }> {
      const res = await request(t.app)
        .post('/api/v1/tasks')
        .set(bearer(t.keys.reviewer))
        .send({
          title: 'Refund <order> 1234',
          description: 'Customer says the parcel arrived damaged',
          payload: { orderId: 1234 },
          riskLevel: 'high',
          confidence: 0.62,
          slaSeconds: 3600,
        });
      expect(res.status).toBe(201);
      const id = res.body.id as string;
      const message = await until(
        'the Slack message',
        async () => {
          const hit = slack.requests.find((r) => r.path.startsWith('/services/') && r.body.includes(id));
          return hit ? (JSON.parse(hit.body) as SlackMessage) : undefined;
        },
        SLACK_WAIT,
      );
      return { id, message };
    }

    function click(message: SlackMessage, action: 'loopgate_approve' | 'loopgate_reject', slackUserId: string) {
      const button = message.blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === action);
      const payload = {
        type: 'block_actions',
        user: { id: slackUserId, username: 'someone' },
        response_url: `${slack.url}/response/${slackUserId}`,
        actions: [{ action_id: action, value: button?.value }],
      };
      return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
    }

    function post(body: string, headers: Record<string, string>, app = t.app) {
      return request(app)
        .post('/api/v1/integrations/slack/interactions')
        .set('Content-Type', 'application/x-www-form-urlencoded')
        .set(headers)
        .send(body);
    }

    async function taskOf(id: string) {
      return (await request(t.app).get(`/api/v1/tasks/${id}`).set(bearer(t.keys.viewer))).body;
    }

    async function audit() {
      return (await request(t.app).get('/api/v1/integrations/slack/audit').set(bearer(t.keys.admin))).body.data as {
        outcome: string;
        detail: string;
      }[];
    }

    /** Refused requests of a reason counted for the workspace over the last day. */
    async function refused(reason: string): Promise<number> {
      const res = await request(t.app).get('/api/v1/integrations/slack/audit').set(bearer(t.keys.admin));
      return (res.body.refusals as { reason: string; refused: number }[])
        .filter((r) => r.reason === reason)
        .reduce((sum, r) => sum + r.refused, 0);
    }

    test('a new task is posted as Block Kit with title, risk, confidence, summary, deadline, buttons and a link', async () => {
      const { id, message } = await openTask();
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
      expect(slack.requests.filter((r) => r.path === '/payments-only')).toHaveLength(0);
      const deliveries = await request(t.app).get(`/api/v1/tasks/${id}/deliveries`).set(bearer(t.keys.viewer));
      expect(deliveries.body.data).toEqual([expect.objectContaining({ kind: 'slack', status: 'delivered' })]);
    });

    test('a signed click by a linked reviewer decides through decideTask and updates the message', async () => {
      const { id, message } = await openTask();
      const body = click(message, 'loopgate_approve', 'U_RITA');
      const ts = Math.floor(Date.now() / 1000);
      const res = await post(body, {
        'X-Slack-Request-Timestamp': String(ts),
        'X-Slack-Signature': slackSign(body, ts),
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ outcome: 'decided' });
      const task = await taskOf(id);
      expect(task).toMatchObject({ status: 'approved', decision: { decidedBy: { type: 'user', name: 'Rita' } } });
      const update = await until(
        'the reply to Slack',
        () => slack.requests.find((r) => r.path === '/response/U_RITA' && r.body.includes(id)),
        SLACK_WAIT,
      );
      expect(JSON.parse(update.body)).toMatchObject({
        replace_original: true,
        text: expect.stringContaining('Approved by Rita'),
      });
      const events = (await request(t.app).get(`/api/v1/tasks/${id}/events`).set(bearer(t.keys.viewer))).body.data;
      expect(events.map((e: { type: string }) => e.type)).toContain('decided');
      expect((await audit())[0]).toMatchObject({ outcome: 'decided' });

      // A second click says it is already decided and changes nothing.
      const again = click(message, 'loopgate_reject', 'U_RITA');
      const ts2 = Math.floor(Date.now() / 1000);
      const second = await post(again, {
        'X-Slack-Request-Timestamp': String(ts2),
        'X-Slack-Signature': slackSign(again, ts2),
      });
      expect(second.body).toEqual({ outcome: 'already_decided' });
      expect((await taskOf(id)).status).toBe('approved');
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
      const { id, message } = await openTask();
      const before = await refused(reason);
      const body = click(message, 'loopgate_approve', 'U_RITA');
      const ts = Math.floor(Date.now() / 1000) + skew;
      const res = await post(body, { 'X-Slack-Request-Timestamp': String(ts), 'X-Slack-Signature': sign(body, ts) });
      expect(res.status).toBe(status);
      expect(res.body.code).toBe('webhook_signature_invalid');
      expect((await taskOf(id)).status).toBe('pending_review');
      expect(await refused(reason)).toBe(before + 1);
      // The first refusals of each hour are also kept as samples.
      expect((await audit()).some((entry) => entry.outcome === reason)).toBe(true);
    });

    test.each([
      ['an unlinked Slack user', 'U_NOBODY', 'unmapped_user'],
      ['a linked viewer', 'U_VIEW', 'forbidden'],
    ])('%s decides nothing; told so, audited', async (_name, slackUserId, outcome) => {
      const { id, message } = await openTask();
      const body = click(message, 'loopgate_reject', slackUserId);
      const ts = Math.floor(Date.now() / 1000);
      const res = await post(body, {
        'X-Slack-Request-Timestamp': String(ts),
        'X-Slack-Signature': slackSign(body, ts),
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ outcome });
      expect((await taskOf(id)).status).toBe('pending_review');
      expect((await audit())[0]).toMatchObject({ outcome });
      await until(
        'the reply to Slack',
        () => slack.requests.find((r) => r.path === `/response/${slackUserId}`),
        SLACK_WAIT,
      );
    });

    const unsignedClick = (integration: string, slackUserId: string) =>
      `payload=${encodeURIComponent(
        JSON.stringify({
          type: 'block_actions',
          user: { id: slackUserId },
          actions: [{ action_id: 'loopgate_approve', value: `${integration}|tsk_forged|approve` }],
        }),
      )}`;

    test('200 refused requests from many addresses: every one counted, only a bounded few stored', async () => {
      // A fixed clock: all 200 fall in one hour's window, which no other test has used.
      const at = Date.UTC(2030, 0, 1, 12, 30);
      const windowStart = at - (at % REFUSAL_WINDOW_MS);
      const proxied = anotherTestApp(store, () => at, { trustProxy: ['loopback'] });
      const hostile = `<img src=x onerror=alert(1)>\u202e"'\n${'x'.repeat(5_000)}`;
      const now = Math.floor(at / 1000);
      const kinds: { reason: string; body: string; headers: Record<string, string> }[] = [
        {
          reason: 'bad_signature',
          body: unsignedClick(integrationId, hostile),
          headers: { 'X-Slack-Request-Timestamp': String(now) },
        },
        {
          reason: 'stale_timestamp',
          body: unsignedClick(integrationId, hostile),
          headers: {
            'X-Slack-Request-Timestamp': String(now - 400),
            'X-Slack-Signature': slackSign(unsignedClick(integrationId, hostile), now - 400),
          },
        },
        { reason: 'unknown_integration', body: unsignedClick('slk_unknown', hostile), headers: {} },
        { reason: 'malformed_body', body: `payload=${encodeURIComponent(hostile)}`, headers: {} },
      ];
      const rowsBefore = await countRows(db, 'integration_audit');
      const statuses = new Set<number>();
      for (let i = 0; i < 200; i++) {
        const kind = kinds[i % kinds.length];
        if (!kind) throw new Error('no kind');
        const res = await post(
          kind.body,
          { ...kind.headers, 'X-Forwarded-For': `198.18.${i >> 8}.${i & 255}` },
          proxied,
        );
        statuses.add(res.status);
      }
      expect([...statuses].sort()).toEqual([400, 401]);

      const stored = (await countRows(db, 'integration_audit')) - rowsBefore;
      expect(stored).toBe(SLACK_REFUSAL_REASONS.length * REFUSAL_SAMPLES_PER_WINDOW);
      const workspaceId = (await store.read.slack.findIntegration(integrationId))?.workspaceId ?? '';
      const counted = [
        ...(await store.read.slack.listRefusals(workspaceId, windowStart)),
        ...(await store.read.slack.listRefusals(null, windowStart)),
      ].filter((c) => c.windowStart === windowStart);
      expect(Object.fromEntries(counted.map((c) => [c.reason, c.refused]))).toEqual({
        bad_signature: 50,
        stale_timestamp: 50,
        unknown_integration: 50,
        malformed_body: 50,
      });
      // The workspace's admin sees its own counts (the unknown integration's belong to no workspace).
      const api = await request(proxied).get('/api/v1/integrations/slack/audit').set(bearer(t.keys.admin));
      expect(api.body.refusals).toEqual(
        expect.arrayContaining([
          {
            source: 'slack',
            reason: 'bad_signature',
            windowStart: new Date(windowStart).toISOString(),
            refused: 50,
            lastAt: new Date(at).toISOString(),
          },
          expect.objectContaining({ reason: 'stale_timestamp', refused: 50 }),
        ]),
      );
      const samples = (api.body.data as { outcome: string; detail: string }[]).filter(
        (e) => e.outcome === 'bad_signature',
      );
      expect(samples.length).toBeGreaterThan(0);
      for (const sample of samples.slice(0, REFUSAL_SAMPLES_PER_WINDOW)) {
        expect(sample.detail.length).toBeLessThan(600);
        expect(sample.detail).not.toMatch(/[<>'\n\u202e]/);
        expect(sample.detail).toContain('\\u{3c}img src\\u{3d}x onerror\\u{3d}alert');
      }
    });

    test('a burst of refused requests from one address gets 429 with Retry-After; signed clicks still decide', async () => {
      const fresh = anotherTestApp(store, Date.now);
      const ts = String(Math.floor(Date.now() / 1000));
      const limit = BUDGETS.slackRefusalsPerAddress.attempts;
      const statuses: number[] = [];
      for (let i = 0; i < limit; i++) {
        statuses.push(
          (await post(unsignedClick(integrationId, 'U_FLOOD'), { 'X-Slack-Request-Timestamp': ts }, fresh)).status,
        );
      }
      expect(statuses).toEqual(Array(limit).fill(401));
      const rowsBefore = await countRows(db, 'integration_audit');
      for (let i = 0; i < 20; i++) {
        const refused = await post(unsignedClick(integrationId, 'U_FLOOD'), { 'X-Slack-Request-Timestamp': ts }, fresh);
        expect(refused.status).toBe(429);
        expect(refused.body.code).toBe('rate_limited');
        expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(
          BUDGETS.slackRefusalsPerAddress.windowSeconds,
        );
      }
      // Past the budget nothing is written at all.
      expect(await countRows(db, 'integration_audit')).toBe(rowsBefore);

      const { id, message } = await openTask();
      const body = click(message, 'loopgate_approve', 'U_RITA');
      const signed = await post(
        body,
        { 'X-Slack-Request-Timestamp': ts, 'X-Slack-Signature': slackSign(body, Number(ts)) },
        fresh,
      );
      expect(signed.status).toBe(200);
      expect(signed.body).toEqual({ outcome: 'decided' });
      expect((await taskOf(id)).status).toBe('approved');
      expect((await audit())[0]).toMatchObject({ outcome: 'decided' });
    });

    test.each(['payload=null', 'payload=%5B%5D', 'payload=42', 'nothing=here'])(
      'a body without a payload object (%s) is a 400, not a crash',
      async (body) => {
        const res = await post(body, {}, anotherTestApp(store, Date.now));
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('validation_failed');
      },
    );

    test('integration admin routes need the admin role and stay in their workspace', async () => {
      expect((await request(t.app).get('/api/v1/integrations/slack').set(bearer(t.keys.reviewer))).status).toBe(403);
      const other = await request(t.app).get('/api/v1/integrations/slack').set(bearer(t.keys.otherWorkspaceAdmin));
      expect(other.body.data).toEqual([]);
      const foreignLink = await request(t.app)
        .post(`/api/v1/integrations/slack/${integrationId}/users`)
        .set(bearer(t.keys.otherWorkspaceAdmin))
        .send({ slackUserId: 'U1', email: 'rev@example.com' });
      expect(foreignLink.status).toBe(404);
    });
  });
}
