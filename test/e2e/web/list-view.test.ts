/**
 * The list view in a real browser (Debian's Chromium via playwright-core, against a real server
 * process, on each database): a reviewer sorts by due through the header (aria-sort follows), the
 * bulk buttons stay disabled with the reason until rows are ticked, ticks two rows (one already
 * claimed by a colleague) and bulk-claims them, and reads the per-task summary; then saves the
 * filters as a named view and reopens it from the Views list. At 390×844 nothing scrolls sideways.
 */
import { type Browser, chromium, type Page } from 'playwright-core';
import { DATABASES } from '../../../server/src/test-support/databases.js';
import { PASSWORD, startWebStack, type WebStack } from './web-stack.js';

const CHROMIUM = process.env.LOOPGATE_CHROMIUM ?? '/usr/bin/chromium';
const PHONE = { width: 390, height: 844 };

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
});
afterAll(async () => browser?.close());

/** How far the page's own content reaches past the viewport's right edge: 0 or less when it fits. */
const sidewaysOverflow = (page: Page): Promise<number> =>
  page.evaluate(`(() => {
    const right = Math.max(...[...document.querySelectorAll('main *')].map((e) => e.getBoundingClientRect().right));
    return Math.ceil(right) - document.documentElement.clientWidth;
  })()`);

for (const database of DATABASES) {
  describe(`${database}: the list view in Chromium`, () => {
    let stack: WebStack;
    beforeAll(async () => {
      stack = await startWebStack(database);
    });
    afterAll(async () => stack?.stop());

    async function loggedIn(email: string, viewport = { width: 1280, height: 800 }): Promise<Page> {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      await page.goto(`${stack.url}/login`);
      await page.fill('input[name=email]', email);
      await page.fill('input[name=password]', PASSWORD);
      await page.click('button[type=submit]');
      await page.waitForURL(/\/board$/);
      return page;
    }

    const rowTitles = (page: Page) => page.locator('table.list tbody td[data-label="Title"] a').allTextContents();

    test('sort by due through the header, tick two rows, bulk claim, read the summary; save a view and reopen it', async () => {
      const create = async (title: string, extra: object) => {
        const res = await stack.api('/api/v1/tasks', {
          body: { title, queue: 'support', payload: { n: title }, ...extra },
          key: stack.keys.reviewer,
        });
        expect(res.status).toBe(201);
        return res.body.id as string;
      };
      const later = await create('Lv later', { slaSeconds: 7200 });
      const soon = await create('Lv soon', { slaSeconds: 600 });
      await create('Lv none', {});
      // A colleague holds "Lv later": claiming it again is skipped, with why.
      const colleague = await loggedIn('rev2@example.com');
      await colleague.goto(`${stack.url}/board?view=list&q=Lv`);
      const claimLater = await colleague.evaluate(
        async ([id, csrf]) =>
          (
            await fetch(`/tasks/${id}/claim`, {
              method: 'POST',
              headers: { 'X-CSRF-Token': csrf as string, Accept: 'application/json' },
            })
          ).status,
        [later, await colleague.locator('meta[name="csrf-token"]').getAttribute('content')],
      );
      expect(claimLater).toBe(200);

      const page = await loggedIn('rev@example.com', PHONE);
      await page.goto(`${stack.url}/board?view=list&q=Lv`);
      expect(await rowTitles(page)).toEqual(['Lv none', 'Lv soon', 'Lv later']);

      await page.getByRole('link', { name: 'Due', exact: true }).click();
      await page.waitForURL(/sort=due&dir=asc/);
      expect(await rowTitles(page)).toEqual(['Lv soon', 'Lv later', 'Lv none']);
      expect(await page.locator('th[aria-sort]').getAttribute('aria-sort')).toBe('ascending');
      expect(await page.locator('td[data-label="Due"].due').first().textContent()).toMatch(/^due in (9|10) min$/);
      await page.getByRole('link', { name: /^Due/ }).click();
      await page.waitForURL(/sort=due&dir=desc/);
      expect(await rowTitles(page)).toEqual(['Lv none', 'Lv later', 'Lv soon']);
      expect(await page.locator('th[aria-sort]').getAttribute('aria-sort')).toBe('descending');
      expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);

      // Nothing ticked: the buttons say why they are disabled, before any click.
      const claim = page.getByRole('button', { name: 'Claim selected' });
      expect(await claim.isDisabled()).toBe(true);
      expect(await page.locator('#bulk-why').textContent()).toContain('Select tasks first');
      await page.getByRole('checkbox', { name: 'Select Lv soon' }).check();
      await page.getByRole('checkbox', { name: 'Select Lv later' }).check();
      expect(await claim.isEnabled()).toBe(true);
      expect(await page.locator('#bulk-count').textContent()).toBe('2 selected:');
      await claim.focus();
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/tasks\/bulk$/);
      expect(await page.locator('#bulk-summary').textContent()).toMatch(/^1 claimed, 1 skipped: claimed by \S+/);
      expect(await page.locator('.bulk-outcomes li').allTextContents()).toEqual([
        expect.stringMatching(/Lv later:\s+skipped, claimed by/),
        expect.stringMatching(/Lv soon:\s+done/),
      ]);
      expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
      await page.getByRole('link', { name: 'Back to the list' }).click();
      await page.waitForURL(/sort=due&dir=desc/);
      const soonTask = await stack.api(`/api/v1/tasks/${soon}`, { key: stack.keys.reviewer });
      expect(soonTask.body.workflow).toMatchObject({ claimed: true });

      // Save these filters and this order as a view, then reopen it from elsewhere.
      await page.locator('details.save-view summary').click();
      await page.getByLabel('View name').fill('Lv by due');
      await page.getByRole('button', { name: 'Save these filters' }).click();
      await page.waitForURL(/q=Lv.*sort=due&dir=desc/);
      await page.goto(`${stack.url}/board`);
      await page.getByRole('link', { name: 'Lv by due' }).click();
      await page.waitForURL(/view=list&q=Lv&sort=due&dir=desc$/);
      expect(await page.getByRole('link', { name: 'Lv by due' }).getAttribute('aria-current')).toBe('page');
      expect(await rowTitles(page)).toEqual(['Lv none', 'Lv later', 'Lv soon']);
      expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
      await page.context().close();
      await colleague.context().close();
    });
  });
}
