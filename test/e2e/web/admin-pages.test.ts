/**
 * The admin pages in a real browser (Debian's Chromium via playwright-core, against a real server
 * process, on each database): an admin creates an API key, copies its secret with the Copy button
 * (a static script: the page CSP allows no inline one), revokes it after the confirmation, and the
 * API refuses it at once; the admin deactivates a reviewer, whose open session ends and who cannot log
 * in, then reactivates them; reviewer groups are created and their members ticked. The pages fit a 390 px phone without sideways scrolling.
 * LOOPGATE_SCREENSHOT_DIR=/some/dir saves desktop and phone screenshots to look at.
 */
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { DATABASES } from '../../../server/src/test-support/databases.js';
import { PASSWORD, startWebStack, type WebStack } from './web-stack.js';

const CHROMIUM = process.env.LOOPGATE_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = process.env.LOOPGATE_SCREENSHOT_DIR;

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
});
afterAll(async () => browser?.close());

/**
 * How far this page's own content (inside <main>) reaches past the viewport's right edge: 0 or less
 * when it fits. The shared header is the layout's (tested with it), not this page's.
 */
const sidewaysOverflow = (page: Page): Promise<number> =>
  page.evaluate(`(() => {
    const right = Math.max(...[...document.querySelectorAll('main *')].map((e) => e.getBoundingClientRect().right));
    return Math.ceil(right) - document.documentElement.clientWidth;
  })()`);

async function shoot(page: Page, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

for (const database of DATABASES) {
  describe(`${database}: admin pages in Chromium`, () => {
    let stack: WebStack;
    beforeAll(async () => {
      stack = await startWebStack(database);
    });
    afterAll(async () => stack?.stop());

    async function loggedIn(email: string, viewport = { width: 1280, height: 800 }): Promise<Page> {
      const context = await browser.newContext({ viewport });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.url });
      const page = await context.newPage();
      await page.goto(`${stack.url}/login`);
      await page.fill('input[name=email]', email);
      await page.fill('input[name=password]', PASSWORD);
      await page.click('button[type=submit]');
      await page.waitForURL(/\/board$/);
      return page;
    }

    test('API keys: create, copy the secret once, revoke after confirming; the API refuses the key at once', async () => {
      const page = await loggedIn('admin@example.com');
      await page.click('nav a[href="/admin/api-keys"]');
      await page.waitForURL(/\/admin\/api-keys$/);
      await page.fill('input[name=name]', `Zapier ${database}`);
      await page.selectOption('select[name=role]', 'reviewer');
      await page.click('#create-key-form button[type=submit]');
      await page.locator('.new-secret', { hasText: 'you will not see this key again' }).waitFor();
      const key = await page.inputValue('#new-key');
      expect(key).toMatch(/^lg_/);
      await page.click('button[data-copy="new-key"]');
      await page.locator('#copy-status', { hasText: 'Copied' }).waitFor();
      expect(await page.evaluate('navigator.clipboard.readText()')).toBe(key);
      await shoot(page, `api-keys-created-desktop-${database}`);
      expect((await stack.api('/api/v1/me', { key })).status).toBe(200);

      await page.goto(`${stack.url}/admin/api-keys`);
      expect(await page.content()).not.toContain(key);
      await page
        .locator('tr', { hasText: `Zapier ${database}` })
        .locator('a', { hasText: 'Revoke' })
        .click();
      await page.locator('h1', { hasText: 'Revoke the key' }).waitFor();
      await shoot(page, `api-keys-revoke-desktop-${database}`);
      await page.click('button.danger');
      await page.locator('.notice', { hasText: 'revoked' }).waitFor();
      expect((await stack.api('/api/v1/me', { key })).status).toBe(401);
      expect(await page.locator('tr', { hasText: `Zapier ${database}` }).count()).toBe(0);
      await page.context().close();
    });

    test('API keys on a phone: no sideways scrolling, the create form reachable by keyboard', async () => {
      const page = await loggedIn('admin@example.com', { width: 390, height: 844 });
      await page.goto(`${stack.url}/admin/api-keys`);
      await shoot(page, `api-keys-phone-${database}`);
      expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
      await page.focus('input[name=name]');
      await page.keyboard.type('Phone key');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');
      await page.locator('.new-secret').waitFor();
      expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
      await shoot(page, `api-keys-created-phone-${database}`);
      await page.context().close();
    });

    test('Users: deactivate a reviewer (their open session ends), the last admin shown locked, reactivate; fits a phone', async () => {
      const reviewer = await loggedIn('rev2@example.com');
      const page = await loggedIn('admin@example.com');
      await page.click('nav a[href="/admin/users"]');
      await page.waitForURL(/\/admin\/users$/);
      const row = (email: string) => page.locator('tr', { has: page.locator(`td:text-is("${email}")`) });
      // The only admin: its Remove is disabled and says why.
      await row('admin@example.com').locator('text=The only active admin').first().waitFor();
      expect(await row('admin@example.com').locator('button', { hasText: 'Remove' }).isDisabled()).toBe(true);
      await shoot(page, `users-desktop-${database}`);
      await row('rev2@example.com').locator('button', { hasText: 'Deactivate' }).click();
      await page.locator('.notice', { hasText: 'rev2@example.com deactivated' }).waitFor();
      await reviewer.goto(`${stack.url}/board`);
      await reviewer.waitForURL(/\/login/);
      await reviewer.fill('input[name=email]', 'rev2@example.com');
      await reviewer.fill('input[name=password]', PASSWORD);
      await reviewer.click('button[type=submit]');
      await reviewer.locator('.error').waitFor();
      await row('rev2@example.com').locator('button', { hasText: 'Reactivate' }).click();
      await page.locator('.notice', { hasText: 'reactivated' }).waitFor();
      await page.setViewportSize({ width: 390, height: 844 });
      expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
      await shoot(page, `users-phone-${database}`);
      await reviewer.context().close();
      await page.context().close();
    });

    test('Reviewer groups: create a group with a member ticked, add another by keyboard; fits a phone', async () => {
      const page = await loggedIn('admin@example.com');
      await page.click('nav a[href="/settings/groups"]');
      await page.waitForURL(/\/settings\/groups$/);
      await page.fill('#create-group-form input[name=name]', 'compliance');
      await page.locator('#create-group-form label', { hasText: 'rev@example.com' }).locator('input').check();
      await page.click('#create-group-form button[type=submit]');
      await page.locator('.notice', { hasText: 'Group "compliance" created' }).waitFor();
      const card = page.locator('section.group-card', { has: page.locator('h2', { hasText: 'compliance' }) });
      const box = card.locator('label', { hasText: 'view@example.com' }).locator('input');
      await box.focus();
      await page.keyboard.press('Space');
      await card.locator('button', { hasText: 'Save members' }).focus();
      await page.keyboard.press('Enter');
      await page.locator('.notice', { hasText: 'Members of "compliance" saved' }).waitFor();
      const groups = await stack.api('/api/v1/reviewer-groups');
      const compliance = groups.body.data.find((g: { name: string }) => g.name === 'compliance');
      expect(compliance.members.map((m: { email: string }) => m.email).sort()).toEqual([
        'rev@example.com',
        'view@example.com',
      ]);
      await shoot(page, `groups-desktop-${database}`);
      await page.setViewportSize({ width: 390, height: 844 });
      expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
      await shoot(page, `groups-phone-${database}`);
      await page.context().close();
    });
  });
}
