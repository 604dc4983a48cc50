import { type AgentDriftWebhookPayload, agentDriftWebhookPayloadSchema, verifyWebhook } from '@loopgate/shared';
import request from 'supertest';
import { agentTasks, seedClosedTasks } from '../../test-support/analytics-seed.js';
import { bearer } from '../../test-support/api-requests.js';
import { DATABASES } from '../../test-support/databases.js';
import { DELIVERY_WAIT, useDeliveryApp } from '../../test-support/delivery-app.js';
import { until } from '../../test-support/until.js';
import { resolveWorkspace } from '../admin/workspaces.js';
import { sendDriftAlerts } from './drift-alerts.js';
import { foldClosedTasks } from './fold-rollups.js';

const DAY = 86_400_000;
/** 2026-03-08 12:00 UTC: the recent window is 03-02 … 03-08, the baseline 02-02 … 03-01. */
const START = Date.UTC(2026, 2, 8, 12);
const REVIEWER = { type: 'user' as const, id: 'usr_ann', name: 'ann@example.com' };

for (const database of DATABASES) {
  describe(`${database}: agent.drift_detected to subscribers, once per change`, () => {
    const d = useDeliveryApp(database, { workspaceAllowsPrivate: true });

    test('raised once (two runs at once), not again while it lasts, cleared, raised again; steady agents never', async () => {
      const workspaceId = (await resolveWorkspace({ store: d.store, clock: Date.now })).id;
      const subscribe = (path: string, events: string[]) =>
        request(d.app)
          .post('/api/v1/webhooks')
          .set(bearer(d.keys.reviewer))
          .send({ url: `${d.receiver.url}${path}`, events });
      const drift = await subscribe('/drift', ['agent.drift_detected', 'agent.drift_cleared']);
      expect(drift.status).toBe(201);
      expect(drift.body.events).toEqual(['agent.drift_detected', 'agent.drift_cleared']);
      const tasksOnly = await subscribe('/tasks', ['task.decided']);
      expect(tasksOnly.status).toBe(201);
      const unknown = await subscribe('/nope', ['agent.drift_maybe']);
      expect(unknown.status).toBe(400);
      expect(unknown.body.code).toBe('validation_failed');

      let now = START;
      const tasks = (agentId: string, prefix: string, at: number, count: number, routed: number) =>
        agentTasks({ workspaceId, agentId, prefix, at, count, routed, by: REVIEWER });
      const foldAndTest = async () => {
        await foldClosedTasks(
          { store: d.store, clock: () => now },
          { batchSize: 500, settleMs: 0, fastSecondsPerKb: 5 },
        );
        return sendDriftAlerts({ store: d.store, clock: () => now });
      };
      const deliveries = async (subscriptionId: string) =>
        (await d.store.read.deliveries.list(workspaceId, { subscriptionId }, 50)).sort(
          (a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id),
        );

      await seedClosedTasks(d.store, [
        // Drifty: intervention 10 of 40 before, 30 of 40 in the last 7 days (z = √20, p < 1e-5).
        ...tasks('agt_drifty', 'd1', START - 20 * DAY, 40, 10),
        ...tasks('agt_drifty', 'd2', START - 2 * DAY, 40, 30),
        // Steady: 20 of 40 before, 22 of 40 now (z = 0.448, p = 0.65).
        ...tasks('agt_steady', 's1', START - 20 * DAY, 40, 20),
        ...tasks('agt_steady', 's2', START - 2 * DAY, 40, 22),
      ]);
      await foldClosedTasks({ store: d.store, clock: () => now }, { batchSize: 500, settleMs: 0, fastSecondsPerKb: 5 });
      // Two processes' runs at once: the compare-and-set lets one of them send.
      const [one, two] = await Promise.all([
        sendDriftAlerts({ store: d.store, clock: () => now }),
        sendDriftAlerts({ store: d.store, clock: () => now }),
      ]);
      expect([...(one?.detected ?? []), ...(two?.detected ?? [])]).toEqual(['agt_drifty']);
      let rows = await deliveries(drift.body.id);
      expect(rows.map((row) => [row.eventType, row.taskId, row.kind])).toEqual([
        ['agent.drift_detected', null, 'subscription'],
      ]);

      // Signed with the subscription's secret and sent through the outbox like any delivery.
      const received = await until(
        'the subscriber receives agent.drift_detected',
        async () => d.receiver.requests.find((r) => r.headers['webhook-id'] === rows[0]?.id),
        DELIVERY_WAIT,
      );
      expect(received.path).toBe('/drift');
      await expect(verifyWebhook(drift.body.secret, received.headers, received.body)).resolves.toMatchObject({
        id: rows[0]?.id,
      });
      const payload: AgentDriftWebhookPayload = agentDriftWebhookPayloadSchema.parse(JSON.parse(received.body));
      expect(payload).toMatchObject({
        type: 'agent.drift_detected',
        timestamp: new Date(START).toISOString(),
        data: {
          agentId: 'agt_drifty',
          drifted: true,
          recent: { from: '2026-03-02', to: '2026-03-08' },
          baseline: { from: '2026-02-02', to: '2026-03-01' },
          alpha: 0.01,
          driftedMetrics: ['intervention'],
        },
      });
      const intervention = payload.data.metrics.find((m) => m.metric === 'intervention');
      expect(intervention).toMatchObject({
        recent: { successes: 30, trials: 40, rate: 0.75 },
        baseline: { successes: 10, trials: 40, rate: 0.25 },
        drifted: true,
        skipped: null,
      });
      expect(intervention?.z).toBeCloseTo(Math.sqrt(20), 6);
      expect(intervention?.pValue).toBeLessThan(1e-5);

      // The job runs again, an hour later: still drifted, nothing more to say.
      now = START + 3_600_000;
      expect(await foldAndTest()).toEqual({ detected: [], cleared: [] });
      expect(await deliveries(drift.body.id)).toHaveLength(1);

      // Eight days on, the last 7 days hold no tasks of it: too few to judge is no drift, so it clears.
      now = START + 8 * DAY;
      expect(await foldAndTest()).toEqual({ detected: [], cleared: ['agt_drifty'] });
      // And it rises again: 35 of 40 routed now (03-15 … 03-16) against 40 of 80 in the 28 days before:
      // pooled 75/120 = 0.625, sd √(0.625·0.375·(1/40+1/80)) = 0.09375, z = (0.875 − 0.5) / 0.09375 = 4.
      await seedClosedTasks(d.store, tasks('agt_drifty', 'd3', START + 7 * DAY, 40, 35));
      now = START + 8 * DAY + 3_600_000;
      const again = await foldAndTest();
      expect(again).toEqual({ detected: ['agt_drifty'], cleared: [] });
      rows = await deliveries(drift.body.id);
      expect(rows.map((row) => row.eventType)).toEqual([
        'agent.drift_detected',
        'agent.drift_cleared',
        'agent.drift_detected',
      ]);
      const cleared = agentDriftWebhookPayloadSchema.parse(JSON.parse(rows[1]?.body ?? '{}'));
      expect(cleared.data).toMatchObject({ agentId: 'agt_drifty', drifted: false, driftedMetrics: [] });
      const raisedAgain = agentDriftWebhookPayloadSchema.parse(JSON.parse(rows[2]?.body ?? '{}'));
      expect(raisedAgain.data.metrics.find((m) => m.metric === 'intervention')?.z).toBeCloseTo(4, 6);

      // The steady agent never drifted, and a subscription to task events only got none of this.
      expect(rows.every((row) => JSON.parse(row.body).data.agentId === 'agt_drifty')).toBe(true);
      expect(await d.store.read.analytics.listDriftStates(workspaceId)).toEqual([
        { agentId: 'agt_drifty', drifted: true, changedAt: START + 8 * DAY + 3_600_000 },
      ]);
      expect(await deliveries(tasksOnly.body.id)).toEqual([]);
    });
  });
}
