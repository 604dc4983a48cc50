import request from 'supertest';
import { BUDGETS } from '../domain/reviewers/login-limits.js';
import { REFUSAL_SAMPLES_PER_WINDOW, REFUSAL_WINDOW_MS, SLACK_REFUSAL_REASONS } from '../domain/slack/interactions.js';
import { bearer } from '../test-support/api-requests.js';
import { countRows, DATABASES } from '../test-support/databases.js';
import { anotherTestApp } from '../test-support/fixtures.js';
import { slackSign, useSlackApp } from '../test-support/slack-app.js';

for (const database of DATABASES) {
  describe(`${database}: Slack refusals`, () => {
    const d = useSlackApp(database);

    test('200 refused requests from many addresses: every one counted, only a bounded few stored', async () => {
      // A fixed clock: all 200 fall in one hour's window, which no other test has used.
      const at = Date.UTC(2030, 0, 1, 12, 30);
      const windowStart = at - (at % REFUSAL_WINDOW_MS);
      const proxied = anotherTestApp(d.store, () => at, { trustProxy: ['loopback'] });
      const hostile = `<img src=x onerror=alert(1)>\u202e"'\n${'x'.repeat(5_000)}`;
      const now = Math.floor(at / 1000);
      const kinds: { reason: string; body: string; headers: Record<string, string> }[] = [
        {
          reason: 'bad_signature',
          body: d.unsignedClick(d.integrationId, hostile),
          headers: { 'X-Slack-Request-Timestamp': String(now) },
        },
        {
          reason: 'stale_timestamp',
          body: d.unsignedClick(d.integrationId, hostile),
          headers: {
            'X-Slack-Request-Timestamp': String(now - 400),
            'X-Slack-Signature': slackSign(d.unsignedClick(d.integrationId, hostile), now - 400),
          },
        },
        { reason: 'unknown_integration', body: d.unsignedClick('slk_unknown', hostile), headers: {} },
        { reason: 'malformed_body', body: `payload=${encodeURIComponent(hostile)}`, headers: {} },
      ];
      const rowsBefore = await countRows(d.db, 'integration_audit');
      const statuses = new Set<number>();
      for (let i = 0; i < 200; i++) {
        const kind = kinds[i % kinds.length];
        if (!kind) throw new Error('no kind');
        const res = await d.post(
          kind.body,
          { ...kind.headers, 'X-Forwarded-For': `198.18.${i >> 8}.${i & 255}` },
          proxied,
        );
        statuses.add(res.status);
      }
      expect([...statuses].sort()).toEqual([400, 401]);

      const stored = (await countRows(d.db, 'integration_audit')) - rowsBefore;
      expect(stored).toBe(SLACK_REFUSAL_REASONS.length * REFUSAL_SAMPLES_PER_WINDOW);
      const workspaceId = (await d.store.read.slack.findIntegration(d.integrationId))?.workspaceId ?? '';
      const counted = [
        ...(await d.store.read.slack.listRefusals(workspaceId, windowStart)),
        ...(await d.store.read.slack.listRefusals(null, windowStart)),
      ].filter((c) => c.windowStart === windowStart);
      expect(Object.fromEntries(counted.map((c) => [c.reason, c.refused]))).toEqual({
        bad_signature: 50,
        stale_timestamp: 50,
        unknown_integration: 50,
        malformed_body: 50,
      });
      // The workspace's admin sees its own counts (the unknown integration's belong to no workspace).
      const api = await request(proxied).get('/api/v1/integrations/slack/audit').set(bearer(d.keys.admin));
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
      const fresh = anotherTestApp(d.store, Date.now);
      const ts = String(Math.floor(Date.now() / 1000));
      const limit = BUDGETS.slackRefusalsPerAddress.attempts;
      const statuses: number[] = [];
      for (let i = 0; i < limit; i++) {
        statuses.push(
          (await d.post(d.unsignedClick(d.integrationId, 'U_FLOOD'), { 'X-Slack-Request-Timestamp': ts }, fresh))
            .status,
        );
      }
      expect(statuses).toEqual(Array(limit).fill(401));
      const rowsBefore = await countRows(d.db, 'integration_audit');
      for (let i = 0; i < 20; i++) {
        const refused = await d.post(
          d.unsignedClick(d.integrationId, 'U_FLOOD'),
          { 'X-Slack-Request-Timestamp': ts },
          fresh,
        );
        expect(refused.status).toBe(429);
        expect(refused.body.code).toBe('rate_limited');
        expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(
          BUDGETS.slackRefusalsPerAddress.windowSeconds,
        );
      }
      // Past the budget nothing is written at all.
      expect(await countRows(d.db, 'integration_audit')).toBe(rowsBefore);

      const { id, message } = await d.openTask();
      const body = d.click(message, 'loopgate_approve', 'U_RITA');
      const signed = await d.post(
        body,
        { 'X-Slack-Request-Timestamp': ts, 'X-Slack-Signature': slackSign(body, Number(ts)) },
        fresh,
      );
      expect(signed.status).toBe(200);
      expect(signed.body).toEqual({ outcome: 'decided' });
      expect((await d.taskOf(id)).status).toBe('approved');
      expect((await d.audit())[0]).toMatchObject({ outcome: 'decided' });
    });
  });
}
