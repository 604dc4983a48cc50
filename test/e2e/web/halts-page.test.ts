/**
 * The stop button in a real browser (Debian's Chromium via playwright-core, against a real server
 * process, on each database), on a 390 px phone: an admin stops the "support" queue with one tap, the
 * API then refuses its new tasks with 423 `halted`, the page lists the halt, and one tap on Resume
 * lets tasks in again. The page fits the phone without sideways scrolling, and axe-core finds no
 * serious or critical violation with a halt listed. LOOPGATE_SCREENSHOT_DIR=/some/dir saves screenshots.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AxeResults } from 'axe-core';
import { type Browser, chromium, type Page } from 'playwright-core';
import { DATABASES } from '../../../server/src/test-support/databases.js';
import { PASSWORD, startWebStack, type WebStack } from './web-stack.js';

const CHROMIUM = process.env.LOOPGATE_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = process.env.LOOPGATE_SCREENSHOT_DIR;
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const PHONE = { width: 390, height: 844 };

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
});
afterAll(async () => browser?.close());

const sidewaysOverflow = (page: Page): Promise<number> =>
  page.evaluate(`(() => {
    const right = Math.max(...[...document.querySelectorAll('main *')].map((e) => e.getBoundingClientRect().right));
    return Math.ceil(right) - document.documentElement.clientWidth;
  })()`);

async function seriousViolations(page: Page): Promise<string[]> {
  const results = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] })`)) as AxeResults;
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

for (const database of DATABASES) {
  describe(`${database}: halts page in Chromium`, () => {
    let stack: WebStack;
    beforeAll(async () => {
      stack = await startWebStack(database);
    });
    afterAll(async () => stack?.stop());

    test('on a phone: one tap stops a queue (its new tasks get 423 halted), one tap resumes it; fits, axe-clean', async () => {
      const context = await browser.newContext({ viewport: PHONE, bypassCSP: true });
      const page = await context.newPage();
      await page.goto(`${stack.url}/login`);
      await page.fill('input[name=email]', 'admin@example.com');
      await page.fill('input[name=password]', PASSWORD);
      await page.click('button[type=submit]');
      await page.waitForURL(/\/board$/);
      await page.goto(`${stack.url}/settings/halts`);
      expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);

      await page.getByRole('button', { name: 'Stop queue support' }).click();
      await page.locator('.notice', { hasText: 'Stopped: queue support' }).waitFor();
      const refused = await stack.api('/api/v1/tasks', {
        method: 'POST',
        key: stack.keys.reviewer,
        body: { title: 'Refund', payload: { amount: 1 }, queue: 'support' },
      });
      expect([refused.status, refused.body.code]).toEqual([423, 'halted']);
      expect(refused.body.detail).toMatch(/^New tasks from queue "support" are halted by .* since /);
      expect(await page.getByRole('button', { name: 'Stop queue support' }).isDisabled()).toBe(true);
      expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
      await page.addScriptTag({ content: AXE_SOURCE });
      expect(await seriousViolations(page)).toEqual([]);
      if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `halts-phone-${database}.png`), fullPage: true });

      await page.getByRole('button', { name: 'Resume queue support' }).click();
      await page.locator('.notice', { hasText: 'Resumed: queue support' }).waitFor();
      const created = await stack.api('/api/v1/tasks', {
        method: 'POST',
        key: stack.keys.reviewer,
        body: { title: 'Refund', payload: { amount: 1 }, queue: 'support' },
      });
      expect(created.status).toBe(201);
      await context.close();
    });
  });
}
