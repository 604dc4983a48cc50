/**
 * /analytics in Debian's Chromium over seeded, folded data: every chart is drawn by Chart.js (served
 * by the server, under the page CSP), each beside its table; axe-core finds no serious or critical
 * violation; the page fits a 390 px phone; and agent ids and queue names taken from the XSS corpus
 * stay text. Closed tasks are written straight into the server's database (the API refuses such
 * names, the store does not, and the page must not rely on that) and folded by the same job code the
 * server runs. Screenshots land in docs/images/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { AxeResults } from 'axe-core';
import { type Browser, chromium, type Page } from 'playwright-core';
import { resolveWorkspace } from '../../../server/src/domain/admin/workspaces.js';
import { foldClosedTasks } from '../../../server/src/domain/analytics/fold-rollups.js';
import { openStore } from '../../../server/src/store/open-store.js';
import {
  type ClosedTaskSeed,
  type OpenTaskSeed,
  POLICY,
  seedClosedTasks,
  seedOpenTasks,
} from '../../../server/src/test-support/analytics-seed.js';
import { DATABASES } from '../../../server/src/test-support/databases.js';
import { inertnessProblems, XSS_CORPUS } from '../../../server/src/web/xss-corpus.js';
import { PASSWORD, startWebStack, type WebStack } from './web-stack.js';

const CHROMIUM = process.env.LOOPGATE_CHROMIUM ?? '/usr/bin/chromium';
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const SCREENSHOTS = path.resolve(__dirname, '../../../docs/images');
const DAY = 86_400_000;
const CHARTS = ['chart-reviewers', 'chart-sla', 'chart-agents', 'chart-calibration', 'chart-roi'];
/** In the page: every chart's canvas has been drawn by static/analytics.js. */
const ALL_DRAWN = `${JSON.stringify(CHARTS)}.every((id) => document.getElementById(id)?.getAttribute('data-drawn') === 'true')`;

const ANN = { type: 'user', id: 'usr_ann', name: 'ann@example.com' } as const;
const RAJ = { type: 'user', id: 'usr_raj', name: 'raj@example.com' } as const;

/** Five weeks of closed tasks: two agents, two reviewers, deadlines met and missed, and one agent drifting. */
function dataset(workspaceId: string, now: number): ClosedTaskSeed[] {
  const seeds: ClosedTaskSeed[] = [];
  const today = now - (now % DAY);
  for (let day = 0; day < 35; day++) {
    const at = today - day * DAY + 9 * 3_600_000;
    for (let n = 0; n < 12; n++) {
      const recent = day < 7;
      // refund-bot: 1 of 6 routed to people before, 5 of 6 in the last week (drift); triage-bot: 3 of 6 throughout.
      const agent =
        n < 6 ? { id: 'refund-bot', version: recent ? '2.1' : '2.0' } : { id: 'triage-bot', version: '1.4' };
      const routed = n < 6 ? (recent ? n < 5 : n === 0) : n % 2 === 0;
      const reviewer = n % 2 === 0 ? ANN : RAJ;
      const decidedAfter = (n + 1) * 45_000 + day * 7_000;
      const status = !routed
        ? 'approved'
        : n === 4
          ? 'rejected'
          : day % 3 === 0 && n === 0
            ? 'approved_with_modifications'
            : 'approved';
      seeds.push({
        id: `tsk_an_${day}_${n}`,
        workspaceId,
        queue: n < 6 ? 'refunds' : 'triage',
        agent,
        createdAt: at,
        claimedAt: routed ? at + 15_000 : undefined,
        closedAt: routed ? at + decidedAfter : at,
        status,
        by: routed ? reviewer : POLICY,
        dueAt: routed ? at + 240_000 : null,
        confidence: 0.35 + ((n * 7 + day) % 13) / 20,
        diff: status === 'approved_with_modifications' ? '- 40 EUR\n+ 45 EUR' : undefined,
        escalated: routed && n === 3 && day % 4 === 0,
        // Board moves besides the claim: a first level approved (back to Needs Approval), an escalation.
        moves: !routed
          ? undefined
          : n === 2
            ? [{ type: 'level_approved', at: at + 30_000, toStatus: 'in_review' }]
            : n === 3 && day % 4 === 0
              ? [{ type: 'escalated', at: at + 60_000, data: { step: 'raise_priority', index: 0 } }]
              : undefined,
      });
    }
  }
  // Hostile agent ids and queue names, decided by people yesterday.
  XSS_CORPUS.forEach(([, evil], index) => {
    const at = today - DAY + 10 * 3_600_000 + index;
    seeds.push({
      id: `tsk_an_xss_${index}`,
      workspaceId,
      queue: evil.slice(0, 64),
      agent: { id: evil.slice(0, 128), version: evil.slice(0, 64) },
      createdAt: at,
      closedAt: at + 60_000,
      status: 'approved',
      by: { type: 'user', id: `usr_xss_${index}`, name: evil.slice(0, 200) },
      dueAt: at + 120_000,
      confidence: 0.9,
    });
  });
  return seeds;
}

/** The open backlog: refunds and triage tasks of every age, and one hostile queue name. */
function backlog(workspaceId: string, now: number): OpenTaskSeed[] {
  const ages = [10 * 60_000, 50 * 60_000, 2 * 3_600_000, 6 * 3_600_000, 30 * 3_600_000, 5 * DAY];
  return [
    ...ages.map((age, index) => ({ id: `tsk_open_r${index}`, workspaceId, queue: 'refunds', createdAt: now - age })),
    ...ages
      .slice(2)
      .map((age, index) => ({ id: `tsk_open_t${index}`, workspaceId, queue: 'triage', createdAt: now - age })),
    { id: 'tsk_open_xss', workspaceId, queue: '<img src=x onerror="window.__xss=1">', createdAt: now - 3_600_000 },
  ];
}

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
});
afterAll(async () => browser?.close());

for (const database of DATABASES) {
  describe(`${database}: the analytics page in Chromium`, () => {
    let stack: WebStack;
    beforeAll(async () => {
      stack = await startWebStack(database);
      // The server's own database, opened from here: seed closed tasks and fold them as the job would.
      const store = await openStore(stack.db.config);
      try {
        const now = Date.now();
        const workspaceId = (await resolveWorkspace({ store, clock: () => now })).id;
        await seedClosedTasks(store, dataset(workspaceId, now));
        await seedOpenTasks(store, backlog(workspaceId, now));
        await foldClosedTasks({ store, clock: () => now }, { batchSize: 200, settleMs: 0, fastSecondsPerKb: 5 });
      } finally {
        await store.close();
      }
    });
    afterAll(async () => stack?.stop());

    async function openAnalytics(viewport: {
      width: number;
      height: number;
    }): Promise<{ page: Page; close(): Promise<void> }> {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      await page.goto(`${stack.url}/login`);
      await page.fill('input[name=email]', 'view@example.com');
      await page.fill('input[name=password]', PASSWORD);
      await page.click('button[type=submit]');
      await page.waitForURL(/\/board$/);
      return { page, close: () => context.close() };
    }

    async function seriousViolations(page: Page): Promise<string[]> {
      // Evaluated over the DevTools protocol, so the page CSP (which stays on, for Chart.js's sake) does not apply.
      await page.evaluate(AXE_SOURCE);
      const result = await page.evaluate<AxeResults>("axe.run(document, { resultTypes: ['violations'] })");
      return result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map(
          (v) =>
            `${v.impact} ${v.id}: ${v.help} at ${v.nodes
              .map((n) => n.target.join(' '))
              .slice(0, 3)
              .join(', ')}`,
        );
    }

    test('a viewer sees the summary first and every chart drawn beside its table; axe-clean; XSS inert', async () => {
      const { page, close } = await openAnalytics({ width: 1440, height: 900 });
      const foreign: string[] = [];
      const dialogs: string[] = [];
      const cspErrors: string[] = [];
      page.on('request', (request) => {
        if (!request.url().startsWith(stack.url)) foreign.push(request.url());
      });
      page.on('dialog', async (dialog) => {
        dialogs.push(dialog.message());
        await dialog.dismiss();
      });
      page.on('console', (message) => {
        if (message.type() === 'error') cspErrors.push(message.text());
      });
      const response = await page.goto(`${stack.url}/analytics`);
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
      await page.waitForFunction(ALL_DRAWN);
      // The executive summary is the first section, with four numbers.
      expect(await page.locator('main section').first().locator('h2').textContent()).toMatch(/^Summary/);
      expect(await page.locator('.headline').count()).toBe(4);
      for (const id of CHARTS) {
        // Chart.js owns the canvas and has painted on it: some pixel is not transparent.
        const painted = await page.evaluate<{ owned: boolean; inked: number }>(`(() => {
          const canvas = document.getElementById(${JSON.stringify(id)});
          const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
          let inked = 0;
          for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) inked++;
          return { owned: window.Chart.getChart(canvas) !== undefined, inked };
        })()`);
        expect(painted.owned).toBe(true);
        expect(painted.inked).toBeGreaterThan(500);
        // Screen readers get the chart's name, which points to the table holding its numbers.
        const label = await page.locator(`#${id}`).getAttribute('aria-label');
        expect(label).toMatch(/The numbers are in the table after it\.$/);
        const spec = JSON.parse((await page.locator(`#${id}`).getAttribute('data-chart')) ?? '{}') as {
          tableId: string;
        };
        expect(await page.locator(`#${spec.tableId} tbody tr`).count()).toBeGreaterThan(0);
      }
      // The drifting agent is flagged in words, the steady one is not.
      await expect(
        page.locator('.drift', { hasText: 'refund-bot' }).locator('.drift-flag').textContent(),
      ).resolves.toMatch(/^Drift: intervention/);
      await expect(
        page.locator('.drift', { hasText: 'triage-bot' }).locator('.drift-flag').textContent(),
      ).resolves.toBe('No drift detected');
      // Hostile names arrive as text, in the tables and in the charts' data: the HTML as the server sent it.
      const html = (await response?.text()) ?? '';
      for (const [name, evil] of XSS_CORPUS) {
        expect([name, inertnessProblems(html, evil.slice(0, 64))]).toEqual([name, []]);
      }
      expect(await page.locator('#agents-table tbody th', { hasText: '<script>' }).count()).toBeGreaterThan(0);
      // Time per board stage and the backlog by age, under SLA compliance.
      const refundsStages = page.locator('#stage-times-table tbody tr', { hasText: 'refunds' });
      await expect(refundsStages.locator('td').count()).resolves.toBe(4);
      const refundsBacklog = page.locator('#backlog-table tbody tr', { hasText: 'refunds' }).first();
      // Open 6: one per age bucket, and two under an hour.
      await expect(refundsBacklog.locator('td').allTextContents()).resolves.toEqual(['6', '2', '1', '1', '1', '1']);
      expect(await page.locator('#backlog-table tbody th', { hasText: '<img src=x' }).count()).toBe(1);
      expect(await page.locator('main img, main svg, main iframe, a[href^="javascript:"]').count()).toBe(0);
      expect(await page.evaluate('typeof window.__xss')).toBe('undefined');
      expect(foreign).toEqual([]);
      expect(dialogs).toEqual([]);
      expect(cspErrors.filter((text) => /Content Security Policy/i.test(text))).toEqual([]);
      expect(await seriousViolations(page)).toEqual([]);
      mkdirSync(SCREENSHOTS, { recursive: true });
      if (database === 'sqlite') {
        await page.screenshot({ path: path.join(SCREENSHOTS, 'analytics-desktop.png') });
        await page
          .locator('section[aria-labelledby="agents-heading"]')
          .screenshot({ path: path.join(SCREENSHOTS, 'analytics-agents.png') });
        await page
          .locator('section[aria-labelledby="sla-heading"]')
          .screenshot({ path: path.join(SCREENSHOTS, 'analytics-sla.png') });
      }
      await close();
    });

    test('at 390×844 nothing scrolls sideways (wide tables scroll inside their own region)', async () => {
      const { page, close } = await openAnalytics({ width: 390, height: 844 });
      await page.goto(`${stack.url}/analytics?interval=week`);
      await page.waitForFunction(ALL_DRAWN);
      expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
      expect(await seriousViolations(page)).toEqual([]);
      if (database === 'sqlite') await page.screenshot({ path: path.join(SCREENSHOTS, 'analytics-phone.png') });
      await close();
    });
  });
}
