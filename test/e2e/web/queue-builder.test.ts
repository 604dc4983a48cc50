/**
 * The queue builder in Chromium, on both databases: an admin adds a rule with the builder's own
 * buttons, previews it (warnings and what it would have done with the queue's recent tasks), and
 * saves; the API then has exactly that config. At 390×844 the page has no horizontal scroll.
 * Screenshots (desktop and phone) go to $LOOPGATE_SCREENSHOTS, or the temp directory.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { DATABASES } from '../../../server/src/test-support/databases.js';
import { PASSWORD, startWebStack, type WebStack } from './web-stack.js';

const CHROMIUM = process.env.LOOPGATE_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = process.env.LOOPGATE_SCREENSHOTS ?? path.join(tmpdir(), 'loopgate-screenshots');

let browser: Browser;
beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
});
afterAll(async () => browser?.close());

for (const database of DATABASES) {
  describe(`${database}: the queue builder in Chromium`, () => {
    let stack: WebStack;
    beforeAll(async () => {
      stack = await startWebStack(database);
    });
    afterAll(async () => stack?.stop());

    async function adminPage(viewport: { width: number; height: number }): Promise<Page> {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      await page.goto(`${stack.url}/settings/queues/support`);
      await page.waitForURL(/\/login/);
      await page.fill('input[name=email]', 'admin@example.com');
      await page.fill('input[name=password]', PASSWORD);
      await page.click('button[type=submit]');
      await page.waitForURL(/\/settings\/queues\/support$/);
      return page;
    }

    /** Parts of the settings page that stick out past the right edge of the screen (the top bar is the layout's). */
    const widerThanScreen = (page: Page): Promise<string[]> =>
      // A string, so this Node-typed file need not know the DOM's types; it runs in the page.
      page.evaluate(`(() => {
        const width = document.documentElement.clientWidth;
        return [...document.querySelectorAll('.settings, .settings *')]
          .filter((el) => el.getBoundingClientRect().right > width + 1)
          .slice(0, 5)
          .map((el) => el.tagName.toLowerCase() + '#' + el.id + '.' + el.className + ' right=' + el.getBoundingClientRect().right);
      })()`);

    test('add rules with buttons, preview with warnings, save: the API has that config', async () => {
      for (const confidence of [0.95, 0.4]) {
        const task = await stack.api('/api/v1/tasks', {
          key: stack.keys.reviewer,
          body: { queue: 'support', title: 'Refund', payload: { amount: 5 }, confidence },
        });
        expect(task.status).toBe(201);
      }
      const page = await adminPage({ width: 1280, height: 800 });
      await page.selectOption('select[name=newRuleType]', 'confidence_below');
      await page.getByRole('button', { name: 'Add rule' }).click();
      await page.fill('input[name="rule.0.threshold"]', '0.8');
      await page.fill('textarea[name=description]', 'Typed before adding a row');
      await page.selectOption('select[name=newRuleType]', 'auto_approve');
      await page.getByRole('button', { name: 'Add rule' }).click();
      await page.selectOption('select[name=newRuleType]', 'flag');
      await page.getByRole('button', { name: 'Add rule' }).click();
      await page.fill('input[name="rule.2.name"]', 'vip');
      // Nothing typed was lost across the three re-renders.
      expect(await page.inputValue('textarea[name=description]')).toBe('Typed before adding a row');
      expect(await page.inputValue('input[name="rule.0.threshold"]')).toBe('0.8');

      await page.locator('#queue-builder .form-actions').getByRole('button', { name: 'Preview' }).click();
      await page.locator('#config-preview').waitFor();
      expect(await page.locator('#config-preview').textContent()).toContain(
        'Of the last 2 tasks, this config would send 1 to humans and auto-approve 1',
      );
      expect(await page.locator('#rule-2').textContent()).toContain('Never reached');
      await page.screenshot({ path: path.join(SHOTS, `${database}-queue-builder-desktop.png`), fullPage: true });
      expect((await stack.api('/api/v1/queues/support')).body.config.policy.rules).toEqual([]);

      // The flag rule cannot be reached after auto_approve: move it up, then save.
      await page.getByRole('button', { name: 'Move rule 3 up' }).click();
      await page.locator('#queue-builder .form-actions').getByRole('button', { name: 'Save' }).click();
      await page.waitForURL(/\/settings\/queues\?saved=support$/);
      const saved = (await stack.api('/api/v1/queues/support')).body;
      expect(saved.config).toMatchObject({
        description: 'Typed before adding a row',
        reviewerGroups: ['ops'],
        policy: {
          rules: [
            { type: 'confidence_below', threshold: 0.8 },
            { type: 'flag', name: 'vip' },
            { type: 'auto_approve' },
          ],
        },
      });
      expect(saved.warnings).toEqual([]);
      await page.context().close();
    });

    test('at 390×844 the builder fits without horizontal scroll; a refused save shows the problem by the field', async () => {
      const page = await adminPage({ width: 390, height: 844 });
      await page.getByRole('button', { name: 'Add level' }).click();
      await page.fill('input[name="level.1.quorum"]', '0');
      await page.locator('#queue-builder .form-actions').getByRole('button', { name: 'Save' }).click();
      await page.locator('#form-problems').waitFor();
      expect(await page.locator('#level-1').textContent()).toMatch(/Too small/);
      await page.screenshot({ path: path.join(SHOTS, `${database}-queue-builder-phone.png`), fullPage: true });
      expect(await widerThanScreen(page)).toEqual([]);
      await page.goto(`${stack.url}/settings/queues`);
      await page.screenshot({ path: path.join(SHOTS, `${database}-queue-settings-phone.png`), fullPage: true });
      expect(await widerThanScreen(page)).toEqual([]);
      await page.context().close();
    });
  });
}
