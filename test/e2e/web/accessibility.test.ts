/**
 * Every page, as the role that uses it, in Debian's Chromium at a desktop (1280×800) and a phone
 * (390×844): axe-core finds no serious or critical violation, no page is wider than the phone's
 * screen, a "Skip to content" link comes first, and the live board keeps keyboard focus across its
 * redraws. axe.min.js is injected from the installed axe-core (contexts bypass the page CSP for
 * that one inline script; the CSP itself is checked by the other browser suites). PAGES is the one list of pages: a new
 * page is one line there.
 */
import { readFileSync } from 'node:fs';
import type { AxeResults } from 'axe-core';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { DATABASES } from '../../../server/src/test-support/databases.js';
import { until } from '../../../server/src/test-support/until.js';
import { PASSWORD, startWebStack, type WebStack } from './web-stack.js';

const CHROMIUM = process.env.LOOPGATE_CHROMIUM ?? '/usr/bin/chromium';
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const VIEWPORTS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const;

type Role = 'anonymous' | 'admin' | 'reviewer' | 'viewer';
const EMAIL: Record<Exclude<Role, 'anonymous'>, string> = {
  admin: 'admin@example.com',
  reviewer: 'rev@example.com',
  viewer: 'view@example.com',
};

/** What the pages are opened with: made once per database (see `makeFixtures`). */
interface Fixtures {
  taskId: string;
  decidedTaskId: string;
  reviewLink: string;
  usedReviewLink: string;
  inviteLink: string;
  /** The server's address, for pages opened by `open`. */
  baseUrl: string;
}

interface PageCase {
  name: string;
  as: Role;
  /** The path (or a whole URL) to open… */
  path?: (f: Fixtures) => string;
  /** …or how to reach a page that follows a form post. */
  open?: (page: Page, f: Fixtures) => Promise<void>;
  status?: number;
}

const PAGES: PageCase[] = [
  { name: 'login', as: 'anonymous', path: () => '/login' },
  { name: 'board', as: 'reviewer', path: () => '/board' },
  { name: 'board (viewer)', as: 'viewer', path: () => '/board' },
  { name: 'list view', as: 'reviewer', path: () => '/board?view=list' },
  {
    name: 'board: "Save view" open',
    as: 'reviewer',
    open: async (page, f) => {
      await page.goto(`${f.baseUrl}/board`);
      // Opened without a click, so the keyboard check still starts from the top of the page.
      await page.evaluate(`document.querySelector('details.save-view').open = true`);
      await page.getByLabel('View name').waitFor();
    },
  },
  { name: 'list view sorted by due', as: 'reviewer', path: () => '/board?view=list&sort=due&dir=asc' },
  {
    name: 'bulk claim result',
    as: 'reviewer',
    open: async (page, f) => {
      await page.goto(`${f.baseUrl}/board?view=list`);
      await page.locator('input.row-select').first().check();
      await page.getByRole('button', { name: 'Claim selected' }).click();
      await page.locator('#bulk-summary').waitFor();
    },
  },
  { name: 'analytics (no data yet)', as: 'viewer', path: () => '/analytics' },
  { name: 'task page', as: 'reviewer', path: (f) => `/tasks/${f.taskId}` },
  { name: 'task page (viewer)', as: 'viewer', path: (f) => `/tasks/${f.taskId}` },
  { name: 'decided task page', as: 'reviewer', path: (f) => `/tasks/${f.decidedTaskId}` },
  // An admin on an approved task also gets the Revoke approval form.
  { name: 'decided task page (admin)', as: 'admin', path: (f) => `/tasks/${f.decidedTaskId}` },
  { name: 'e-mail link page', as: 'anonymous', path: (f) => f.reviewLink },
  {
    name: 'e-mail link: check your change',
    as: 'anonymous',
    open: async (page, f) => {
      await page.goto(f.reviewLink);
      // The JSON editor sits in a closed <details> under the payload: open it as a reviewer would.
      await page.click('#edit-payload summary');
      const editor = page.locator('#payload-editor');
      await editor.fill((await editor.inputValue()).replace('"amount": 480', '"amount": 100'));
      await page.click('#preview-modify');
      await page.locator('#confirm-modify').waitFor();
    },
  },
  { name: 'e-mail link already used', as: 'anonymous', path: (f) => f.usedReviewLink, status: 410 },
  { name: 'queue settings', as: 'admin', path: () => '/settings/queues' },
  { name: 'queue settings (reviewer)', as: 'reviewer', path: () => '/settings/queues' },
  { name: 'queue edit', as: 'admin', path: () => '/settings/queues/support' },
  { name: 'users', as: 'admin', path: () => '/admin/users' },
  { name: 'API keys', as: 'admin', path: () => '/admin/api-keys' },
  { name: 'reviewer groups', as: 'admin', path: () => '/settings/groups' },
  { name: 'board columns', as: 'admin', path: () => '/settings/board' },
  { name: 'halts', as: 'admin', path: () => '/settings/halts' },
  {
    name: 'board columns: problems beside their fields',
    as: 'admin',
    open: async (page, f) => {
      await page.goto(`${f.baseUrl}/settings/board`);
      await page.fill('#add-board-column-form input[name=title]', 'Nothing set');
      await page.click('#add-board-column-form button[type=submit]');
      await page.locator('#add-tag-error').waitFor();
    },
  },
  { name: 'invitation', as: 'anonymous', path: (f) => f.inviteLink },
  { name: 'account', as: 'viewer', path: () => '/account' },
  {
    name: 'account: problems beside their fields',
    as: 'reviewer',
    open: async (page, f) => {
      await page.goto(`${f.baseUrl}/account`);
      await page.fill('input[name=timeZone]', 'Mars/Olympus_Mons');
      await page.fill('input[name=mailsPerHour]', 'many');
      await page.click('form[action="/account/settings"] button[type=submit]');
      await page.locator('#timeZone-error').waitFor();
    },
  },
  { name: 'unknown page', as: 'reviewer', path: () => '/no/such/page', status: 404 },
  { name: 'unknown page (signed out)', as: 'anonymous', path: () => '/no/such/page', status: 404 },
];

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
});
afterAll(async () => browser?.close());

const LONG_PAYLOAD = {
  refund: { amount: 480, currency: 'EUR', method: 'original_payment' },
  order: { id: '48213', items: ['Espresso machine Duo 2', 'Descaler 500 ml', 'Milk jug 350 ml'] },
  trackingUrl: `https://tracking.example.com/parcels/${'X'.repeat(120)}`,
  note: 'a-very-long-word-without-any-spaces-'.repeat(8),
  lines: Array.from({ length: 30 }, (_, i) => ({ sku: `SKU-${i}`, qty: i + 1, price: 9.5 + i })),
};

for (const database of DATABASES) {
  describe(`${database}: every page on a phone and a keyboard`, () => {
    let stack: WebStack;
    let fixtures: Fixtures;
    const contexts = new Map<string, BrowserContext>();

    async function contextFor(as: Role, device: keyof typeof VIEWPORTS): Promise<BrowserContext> {
      const key = `${as}/${device}`;
      const known = contexts.get(key);
      if (known) return known;
      const context = await browser.newContext({ viewport: VIEWPORTS[device], bypassCSP: true });
      if (as !== 'anonymous') {
        const page = await context.newPage();
        await page.goto(`${stack.url}/login`);
        await page.fill('input[name=email]', EMAIL[as]);
        await page.fill('input[name=password]', PASSWORD);
        await page.click('button[type=submit]');
        await page.waitForURL(/\/board$/);
        await page.close();
      }
      contexts.set(key, context);
      return context;
    }

    const linkIn = (text: string, label: string) => new RegExp(`${label}:\\s+(http\\S+)`).exec(text)?.[1] ?? '';
    async function reviewLinkFor(title: string): Promise<string> {
      const mail = await until(
        `review mail for ${title}`,
        () => stack.smtp.mails.find((m) => m.text.includes(title) && m.to[0] === 'rev@example.com'),
        { timeoutMs: 15_000, intervalMs: 100 },
      );
      return linkIn(mail.text, 'Review & modify');
    }

    async function makeFixtures(): Promise<Fixtures> {
      const create = async (title: string) => {
        const res = await stack.api('/api/v1/tasks', {
          key: stack.keys.reviewer,
          body: {
            queue: 'support',
            title,
            riskLevel: 'high',
            confidence: 0.62,
            slaSeconds: 3600,
            description: 'The customer reports **a cracked water tank**. See https://help.example.com/refunds',
            context: { ticket: 'https://support.example.com/tickets/48213', customer: 'Maria Jensen' },
            payload: LONG_PAYLOAD,
          },
        });
        expect(res.status).toBe(201);
        return res.body.id as string;
      };
      const taskId = await create('Refund order #48213 for a damaged espresso machine');
      const decidedTaskId = await create('Refund order #48214, already decided');
      const usedTaskId = await create('Refund order #48215, link used');
      const reviewLink = await reviewLinkFor('#48213');
      const usedReviewLink = await reviewLinkFor('#48215');
      const used = await fetch(usedReviewLink, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'action=approve',
      });
      expect(used.status).toBe(200);
      expect((await stack.api(`/api/v1/tasks/${usedTaskId}`)).body.status).toBe('approved');
      const modified = { ...LONG_PAYLOAD, refund: { ...LONG_PAYLOAD.refund, amount: 100 } };
      const decided = await stack.api(`/api/v1/tasks/${decidedTaskId}/decision`, {
        key: stack.keys.admin,
        body: { action: 'approve_with_modifications', modifiedPayload: modified, comment: 'Capped at €100' },
      });
      expect(decided.status).toBe(200);

      const admin = await (await contextFor('admin', 'desktop')).newPage();
      await admin.goto(`${stack.url}/admin/users`);
      await admin.fill('#invite-form input[name=email]', 'new.reviewer@example.com');
      await admin.click('#invite-form button[type=submit]');
      await admin.locator('.notice').waitFor();
      await admin.close();
      const invite = await until(
        'invitation mail',
        () => stack.smtp.mails.find((m) => m.to[0] === 'new.reviewer@example.com'),
        { timeoutMs: 15_000, intervalMs: 100 },
      );
      const inviteLink = /(http\S+\/invite\/\S+)/.exec(invite.text)?.[1] ?? '';
      expect(inviteLink).not.toBe('');
      return { taskId, decidedTaskId, reviewLink, usedReviewLink, inviteLink, baseUrl: stack.url };
    }

    beforeAll(async () => {
      stack = await startWebStack(database);
      fixtures = await makeFixtures();
    });
    afterAll(async () => {
      for (const context of contexts.values()) await context.close();
      await stack?.stop();
    });

    /** axe-core's serious and critical findings on the page as it is now, one line each. */
    async function seriousViolations(page: Page): Promise<string[]> {
      await page.addScriptTag({ content: AXE_SOURCE });
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

    async function open(page: Page, entry: PageCase): Promise<void> {
      if (entry.open) {
        await entry.open(page, fixtures);
        return;
      }
      const target = entry.path!(fixtures);
      const response = await page.goto(target.startsWith('http') ? target : `${stack.url}${target}`);
      expect(response?.status()).toBe(entry.status ?? 200);
    }

    for (const device of Object.keys(VIEWPORTS) as (keyof typeof VIEWPORTS)[]) {
      describe(`${device} ${VIEWPORTS[device].width}×${VIEWPORTS[device].height}`, () => {
        test.each(PAGES.map((p) => [p.name, p] as const))('%s', async (_name, entry) => {
          const page = await (await contextFor(entry.as, device)).newPage();
          try {
            await open(page, entry);
            const { scrollWidth, innerWidth } = await page.evaluate<{ scrollWidth: number; innerWidth: number }>(
              '({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })',
            );
            expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
            expect(await seriousViolations(page)).toEqual([]);
            // The first Tab lands on the skip link; following it moves focus to the page's content.
            await page.keyboard.press('Tab');
            expect(await page.evaluate<string | undefined>('document.activeElement?.textContent?.trim()')).toBe(
              'Skip to content',
            );
            await page.keyboard.press('Enter');
            expect(await page.evaluate<string | undefined>('document.activeElement?.id')).toBe('main');
          } finally {
            await page.close();
          }
        });
      });
    }

    async function createTask(title: string): Promise<string> {
      const res = await stack.api('/api/v1/tasks', {
        key: stack.keys.reviewer,
        body: { queue: 'support', title, payload: { amount: 1 } },
      });
      expect(res.status).toBe(201);
      return res.body.id as string;
    }

    /** Marks the board's columns, then waits until a live redraw has replaced them. */
    async function afterRedraw(page: Page, change: () => Promise<unknown>): Promise<void> {
      await page.evaluate("document.getElementById('columns').setAttribute('data-stale', '1')");
      await change();
      await page.locator('#columns:not([data-stale])').waitFor({ state: 'attached' });
    }

    const focused = (page: Page) =>
      page.evaluate<{ id: string | null; control: string | null; text: string | null }>(
        `(() => { const el = document.activeElement; return { id: el.closest('.card')?.dataset.id ?? null, control: el.dataset.control ?? null, text: el.textContent.trim() }; })()`,
      );

    test('keyboard: focus stays on the same card control across a live board redraw', async () => {
      const id = await createTask('Focus survives redraws');
      const page = await (await contextFor('reviewer', 'desktop')).newPage();
      await page.goto(`${stack.url}/board`);
      await page.locator('body[data-live="on"]').waitFor({ state: 'attached' });
      await page.locator(`.card[data-id="${id}"] [data-control="escalate"]`).focus();
      // Another task arriving redraws every column; the Escalate button of the same card keeps focus.
      await afterRedraw(page, () => createTask('Something else arrives'));
      expect(await focused(page)).toEqual({ id, control: 'escalate', text: 'Escalate' });
      await page.close();
    });

    test('keyboard: Claim and Escalate by Enter, through the same endpoint the drag uses', async () => {
      const id = await createTask('Escalate by keyboard');
      const page = await (await contextFor('reviewer', 'phone')).newPage();
      await page.goto(`${stack.url}/board`);
      await page.locator('body[data-live="on"]').waitFor({ state: 'attached' });
      await page.locator(`.card[data-id="${id}"] [data-control="claim"]`).focus();
      await afterRedraw(page, () => page.keyboard.press('Enter'));
      await page.locator(`.column[data-stage="in_progress"] .card[data-id="${id}"]`).waitFor();
      // The Claim button is gone with the claim; focus went to the card's title, not to the page's top.
      expect(await focused(page)).toMatchObject({ id, control: null, text: 'Escalate by keyboard' });
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      expect(await focused(page)).toMatchObject({ id, control: 'escalate' });
      await afterRedraw(page, () => page.keyboard.press('Enter'));
      await page.locator(`.column[data-stage="escalated"] .card[data-id="${id}"]`).waitFor();
      expect(await page.locator('#board-status').textContent()).toBe('Escalated.');
      const task = await stack.api(`/api/v1/tasks/${id}`);
      expect(task.body.workflow).toMatchObject({ escalated: true });
      await page.close();
    });

    test('keyboard: the account page is Tab-reachable in reading order and its settings save by Enter', async () => {
      const page = await (await contextFor('viewer', 'phone')).newPage();
      await page.goto(`${stack.url}/account`);
      await page.locator('#main').focus();
      const reached: string[] = [];
      for (let i = 0; i < 12 && !reached.includes('Save settings'); i++) {
        await page.keyboard.press('Tab');
        reached.push(
          await page.evaluate<string>(
            "(() => { const el = document.activeElement; return el.getAttribute('name') || el.textContent.trim(); })()",
          ),
        );
      }
      expect(reached).toEqual([
        'email',
        'currentPassword',
        'newPassword',
        'confirmPassword',
        'Change password',
        'timeZone',
        'mailMode',
        'mailsPerHour',
        'Save settings',
      ]);
      await page.locator('input[name=timeZone]').focus();
      await page.keyboard.type('Pacific/Auckland');
      await page.keyboard.press('Enter');
      await page.locator('.notice').waitFor();
      expect(await page.locator('.notice').textContent()).toBe('Settings saved.');
      expect(await page.locator('input[name=timeZone]').inputValue()).toBe('Pacific/Auckland');
      if (process.env.LOOPGATE_SCREENSHOTS) {
        for (const device of Object.keys(VIEWPORTS) as (keyof typeof VIEWPORTS)[]) {
          const shot = await (await contextFor('reviewer', device)).newPage();
          await shot.goto(`${stack.url}/account`);
          await shot.fill('input[name=currentPassword]', 'not the password');
          await shot.fill('input[name=newPassword]', 'a long enough passphrase');
          await shot.fill('input[name=confirmPassword]', 'a different passphrase');
          await shot.click('form[action="/account/password"] button[type=submit]');
          await shot.locator('#currentPassword-error').waitFor();
          await shot.screenshot({ path: `${process.env.LOOPGATE_SCREENSHOTS}/account-${device}.png`, fullPage: true });
          await shot.close();
        }
      }
      await page.close();
    });

    test('phone: the board opens on its cards, the filters folded under one line a tap opens; a filter on keeps them open', async () => {
      const id = await createTask('First card on a phone');
      const page = await (await contextFor('reviewer', 'phone')).newPage();
      await page.goto(`${stack.url}/board`);
      await page.locator('body[data-live="on"]').waitFor({ state: 'attached' });
      const queueFilter = page.locator('select[name="queue"]');
      expect(await queueFilter.isVisible()).toBe(false);
      const card = await page.locator(`.card[data-id="${id}"]`).boundingBox();
      expect(card!.y).toBeLessThan(VIEWPORTS.phone.height);
      await page.locator('.filter-panel > summary').focus();
      await page.keyboard.press('Enter');
      expect(await queueFilter.isVisible()).toBe(true);
      // With a filter on, the panel stays open and says how many are on.
      await page.goto(`${stack.url}/board?risk=high`);
      expect(await queueFilter.isVisible()).toBe(true);
      expect(await page.locator('.filter-panel > summary').textContent()).toBe('Filters (1 on)');
      // A desktop never folds them and shows no summary line.
      const desktop = await (await contextFor('reviewer', 'desktop')).newPage();
      await desktop.goto(`${stack.url}/board`);
      expect(await desktop.locator('select[name="queue"]').isVisible()).toBe(true);
      expect(await desktop.locator('.filter-panel > summary').isVisible()).toBe(false);
      await desktop.close();
      await page.close();
    });

    test('phone: the e-mail link page shows its decision buttons within the first screen, then the Markdown', async () => {
      const page = await (await contextFor('anonymous', 'phone')).newPage();
      await page.goto(fixtures.reviewLink);
      for (const id of ['#approve', '#reject']) {
        const box = await page.locator(id).boundingBox();
        expect(box).not.toBeNull();
        expect(box!.y + box!.height).toBeLessThanOrEqual(VIEWPORTS.phone.height);
      }
      // Below the buttons: the description as Markdown, the context's URL as a link that opens safely.
      expect(await page.locator('#description strong').textContent()).toBe('a cracked water tank');
      const ticket = page.locator('#context a');
      expect(await ticket.getAttribute('href')).toBe('https://support.example.com/tickets/48213');
      expect(await ticket.getAttribute('rel')).toBe('noopener noreferrer');
      await page.close();
    });
  });
}
