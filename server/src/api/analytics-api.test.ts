import request from 'supertest';
import { resolveWorkspace } from '../domain/admin/workspaces.js';
import { foldClosedTasks } from '../domain/analytics/fold-rollups.js';
import { POLICY, seedClosedTasks, seedOpenTasks } from '../test-support/analytics-seed.js';
import { DATABASES } from '../test-support/databases.js';
import { bearer, SUPPORT_DESK, usePageWorld } from '../test-support/page-world.js';

for (const database of DATABASES) {
  describe(`${database}: GET /api/v1/analytics/*`, () => {
    const w = usePageWorld(database, SUPPORT_DESK);
    const get = (path: string, key = w.keys.viewer) => request(w.app).get(path).set(bearer(key));

    test('every role reads each report from the rollups, with how far behind they are', async () => {
      const workspaceId = (await resolveWorkspace({ store: w.store, clock: w.clock })).id;
      const closedAt = Date.UTC(2026, 2, 4, 9);
      await seedClosedTasks(w.store, [
        {
          id: 'tsk_api_1',
          workspaceId,
          queue: 'support',
          createdAt: closedAt,
          closedAt,
          status: 'approved',
          by: POLICY,
        },
      ]);
      await foldClosedTasks(
        { store: w.store, clock: () => closedAt + 60_000 },
        { batchSize: 10, settleMs: 0, fastSecondsPerKb: 5 },
      );
      for (const name of ['reviewers', 'sla', 'agents', 'roi']) {
        const res = await get(`/api/v1/analytics/${name}?from=2026-03-01&to=2026-03-07`);
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ from: '2026-03-01', to: '2026-03-07', interval: 'day' });
        expect(res.body.freshness.foldedAt).toBe(closedAt + 60_000);
      }
      const roi = await get('/api/v1/analytics/roi?from=2026-03-01&to=2026-03-07&queue=support', w.keys.reviewer);
      expect(roi.body.summary.current).toMatchObject({ tasks: 1, autoApprovedShare: 1, errorsCaught: 0 });
      const other = await get('/api/v1/analytics/roi?from=2026-03-01&to=2026-03-07&queue=nope');
      expect(other.body.summary.current.tasks).toBe(0);
    });

    test.each([
      ['from=2026-02-30', 'query.from'],
      ['from=yesterday', 'query.from'],
      ['interval=month', 'query.interval'],
      ['from=2026-03-08&to=2026-03-01', 'query.from'],
      ['from=2024-01-01&to=2026-03-01', 'query.from'],
      ['colour=red', 'query'],
    ])('%s is refused with problem+json naming %s', async (query, path) => {
      const res = await get(`/api/v1/analytics/sla?${query}`);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('validation_failed');
      expect(JSON.stringify(res.body.errors ?? res.body)).toContain(path);
    });

    test.each(['admin@example.com', 'rev@example.com', 'view@example.com'])(
      '%s opens /analytics, under the page CSP, linked from the header',
      async (email) => {
        const { agent } = await w.login(email);
        const page = await agent.get('/analytics?from=2026-03-01&to=2026-03-07&interval=week');
        expect(page.status).toBe(200);
        expect(page.headers['content-security-policy']).toContain("script-src 'self'");
        expect(page.text).toContain('<a href="/analytics">Analytics</a>');
        expect(page.text).toContain('<script src="/static/chart.js" defer></script>');
        const bad = await agent.get('/analytics?from=2026-03-09&to=2026-03-01');
        expect(bad.status).toBe(200);
        expect(bad.text).toContain('The filter was not used as given');
      },
    );

    test('Chart.js is served from node_modules as a script', async () => {
      const res = await request(w.app).get('/static/chart.js');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/javascript/);
      expect(res.text).toContain('Chart.js v4');
    });

    test('sla carries the median time per board stage and the current backlog by age; the page shows both, escaped', async () => {
      const workspaceId = (await resolveWorkspace({ store: w.store, clock: w.clock })).id;
      const now = w.clock();
      // Queue names as a hostile client could store them (the page tests run the whole XSS corpus).
      const hostile = ['<script>window.__xss=1</script>', '<img src=x onerror="window.__xss=1">', '" onfocus="x'];
      await seedOpenTasks(
        w.store,
        hostile.map((queue, index) => ({
          id: `tsk_backlog_${index}`,
          workspaceId,
          queue,
          createdAt: now - 2 * 3_600_000,
        })),
      );
      const res = await get('/api/v1/analytics/sla');
      expect(res.status).toBe(200);
      const byQueue = new Map(
        (res.body.backlog.queues as { queue: string; open: number; byAge: { age: string; tasks: number }[] }[]).map(
          (q) => [q.queue, q],
        ),
      );
      for (const queue of hostile) {
        expect(byQueue.get(queue)?.byAge.find((a) => a.age === '1–4 h')?.tasks).toBe(1);
      }
      for (const q of res.body.queues as { medianStageMs: object; stageTasks: object }[]) {
        expect(Object.keys(q.medianStageMs)).toEqual(['pending', 'in_progress', 'needs_approval', 'escalated']);
        expect(Object.keys(q.stageTasks)).toEqual(['pending', 'in_progress', 'needs_approval', 'escalated']);
      }
      const { agent } = await w.login('view@example.com');
      const page = await agent.get('/analytics');
      expect(page.status).toBe(200);
      expect(page.text).toContain('id="backlog-table"');
      expect(page.text).toContain('id="stage-times-table"');
      for (const evil of hostile) expect(page.text).not.toContain(evil);
      expect(page.text).toContain('&lt;script&gt;window.__xss=1&lt;/script&gt;');
      expect(page.text).toContain('&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;');
    });

    test('without a key: 401', async () => {
      expect((await request(w.app).get('/api/v1/analytics/roi')).status).toBe(401);
    });
  });
}
