import { createHmac } from 'node:crypto';
import request from 'supertest';
import { upsertUser } from '../domain/admin/users.js';
import { bearer } from './api-requests.js';
import type { TestDatabase } from './databases.js';
import { type DeliveryApp, openDeliveryApp } from './delivery-app.js';
import type { TestApp } from './fixtures.js';
import { useOpened } from './live.js';
import type { Receiver } from './receiver.js';
import { until } from './until.js';

export const SLACK_WAIT = { timeoutMs: 8_000 };
export const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';

/** Signs like Slack does (api.slack.com/authentication/verifying-requests-from-slack): v0=hex HMAC-SHA256 of v0:ts:body. */
export function slackSign(body: string, timestamp: number, secret = SIGNING_SECRET): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SlackMessage {
  text: string;
  blocks: {
    type: string;
    text?: { text: string };
    fields?: { text: string }[];
    elements?: { action_id: string; value?: string; url?: string }[];
  }[];
}

export interface SlackApp extends DeliveryApp, ReturnType<typeof slackRequests> {
  /** The receiver standing in for Slack (the DeliveryApp's receiver). */
  slack: Receiver;
  /** The integration posting the default queue's tasks (another one posts only the payments queue). */
  integrationId: string;
}

/**
 * The app with delivery wired (public URL https://loopgate.example), the receiver standing in for
 * Slack, and two integrations: one for every queue, with Rita (reviewer, U_RITA) and a viewer
 * (U_VIEW) linked, and one for the payments queue only.
 */
export async function openSlackApp(kind: TestDatabase): Promise<SlackApp> {
  const opened = await openDeliveryApp(kind, { publicUrl: 'https://loopgate.example', allowPrivateCallbacks: true });
  const { store, t, receiver: slack } = opened;
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
  const integrationId = created.body.id as string;
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
  return { ...opened, slack, integrationId, ...slackRequests(t, slack) };
}

/** The requests the Slack tests send and read. */
function slackRequests(t: TestApp, slack: Receiver) {
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

  const unsignedClick = (integration: string, slackUserId: string) =>
    `payload=${encodeURIComponent(
      JSON.stringify({
        type: 'block_actions',
        user: { id: slackUserId },
        actions: [{ action_id: 'loopgate_approve', value: `${integration}|tsk_forged|approve` }],
      }),
    )}`;
  return { openTask, click, post, taskOf, audit, refused, unsignedClick };
}

/** openSlackApp before the describe block's tests, closed after them (see useOpened). */
export function useSlackApp(kind: TestDatabase) {
  return useOpened(() => openSlackApp(kind));
}
