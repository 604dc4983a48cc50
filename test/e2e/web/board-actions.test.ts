/**
 * The board's per-card actions in a real browser (Chromium through playwright-core, a real server
 * process, each database): a reviewer outside level 2's group sees no Claim on that card but the
 * reason in words; a member of the group sees Claim and claiming works; the queue's card fields
 * show on the card; on a phone the card with its reason does not scroll sideways.
 */
import { type Browser, chromium } from 'playwright-core';
import { DATABASES } from '../../../server/src/test-support/databases.js';
import { PASSWORD, startWebStack, type WebStack } from './web-stack.js';

const CHROMIUM = process.env.LOOPGATE_CHROMIUM ?? '/usr/bin/chromium';
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
});
afterAll(async () => browser?.close());

for (const database of DATABASES) {
  describe(`${database}: the board's per-card actions in Chromium`, () => {
    let stack: WebStack;
    beforeAll(async () => {
      stack = await startWebStack(database);
      // rev and rev2 are both in ops (web-stack); only rev2 is in compliance.
      const group = await stack.api('/api/v1/reviewer-groups', {
        body: { name: 'compliance', members: ['rev2@example.com'] },
      });
      expect(group.status).toBe(201);
      const queue = await stack.api('/api/v1/queues', {
        body: {
          name: 'refunds',
          config: {
            levels: [
              { name: 'operations', group: 'ops' },
              { name: 'compliance', group: 'compliance' },
            ],
            cardFields: ['/amount', '/customer/name'],
          },
        },
      });
      expect(queue.status).toBe(201);
    });
    afterAll(async () => stack?.stop());

    async function loggedIn(email: string, viewport = DESKTOP) {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      await page.goto(`${stack.url}/board`);
      await page.waitForURL(/\/login/);
      await page.fill('input[name=email]', email);
      await page.fill('input[name=password]', PASSWORD);
      await page.click('button[type=submit]');
      await page.waitForURL(/\/board$/);
      return { context, page };
    }

    test("level 2: no Claim outside compliance, the reason instead; compliance's member claims it", async () => {
      const created = await stack.api('/api/v1/tasks', {
        key: stack.keys.reviewer,
        body: { title: 'Refund A-77', queue: 'refunds', payload: { amount: 480, customer: { name: 'Dana <b>W</b>' } } },
      });
      expect(created.status).toBe(201);
      const id = created.body.id as string;

      // rev approves level 1 on the task page.
      const rev = await loggedIn('rev@example.com');
      await rev.page.goto(`${stack.url}/tasks/${id}`);
      await rev.page.click('#approve');
      await rev.page.locator('#done').waitFor();

      await rev.page.goto(`${stack.url}/board?q=A-77`);
      const revCard = rev.page.locator(`.card[data-id="${id}"]`);
      await revCard.waitFor();
      await revCard.locator('.card-fields', { hasText: 'customer.name: Dana <b>W</b>' }).waitFor();
      expect(await revCard.locator('[data-control="claim"]').count()).toBe(0);
      expect(await revCard.locator('[data-control="decide"]').count()).toBe(0);
      expect(await revCard.locator('button[data-blocked="claim"]').isDisabled()).toBe(true);
      const why = revCard.locator('.why');
      expect(await why.isVisible()).toBe(true);
      expect(await why.textContent()).toContain('Level 2 (compliance) is decided by the "compliance" group');
      // Escalate stays a button: anyone who may decide tasks may raise one.
      expect(await revCard.locator('[data-control="escalate"]').count()).toBe(1);
      await rev.context.close();

      const rev2 = await loggedIn('rev2@example.com');
      await rev2.page.goto(`${stack.url}/board?q=A-77`);
      const card = rev2.page.locator(`.column[data-stage="needs_approval"] .card[data-id="${id}"]`);
      await card.waitFor();
      expect(await card.locator('.why').count()).toBe(0);
      await card.locator('[data-control="claim"]').click();
      await rev2.page.locator(`.column[data-stage="in_progress"] .card[data-id="${id}"]`).waitFor();
      const task = (await stack.api(`/api/v1/tasks/${id}`)).body;
      expect(task.workflow).toMatchObject({ claimed: true, level: 2 });
      await rev2.context.close();
    });

    test('on a phone, a card with a reason fits the screen', async () => {
      const created = await stack.api('/api/v1/tasks', {
        key: stack.keys.reviewer,
        body: { title: 'Refund phone', queue: 'refunds', payload: { amount: 12, customer: { name: 'x'.repeat(120) } } },
      });
      expect(created.status).toBe(201);
      const viewer = await loggedIn('view@example.com', PHONE);
      await viewer.page.goto(`${stack.url}/board?q=Refund%20phone`);
      const card = viewer.page.locator(`.card[data-id="${created.body.id}"]`);
      await card.locator('.why', { hasText: "Viewers can't claim tasks" }).waitFor();
      const { scrollWidth, innerWidth } = await viewer.page.evaluate<{ scrollWidth: number; innerWidth: number }>(
        '({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })',
      );
      expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
      await viewer.context.close();
    });
  });
}
