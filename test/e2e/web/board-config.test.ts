/**
 * Columns the team defines, in a real browser (Debian's Chromium via playwright-core, against a
 * real server process): an admin adds a "Fraud flags" column on /settings/board, the board then
 * shows exactly the tagged tasks there and not again in Pending, moves them by claiming, and a
 * phone shows one column at a time with a picker, without horizontal scrolling, live updates on.
 */
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { DATABASES } from '../../../server/src/test-support/databases.js';
import { until } from '../../../server/src/test-support/until.js';
import { PASSWORD, startWebStack, type WebStack } from './web-stack.js';

const CHROMIUM = process.env.LOOPGATE_CHROMIUM ?? '/usr/bin/chromium';

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
});
afterAll(async () => browser?.close());

for (const database of DATABASES) {
  describe(`${database}: board columns in Chromium`, () => {
    let stack: WebStack;
    beforeAll(async () => {
      stack = await startWebStack(database);
    });
    afterAll(async () => stack?.stop());

    async function loggedIn(
      email: string,
      viewport = { width: 1280, height: 800 },
    ): Promise<{ context: BrowserContext; page: Page }> {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      await page.goto(`${stack.url}/login`);
      await page.fill('input[name=email]', email);
      await page.fill('input[name=password]', PASSWORD);
      await page.click('button[type=submit]');
      await page.waitForURL(/\/board$/);
      return { context, page };
    }

    async function createTask(body: object) {
      const res = await stack.api('/api/v1/tasks', {
        key: stack.keys.reviewer,
        body: { queue: 'support', payload: { amount: 50, currency: 'EUR' }, ...body },
      });
      expect(res.status).toBe(201);
      return res.body as { id: string };
    }

    const cardIds = (page: Page, column: string) =>
      page.locator(`#column-${column} .card`).evaluateAll((cards) => cards.map((c) => c.getAttribute('data-id')));

    test('an admin adds a tag column on the settings page; it shows exactly the tagged tasks, not again in Pending', async () => {
      const { context, page } = await loggedIn('admin@example.com');
      await page.click('a[href="/settings/board"]');
      await page.waitForURL(/\/settings\/board$/);
      await page.fill('#add-board-column-form input[name=title]', 'Fraud flags');
      await page.fill('#add-board-column-form input[name=tag]', 'fraud');
      await page.click('#add-board-column-form button[type=submit]');
      await page.locator('.notice', { hasText: 'Column "Fraud flags" added' }).waitFor();
      // Renamed and moved first with the page's own buttons.
      await page.click('button[value="up:fraud-flags"]');
      await page.locator('.notice', { hasText: 'moved up' }).waitFor();
      await page.fill('input[name="title:fraud-flags"]', 'Fraud flags (check first)');
      await page.getByRole('button', { name: 'Save columns' }).first().click();
      await page.locator('.notice', { hasText: 'Board columns saved' }).waitFor();

      const tagged = [
        await createTask({ title: 'Card fraud A', tags: ['fraud'] }),
        await createTask({ title: 'Card fraud B', tags: ['vip', 'fraud'] }),
      ];
      const untagged = [
        await createTask({ title: 'Card plain', tags: ['fraudulent'] }),
        await createTask({ title: 'Card none' }),
      ];
      await context.close();

      const reviewer = await loggedIn('rev@example.com');
      const board = reviewer.page;
      await board.locator('#column-fraud-flags h2', { hasText: 'Fraud flags (check first)' }).waitFor();
      expect((await cardIds(board, 'fraud-flags')).sort()).toEqual(tagged.map((t) => t.id).sort());
      const pending = await cardIds(board, 'pending');
      for (const task of untagged) expect(pending).toContain(task.id);
      for (const task of tagged) expect(pending).not.toContain(task.id);
      expect(await board.locator('#column-fraud-flags .count').getAttribute('data-count')).toBe('2');

      // Claiming is a real transition: the card stays in its filter column, now claimed.
      await board.locator(`#column-fraud-flags .card[data-id="${tagged[0]?.id}"] button[data-control=claim]`).click();
      await board.locator('#board-status', { hasText: 'Claimed.' }).waitFor();
      await board
        .locator(`#column-fraud-flags .card[data-id="${tagged[0]?.id}"] button[data-control=release]`)
        .waitFor();
      expect(await cardIds(board, 'in_progress')).not.toContain(tagged[0]?.id);
      await reviewer.context.close();
    });

    test('on a phone the board shows one column at a time with a picker, keyboard reachable, no horizontal scroll', async () => {
      // The board this test looks at, whatever ran before it: a filter column among the stages.
      const stages = ['pending', 'in_progress', 'needs_approval', 'escalated', 'completed'];
      const columns: object[] = stages.map((stage) => ({
        id: stage,
        title: stage.replace('_', ' '),
        kind: 'stage',
        stage,
      }));
      columns.splice(4, 0, {
        id: 'fraud-flags',
        title: 'Fraud flags',
        kind: 'filter',
        filter: { tag: 'fraud' },
      });
      const put = await stack.api('/api/v1/board', { method: 'PUT', body: { columns } });
      expect(put.status).toBe(200);
      const { context, page } = await loggedIn('rev@example.com', { width: 390, height: 844 });
      const picker = page.locator('.column-picker');
      await picker.waitFor();
      const visibleColumns = () =>
        page.evaluate<string[]>(
          '[...document.querySelectorAll("#columns .column")].filter((c) => c.offsetParent !== null).map((c) => c.dataset.column)',
        );
      const allColumns = await page
        .locator('#columns .column')
        .evaluateAll((cs) => cs.map((c) => c.getAttribute('data-column')));
      expect(allColumns).toContain('fraud-flags');
      expect(await visibleColumns()).toEqual([allColumns[0]]);
      const width = () =>
        page.evaluate<{ scrollWidth: number; innerWidth: number }>(
          '({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })',
        );
      let { scrollWidth, innerWidth } = await width();
      expect(scrollWidth).toBeLessThanOrEqual(innerWidth);

      // Keyboard: focus the Pending link, press Enter; the Pending column shows and its heading has focus.
      await page.locator('.column-picker a[data-column="pending"]').focus();
      await page.keyboard.press('Enter');
      await until('the Pending column alone', async () =>
        (await visibleColumns()).join() === 'pending' ? true : undefined,
      );
      expect(await page.locator('.column-picker a[data-column="pending"]').getAttribute('aria-current')).toBe('true');
      expect(await page.evaluate('document.activeElement?.closest(".column")?.dataset.column')).toBe('pending');
      expect(page.url()).toMatch(/#column-pending$/);

      // A live redraw (a new task) keeps the picked column.
      const fresh = await createTask({ title: 'Arrives while looking' });
      await page.locator(`#column-pending .card[data-id="${fresh.id}"]`).waitFor();
      expect(await visibleColumns()).toEqual(['pending']);
      ({ scrollWidth, innerWidth } = await width());
      expect(scrollWidth).toBeLessThanOrEqual(innerWidth);

      // The settings page at phone size: no horizontal scroll either.
      await context.close();
      const admin = await loggedIn('admin@example.com', { width: 390, height: 844 });
      await admin.page.goto(`${stack.url}/settings/board`);
      const settings = await admin.page.evaluate<{ scrollWidth: number; innerWidth: number }>(
        '({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })',
      );
      expect(settings.scrollWidth).toBeLessThanOrEqual(settings.innerWidth);
      await admin.context.close();
    });
  });
}
