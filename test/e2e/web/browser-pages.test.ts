/**
 * The pages in a real browser: Debian's Chromium (/usr/bin/chromium, installed by .ci/run with
 * apt; never downloaded) driven by playwright-core, against a real server process. Log in, see
 * the board, claim a task, approve with modifications from the panel, watch a card move live when
 * the API decides a task, a Viewer cannot decide, and the XSS corpus stays inert. The forms posted
 * without a session (review link, invitation, login) work from their own pages and are refused
 * from another site that tossed a login cookie.
 */
import http from 'node:http';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { DATABASES } from '../../../server/src/test-support/databases.js';
import { until } from '../../../server/src/test-support/until.js';
import { XSS_CORPUS } from '../../../server/src/web/xss-corpus.js';
import { PASSWORD, startWebStack, type WebStack } from './web-stack.js';

const CHROMIUM = process.env.LOOPGATE_CHROMIUM ?? '/usr/bin/chromium';

// One browser for every database: each test opens its own context, so nothing carries over.
let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
});
afterAll(async () => browser?.close());

for (const database of DATABASES) {
  describe(`${database}: reviewer pages in Chromium`, () => {
    let stack: WebStack;
    beforeAll(async () => {
      stack = await startWebStack(database);
    });
    afterAll(async () => stack?.stop());

    async function loggedIn(email: string): Promise<{ context: BrowserContext; page: Page }> {
      const context = await browser.newContext();
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
        body: { queue: 'support', payload: { amount: 50, currency: 'EUR' }, ...body },
      });
      expect(res.status).toBe(201);
      return res.body as { id: string };
    }

    const column = (page: Page, stage: string) => page.locator(`section.column[data-stage="${stage}"]`);

    test('log in, see the board, claim a task by its button', async () => {
      const task = await createTask({ title: 'Browser claim', riskLevel: 'medium' });
      const { context, page } = await loggedIn('rev@example.com');
      await expectLocator(column(page, 'pending').locator(`[data-id="${task.id}"]`)).toHaveCount(1);
      await column(page, 'pending').locator(`[data-id="${task.id}"] button`, { hasText: 'Claim' }).click();
      await column(page, 'in_progress').locator(`[data-id="${task.id}"]`).waitFor();
      const after = await stack.api(`/api/v1/tasks/${task.id}`);
      expect(after.body.workflow).toMatchObject({ claimed: true });
      await context.close();
    });

    test('drag a card: to In Progress claims it, back releases it, to Escalated escalates it; Completed refuses the drop', async () => {
      const task = await createTask({ title: 'Browser drag' });
      const { context, page } = await loggedIn('rev2@example.com');
      const card = () => page.locator(`.card[data-id="${task.id}"]`);
      const workflow = async () => (await stack.api(`/api/v1/tasks/${task.id}`)).body.workflow;
      await card().dragTo(column(page, 'completed'));
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await workflow()).toMatchObject({ claimed: false, escalated: false });
      await expectLocator(column(page, 'pending').locator(`[data-id="${task.id}"]`)).toHaveCount(1);

      await card().dragTo(column(page, 'in_progress'));
      await column(page, 'in_progress').locator(`[data-id="${task.id}"]`).waitFor();
      expect(await workflow()).toMatchObject({ claimed: true });
      await page.locator('#board-status', { hasText: 'Claimed.' }).waitFor();

      await card().dragTo(column(page, 'pending'));
      await column(page, 'pending').locator(`[data-id="${task.id}"]`).waitFor();
      expect(await workflow()).toMatchObject({ claimed: false });

      await card().dragTo(column(page, 'escalated'));
      await column(page, 'escalated').locator(`[data-id="${task.id}"]`).waitFor();
      expect(await workflow()).toMatchObject({ escalated: true, priority: 1 });
      await context.close();
    });

    test('approve with modifications from the panel: live JSON check, diff, confirm', async () => {
      const task = await createTask({ title: 'Browser modify' });
      const { context, page } = await loggedIn('rev2@example.com');
      await page.goto(`${stack.url}/tasks/${task.id}`);
      await page.click('#edit-payload summary');
      const editor = page.locator('#payload-editor');
      await editor.fill('{ "amount": 40, ');
      await page.locator('#editor-error').waitFor({ state: 'visible' });
      expect(await page.locator('#preview-modify').isDisabled()).toBe(true);
      await editor.fill(JSON.stringify({ amount: 40, currency: 'EUR' }, null, 2));
      await page.locator('#live-diff .add', { hasText: '"amount": 40' }).waitFor();
      await page.click('#preview-modify');
      await page.locator('#diff .remove', { hasText: '"amount": 50' }).waitFor();
      expect((await stack.api(`/api/v1/tasks/${task.id}`)).body.status).toBe('pending_review');
      await page.click('#confirm-modify');
      await page.locator('#decision-diff').waitFor();
      const after = await stack.api(`/api/v1/tasks/${task.id}`);
      expect(after.body.status).toBe('approved_with_modifications');
      expect(after.body.decision.modifiedPayload).toEqual({ amount: 40, currency: 'EUR' });
      await context.close();
    });

    test('a card moves live when the API decides the task elsewhere', async () => {
      const { context, page } = await loggedIn('rev@example.com');
      await page.locator('body[data-live="on"]').waitFor();
      const task = await createTask({ title: 'Live card' });
      // Arrives without a reload...
      await column(page, 'pending').locator(`[data-id="${task.id}"]`).waitFor();
      const decided = await stack.api(`/api/v1/tasks/${task.id}/decision`, {
        key: stack.keys.admin,
        body: { action: 'reject', comment: 'decided over the API' },
      });
      expect(decided.status).toBe(200);
      // ...and moves to Completed when decided over the API.
      await column(page, 'completed').locator(`[data-id="${task.id}"]`).waitFor();
      await expectLocator(column(page, 'pending').locator(`[data-id="${task.id}"]`)).toHaveCount(0);
      await context.close();
    });

    test('after the live feed drops, the board catches up with what changed meanwhile when it reconnects', async () => {
      const { context, page } = await loggedIn('view@example.com');
      await page.locator('body[data-live="on"]').waitFor();
      const peer = await stack.startPeer();
      try {
        await stack.server.stop();
        await page.locator('body[data-live="off"]').waitFor();
        // Created on another process while this page's server is down: no event will ever name it.
        const res = await fetch(`${peer.url}/api/v1/tasks`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${stack.keys.reviewer}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ title: 'Missed while offline', queue: 'support', payload: { amount: 1 } }),
        });
        expect(res.status).toBe(201);
        const task = (await res.json()) as { id: string };
        await stack.restart();
        await column(page, 'pending').locator(`[data-id="${task.id}"]`).waitFor({ timeout: 15_000 });
        await page.locator('body[data-live="on"]').waitFor();
      } finally {
        await peer.stop();
        await context.close();
      }
    });

    test('a Viewer sees the task but has nothing to decide with', async () => {
      const task = await createTask({ title: 'Viewer look' });
      const { context, page } = await loggedIn('view@example.com');
      // The card's actions are there but disabled, and say why before anyone clicks.
      const card = column(page, 'pending').locator(`[data-id="${task.id}"]`);
      await expectLocator(card.locator('button:not([disabled])')).toHaveCount(0);
      await card.getByText("Viewers can't claim tasks").waitFor();
      await page.goto(`${stack.url}/tasks/${task.id}`);
      // The buttons are shown disabled, with the reason.
      expect(await page.locator('#approve').isDisabled()).toBe(true);
      await page
        .locator('#blocked-note', { hasText: 'Your role (viewer) can read tasks but not decide them.' })
        .waitFor();
      // Even a hand-made POST with the viewer's own CSRF token is refused by the domain.
      const csrf = await page.locator('meta[name="csrf-token"]').getAttribute('content');
      const status = await page.evaluate(
        async ([id, token]) =>
          (
            await fetch(`/tasks/${id}/decide`, {
              method: 'POST',
              headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
              body: `_csrf=${encodeURIComponent(token ?? '')}&action=approve`,
            })
          ).status,
        [task.id, csrf],
      );
      expect(status).toBe(403);
      expect((await stack.api(`/api/v1/tasks/${task.id}`)).body.status).toBe('pending_review');
      await context.close();
    });

    test('the XSS corpus stays inert on the board and the task page: no script runs, no request leaves', async () => {
      const ids: string[] = [];
      for (const [, evil] of XSS_CORPUS) {
        ids.push(
          (
            await createTask({
              title: evil,
              description: evil,
              payload: { html: evil },
              context: { note: evil },
              source: 'xss',
            })
          ).id,
        );
      }
      const { context, page } = await loggedIn('rev@example.com');
      const foreign: string[] = [];
      page.on('request', (request) => {
        if (!request.url().startsWith(stack.url)) foreign.push(request.url());
      });
      const dialogs: string[] = [];
      page.on('dialog', async (dialog) => {
        dialogs.push(dialog.message());
        await dialog.dismiss();
      });
      const pages = ['/board?source=xss', '/board?view=list&source=xss', ...ids.map((id) => `/tasks/${id}`)];
      for (const path of pages) {
        await page.goto(`${stack.url}${path}`);
        await page.waitForLoadState('load');
        // Nothing an agent wrote may have become an element.
        expect(await page.locator('a[href^="javascript:"], img, svg, iframe').count()).toBe(0);
        expect(await page.evaluate('typeof window.__xss')).toBe('undefined');
      }
      expect(foreign).toEqual([]);
      expect(dialogs).toEqual([]);
      await context.close();
    });
    test('the review link and invitation pages post from their own origin; a tossed-cookie login from another site is refused', async () => {
      const task = await createTask({ title: 'Browser review link' });
      const reviewMail = await until(
        'the review mail',
        () => stack.smtp.mails.find((m) => m.to[0] === 'rev@example.com' && m.text.includes('Browser review link')),
        { timeoutMs: 15_000, intervalMs: 100 },
      );
      const approve = /Approve:\s+(http\S+)/.exec(reviewMail.text)?.[1] ?? '';
      const reviewer = await browser.newContext();
      const reviewPage = await reviewer.newPage();
      await reviewPage.goto(approve);
      await reviewPage.click('#approve');
      await reviewPage.waitForSelector('text=Thank you');
      expect((await stack.api(`/api/v1/tasks/${task.id}`)).body.status).toBe('approved');
      await reviewer.close();

      const admin = await loggedIn('admin@example.com');
      await admin.page.goto(`${stack.url}/admin/users`);
      await admin.page.fill('#invite-form input[name=email]', 'browser-invitee@example.com');
      await admin.page.click('#invite-form button[type=submit]');
      await admin.page.waitForSelector('text=Invitation sent to browser-invitee@example.com');
      await admin.context.close();
      const invitation = await until(
        'the invitation mail',
        () => stack.smtp.mails.find((m) => m.to[0] === 'browser-invitee@example.com'),
        { timeoutMs: 15_000, intervalMs: 100 },
      );
      const link = /^ {2}(http\S+\/invite\/\S+)$/m.exec(invitation.text)?.[1] ?? '';
      const invitee = await browser.newContext();
      const invitePage = await invitee.newPage();
      await invitePage.goto(link);
      await invitePage.fill('input[name=password]', PASSWORD);
      await invitePage.fill('input[name=confirm]', PASSWORD);
      await invitePage.click('button[type=submit]');
      await invitePage.waitForURL(/\/board$/);
      expect(await invitePage.textContent('.who')).toContain('browser-invitee@example.com · reviewer');
      await invitee.close();

      // Another port on 127.0.0.1 is another origin of the same site, and cookies ignore ports: it can
      // toss lg_login_csrf straight into the victim's browser and auto-post a login with the matching token.
      const tossed = 'x'.repeat(43);
      const attacker = http.createServer((_req, res) => {
        res.setHeader('Content-Type', 'text/html');
        res.end(`<!doctype html><script>document.cookie = 'lg_login_csrf=${tossed}; path=/';</script>
          <form id="f" method="post" action="${stack.url}/login">
            <input name="_csrf" value="${tossed}"><input name="email" value="rev@example.com">
            <input name="password" value="${PASSWORD}"></form><script>document.getElementById('f').submit();</script>`);
      });
      await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', () => resolve()));
      try {
        const victim = await browser.newContext();
        const victimPage = await victim.newPage();
        const answer = victimPage.waitForResponse((res) => res.url() === `${stack.url}/login`);
        const address = attacker.address();
        await victimPage.goto(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`);
        const refused = await answer;
        expect(refused.status()).toBe(403);
        expect((await victim.cookies(stack.url)).map((c) => c.name)).not.toContain('lg_session');
        expect((await victim.cookies(stack.url)).map((c) => c.name)).toContain('lg_login_csrf');
        await victim.close();
      } finally {
        await new Promise((resolve) => attacker.close(resolve));
      }
    });
  });
}

// Tiny polling assertion for locators (playwright-core has no test runner's `expect`).
function expectLocator(locator: { count(): Promise<number> }) {
  return {
    async toHaveCount(n: number, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const count = await locator.count();
        if (count === n) return;
        if (Date.now() > deadline) throw new Error(`expected ${n} elements, found ${count}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}
