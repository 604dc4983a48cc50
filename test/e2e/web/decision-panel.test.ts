/**
 * The decision panel in a real browser (Debian's Chromium through playwright-core, against a real
 * server process, on each database): an edit is never lost (Approve is disabled once the payload
 * differs, and even a forced click is refused by the server), a 10-field change shows all ten on
 * the confirm step, Reject needs a reason, Next task opens the most urgent task, and the e-mail
 * link page shows its buttons on a phone's first screen. Screenshots (desktop 1280×800 and phone
 * 390×844) are written to LOOPGATE_SCREENSHOT_DIR when it is set.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { DATABASES } from '../../../server/src/test-support/databases.js';
import { until } from '../../../server/src/test-support/until.js';
import { PASSWORD, startWebStack, type WebStack } from './web-stack.js';

const CHROMIUM = process.env.LOOPGATE_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = process.env.LOOPGATE_SCREENSHOT_DIR;
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
});
afterAll(async () => browser?.close());

async function shot(page: Page, name: string) {
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

const REFUND = {
  order: 'A-1042',
  customer: { name: 'Dana Whitfield', email: 'dana@example.com' },
  refund: { amount: 480, currency: 'EUR', reason: 'Parcel arrived damaged; the customer sent photos of the box.' },
  lines: [
    { sku: 'KETTLE-2', qty: 1 },
    { sku: 'MUG-6', qty: 2 },
  ],
};

for (const database of DATABASES) {
  describe(`${database}: the decision panel in Chromium`, () => {
    let stack: WebStack;
    beforeAll(async () => {
      stack = await startWebStack(database);
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

    async function createTask(body: object) {
      const res = await stack.api('/api/v1/tasks', {
        key: stack.keys.reviewer,
        body: { queue: 'support', payload: REFUND, riskLevel: 'high', confidence: 0.62, slaSeconds: 3600, ...body },
      });
      expect(res.status).toBe(201);
      return res.body as { id: string };
    }

    const apiTask = async (id: string) => (await stack.api(`/api/v1/tasks/${id}`)).body;

    test('edit, then try to approve: Approve is disabled, a forced click is refused, the stored decision carries the edit', async () => {
      const task = await createTask({ title: 'Refund order A-1042' });
      const { context, page } = await loggedIn('rev@example.com');
      await page.goto(`${stack.url}/tasks/${task.id}`);
      await shot(page, `task-page-desktop-${database}`);
      await page.click('#edit-payload summary');
      const edited = { ...REFUND, refund: { ...REFUND.refund, amount: 100 } };
      await page.locator('#payload-editor').fill(JSON.stringify(edited, null, 2));
      expect(await page.locator('#approve').isDisabled()).toBe(true);
      await page.locator('#approve-blocked-edit', { hasText: 'You changed the payload' }).waitFor();
      expect(await page.locator('#preview-modify').getAttribute('class')).toContain('primary');
      // Reverting gives Approve back.
      await page.locator('#payload-editor').fill(JSON.stringify(REFUND, null, 2));
      expect(await page.locator('#approve').isDisabled()).toBe(false);
      await page.locator('#payload-editor').fill(JSON.stringify(edited, null, 2));
      // A page whose script did not run (or a user who forces the button) still cannot approve the original.
      await page.evaluate("document.getElementById('approve').removeAttribute('disabled')");
      await page.fill('#comment', 'Capped at policy');
      await page.click('#approve');
      await page.locator('#panel-error', { hasText: 'You changed the payload' }).waitFor();
      await page.locator('#changes li', { hasText: 'refund.amount' }).waitFor();
      expect((await apiTask(task.id)).status).toBe('pending_review');
      expect(await page.inputValue('#comment')).toBe('Capped at policy');
      await shot(page, `confirm-step-desktop-${database}`);
      await page.click('#confirm-modify');
      await page.locator('#done', { hasText: 'Approved with 1 change' }).waitFor();
      const after = await apiTask(task.id);
      expect(after.status).toBe('approved_with_modifications');
      expect(after.decision.modifiedPayload).toEqual(edited);
      expect(after.decision.comment).toBe('Capped at policy');
      await page.locator('#decision-changes li', { hasText: 'refund.amount: 480 → 100' }).waitFor();
      await shot(page, `decided-desktop-${database}`);
      await context.close();
    });

    test('a 10-field change on a long payload: the confirm step shows all ten, nothing scrolled out of view', async () => {
      const payload = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`field${i}`, `value ${i}`]));
      const task = await createTask({ title: 'Long payload', payload });
      const { context, page } = await loggedIn('rev2@example.com');
      await page.goto(`${stack.url}/tasks/${task.id}`);
      const edited = { ...payload };
      for (let i = 0; i < 60; i += 6) edited[`field${i}`] = `changed ${i}`;
      await page.click('#edit-payload summary');
      await page.locator('#payload-editor').fill(JSON.stringify(edited, null, 2));
      await page.click('#preview-modify');
      await page.locator('#change-count', { hasText: '10 changes' }).waitFor();
      expect(await page.locator('#changes li').count()).toBe(10);
      expect(await page.locator('#diff .add').count()).toBe(10);
      // The diff box is not capped: it is as tall as its content, and no line is followed by a blank one.
      const box = await page
        .locator('#diff')
        .evaluate((el) => ({ scroll: el.scrollHeight, client: el.clientHeight, text: el.textContent ?? '' }));
      expect(box.scroll).toBeLessThanOrEqual(box.client + 1);
      expect(box.text).not.toMatch(/\n\s*\n/);
      await page.click('#confirm-modify');
      await page.locator('#done', { hasText: 'Approved with 10 changes' }).waitFor();
      expect(await page.locator('#decision-changes li').count()).toBe(10);
      await context.close();
    });

    test('Reject needs a reason and a confirmation; Next task opens the most urgent task', async () => {
      const first = await createTask({ title: 'Due first', slaSeconds: 20 });
      const second = await createTask({ title: 'Due second', slaSeconds: 25 });
      const { context, page } = await loggedIn('rev@example.com');
      await page.goto(`${stack.url}/tasks/next`);
      await page.waitForURL(new RegExp(`/tasks/${first.id}$`));
      await page.click('#reject');
      await page.locator('text=Reject this task?').waitFor();
      // The browser will not send an empty reason…
      await page.click('#confirm-reject');
      expect(await page.evaluate("document.getElementById('comment').validity.valueMissing")).toBe(true);
      // …and the server refuses one that gets through.
      await page.evaluate("document.getElementById('comment').removeAttribute('required')");
      await page.click('#confirm-reject');
      await page.locator('#panel-error', { hasText: 'Say why you reject' }).waitFor();
      expect((await apiTask(first.id)).status).toBe('pending_review');
      await page.fill('#comment', 'Duplicate of A-1041');
      await page.click('#confirm-reject');
      await page.locator('#done', { hasText: 'Rejected: Duplicate of A-1041' }).waitFor();
      expect((await apiTask(first.id)).decision).toMatchObject({ action: 'reject', comment: 'Duplicate of A-1041' });
      await page.click('#next-task');
      await page.waitForURL(new RegExp(`/tasks/${second.id}$`));
      await context.close();
    });

    test('a form with a number and an enum: modifiedPayload has a JSON number and the enum value', async () => {
      const task = await createTask({
        title: 'Refund with a form',
        form: {
          type: 'object',
          properties: {
            amount: {
              type: 'number',
              title: 'Refund amount',
              minimum: 0,
              maximum: 500,
              'x-loopgate-path': '/refund/amount',
            },
            currency: {
              type: 'string',
              title: 'Currency',
              enum: ['EUR', 'USD'],
              enumNames: ['Euro', 'US dollar'],
              'x-loopgate-path': '/refund/currency',
            },
          },
          required: ['amount'],
        },
      });
      const { context, page } = await loggedIn('rev2@example.com');
      await page.goto(`${stack.url}/tasks/${task.id}`);
      await page.fill('#field-amount', '125.5');
      await page.selectOption('#field-currency', 'USD');
      expect(await page.locator('#approve').isDisabled()).toBe(true);
      await page.click('#preview-modify');
      await page.locator('#change-count', { hasText: '2 changes' }).waitFor();
      await page.click('#confirm-modify');
      await page.locator('#done', { hasText: 'Approved with 2 changes' }).waitFor();
      await shot(page, `form-decided-desktop-${database}`);
      const after = await apiTask(task.id);
      expect(after.decision.modifiedPayload.refund).toEqual({ ...REFUND.refund, amount: 125.5, currency: 'USD' });
      await context.close();
    });

    test('the e-mail link page on a phone: buttons on the first screen, no sideways scrolling', async () => {
      const task = await createTask({ title: 'Refund order A-1043 for a very long customer name indeed' });
      const mail = await until(
        'the review mail',
        () => stack.smtp.mails.find((m) => m.to[0] === 'rev2@example.com' && m.text.includes('A-1043')),
        { timeoutMs: 15_000, intervalMs: 100 },
      );
      const modify = /Review & modify:\s+(http\S+)/.exec(mail.text)?.[1] ?? '';
      for (const [viewport, name] of [
        [PHONE, 'phone'],
        [DESKTOP, 'desktop'],
      ] as const) {
        const context = await browser.newContext({ viewport });
        const page = await context.newPage();
        await page.goto(modify);
        await shot(page, `review-link-${name}-${database}`);
        for (const id of ['#approve', '#preview-modify', '#reject']) {
          const box = await page.locator(id).boundingBox();
          expect(box && box.y + box.height).toBeLessThanOrEqual(PHONE.height);
        }
        const widths = (await page.evaluate(
          '({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth })',
        )) as { scroll: number; inner: number };
        expect(widths.scroll).toBeLessThanOrEqual(widths.inner);
        await context.close();
      }
      const phone = await loggedIn('rev2@example.com', PHONE);
      await phone.page.goto(`${stack.url}/tasks/${task.id}`);
      await shot(phone.page, `task-page-phone-${database}`);
      await phone.context.close();
      const link = await browser.newContext({ viewport: PHONE });
      const page = await link.newPage();
      await page.goto(modify);
      await page.click('#approve');
      await page.locator('text=Approved').first().waitFor();
      await page.locator('a[href="/tasks/next"]').waitFor();
      expect((await apiTask(task.id)).status).toBe('approved');
      await link.close();
    });
  });
}
