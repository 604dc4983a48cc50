#!/usr/bin/env node
/**
 * Screenshots of the reviewer pages for docs/reviewers.md: starts the built server (`npm run build`
 * first; `npm run screenshots` does) on a throw-away SQLite database, fills it with realistic
 * tasks, and writes desktop (1280×800) and phone (390×844) PNGs of the board, a task page and an
 * e-mail-link page to docs/images/ (or `--out <dir>`). Drives Debian's Chromium (/usr/bin/chromium,
 * or LOOPGATE_CHROMIUM) through playwright-core; never downloads a browser. Prints each page's
 * width so a page wider than the phone shows at once.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = path.join(ROOT, 'server/dist/main.js');
const CLI = path.join(ROOT, 'server/dist/cli/main.js');
const outArg = process.argv.indexOf('--out');
const OUT = outArg > 0 ? path.resolve(process.argv[outArg + 1]) : path.join(ROOT, 'docs/images');
const PASSWORD = 'correct horse battery';
// --all: every page, signed in as an admin (a quick width check while working on the CSS).
const ALL = process.argv.includes('--all');
// --grants: the standing-approval pages too (the option on an open task, a grant, its use, the settings list).
const GRANTS = ALL || process.argv.includes('--grants');
// --axe: also run axe-core on each page and print its serious and critical findings.
const AXE = process.argv.includes('--axe');
const VIEWPORTS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };

if (!fs.existsSync(MAIN)) {
  console.error('server/dist is missing: run `npm run build` first');
  process.exit(1);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function cli(args, env, input) {
  const out = spawnSync(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env }, input });
  if (out.status !== 0) throw new Error(`loopgate ${args.join(' ')}: ${out.stderr}`);
  return out.stdout.toString().trim();
}

async function startServer(env) {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = env.LOOPGATE_PUBLIC_URL;
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('the server did not start');
}

const minutes = (n) => n * 60;
const TASKS = [
  {
    title: 'Refund order #48213 — damaged espresso machine',
    riskLevel: 'high',
    confidence: 0.62,
    slaSeconds: minutes(45),
    source: 'n8n',
    description:
      'The customer reports the **machine arrived with a cracked water tank**.\n\n' +
      '- Photos attached to the ticket\n- Courier confirmed rough handling\n\n' +
      'Policy: refunds above €300 need a human. See https://help.example.com/refunds for the rules.',
    context: {
      ticket: 'https://support.example.com/tickets/48213',
      customer: 'Maria Jensen (customer since 2019, 14 orders)',
      email: 'maria.jensen@example.com',
      previousRefunds: 0,
    },
    payload: {
      refund: { amount: 480, currency: 'EUR', method: 'original_payment' },
      order: { id: '48213', placedAt: '2026-11-28', items: ['Espresso machine Duo 2', 'Descaler 500 ml'] },
      messageToCustomer:
        'Hello Maria, we are sorry the machine arrived damaged. We have refunded the full amount to your card; it shows within 3–5 working days.',
    },
  },
  {
    title: 'Publish blog post "Five ways to cut onboarding time"',
    riskLevel: 'medium',
    confidence: 0.81,
    slaSeconds: minutes(240),
    source: 'zapier',
    payload: { channel: 'blog', scheduledFor: '2026-12-03 09:00', wordCount: 1240 },
  },
  {
    title: 'Close account of a customer who asked for deletion (GDPR)',
    riskLevel: 'critical',
    confidence: 0.9,
    slaSeconds: minutes(20),
    source: 'agent',
    payload: { customerId: 'cus_19AF2', erase: ['profile', 'orders', 'support history'], keepInvoices: true },
  },
  {
    title: 'Send dunning e-mail to Acme Logistics (invoice 2026-1187)',
    riskLevel: 'low',
    confidence: 0.93,
    slaSeconds: minutes(600),
    source: 'n8n',
    payload: { invoice: '2026-1187', amountDue: 1290.5, currency: 'EUR', daysOverdue: 31 },
  },
  {
    title: 'Change delivery address on order #48190',
    riskLevel: 'low',
    confidence: 0.71,
    slaSeconds: minutes(90),
    source: 'agent',
    payload: { order: '48190', newAddress: 'Havnegade 12, 1058 København K' },
  },
  {
    title: 'Approve supplier payment to Nordic Beans ApS',
    riskLevel: 'high',
    confidence: 0.55,
    slaSeconds: minutes(30),
    source: 'n8n',
    payload: { supplier: 'Nordic Beans ApS', amount: 18400, currency: 'DKK', iban: 'DK5000400440116243' },
  },
];

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-shots-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = { DATABASE_URL: `sqlite:${path.join(dir, 'loopgate.db')}`, DATA_DIR: dir };
  const users = [
    ['admin@example.com', 'admin'],
    ['maria.reviewer@example.com', 'reviewer'],
    ['jonas.reviewer@example.com', 'reviewer'],
  ];
  for (const [email, role] of users)
    cli(['user', 'create', '--email', email, '--role', role, '--password-stdin'], env, PASSWORD);
  const adminKey = cli(['api-key', 'create', '--role', 'admin', '--name', 'screenshots'], env);
  const server = await startServer({
    ...env,
    PORT: String(port),
    LOOPGATE_PUBLIC_URL: url,
    LOOPGATE_SLA_SWEEP_SECONDS: '0',
  });
  let browser;
  try {
    const api = async (p, body) => {
      const res = await fetch(`${url}${p}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { Authorization: `Bearer ${adminKey}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = await res.json();
      if (!res.ok) throw new Error(`${p}: ${JSON.stringify(json)}`);
      return json;
    };
    await api('/api/v1/reviewer-groups', {
      name: 'support',
      members: ['maria.reviewer@example.com', 'jonas.reviewer@example.com'],
    });
    await api('/api/v1/queues', {
      name: 'customer-care',
      config: {
        reviewerGroups: ['support'],
        description: 'Refunds, address changes and account requests.',
        // Sensitive-data detectors, so the board and the task page show their chips.
        classification: {
          detectors: [
            { detector: 'iban', raiseTo: 'high' },
            { detector: 'email', raiseTo: 'medium' },
          ],
        },
        // Field rules, so the queue builder shows both kinds of row; every task here still goes to review.
        policy: {
          rules: [
            { type: 'field', path: '/refund/amount', op: 'gt', value: 500, levels: 1 },
            {
              type: 'any',
              rules: [
                { type: 'field', in: 'context', path: '/channel', op: 'eq', value: 'phone' },
                { type: 'field', path: '/customer/email', op: 'matches', value: '@example\\.(com|org)$' },
              ],
            },
          ],
        },
      },
    });
    const created = [];
    for (const task of TASKS) created.push(await api('/api/v1/tasks', { queue: 'customer-care', ...task }));
    // An external reviewer (guest): the allowlist, a queue whose level takes guests, and a task naming one.
    await api('/api/v1/settings/external-reviewers', { allow: ['@partner-accounting.example'] });
    await api('/api/v1/queues', {
      name: 'partner-refunds',
      config: {
        description: 'Refunds our accounting partner signs off.',
        levels: [{ name: 'partner', allowGuests: true }],
      },
    });
    await api('/api/v1/tasks', {
      queue: 'partner-refunds',
      reviewers: ['gus.keller@partner-accounting.example'],
      ...TASKS[0],
      title: 'Refund order #48377 — invoice credit for a returned grinder',
    });
    const first = created[0].id;
    // Spread the board over its columns: one claimed, one escalated, one decided.
    await api(`/api/v1/tasks/${created[1].id}/claim`, {});
    await api(`/api/v1/tasks/${created[2].id}/escalate`, { reason: 'Deletion requests are answered within the hour' });
    await api(`/api/v1/tasks/${created[3].id}/decision`, {
      action: 'approve',
      comment: 'Reminder is polite and correct',
    });

    // The review mails land as .eml files under DATA_DIR/mail (no SMTP_URL set).
    const mailDir = path.join(dir, 'mail');
    const modifyLink = async (title, to) => {
      for (let i = 0; i < 100; i++) {
        const files = fs.existsSync(mailDir) ? fs.readdirSync(mailDir) : [];
        for (const f of files) {
          const text = fs
            .readFileSync(path.join(mailDir, f), 'utf8')
            .replace(/=\r?\n/g, '')
            .replace(/=([0-9A-F]{2})/g, (_m, hex) => String.fromCharCode(Number.parseInt(hex, 16)));
          const found = text.includes(title) && text.includes(to) && /Review & modify:\s+(http\S+)/.exec(text)?.[1];
          if (found) return found;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no review mail for ${title} to ${to}`);
    };
    const link = await modifyLink('#48213', 'maria.reviewer@example.com');
    const guestLink = await modifyLink('#48377', 'gus.keller@partner-accounting.example');

    browser = await chromium.launch({
      executablePath: process.env.LOOPGATE_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    fs.mkdirSync(OUT, { recursive: true });
    const shots = [
      ['board', `${url}/board`],
      ['task', `${url}/tasks/${encodeURIComponent(first)}`],
      ['email-link', link, { anonymous: true }],
      ['email-link-guest', guestLink, { anonymous: true }],
    ];
    if (ALL) {
      shots.push(
        ['list', `${url}/board?view=list`],
        ['queues', `${url}/settings/queues`],
        ['queue-edit', `${url}/settings/queues/customer-care`, { fullPage: true }],
        // The builder after "Test against the last 30 days": the backtest above the form, nothing saved.
        ['queue-backtest', `${url}/settings/queues/customer-care`, { click: 'button[value=backtest]' }],
        ['users', `${url}/admin/users`],
        ['external-reviewers', `${url}/settings/reviewers`],
        ['decided-task', `${url}/tasks/${encodeURIComponent(created[3].id)}#revoke`],
        ['not-found', `${url}/no/such/page`],
        ['login', `${url}/login`, { anonymous: true }],
        // The whole page: its SLA section (stage times, backlog by age) is far below the fold.
        ['analytics', `${url}/analytics`, { fullPage: true }],
      );
    }
    if (GRANTS) {
      const grantTask = {
        title: 'Send the weekly stock report to the supplier',
        payload: { report: 'stock', week: 49 },
        agent: { id: 'report-bot', name: 'Report bot' },
      };
      const given = await api('/api/v1/tasks', grantTask);
      await api(`/api/v1/tasks/${given.id}/decision`, { action: 'approve', grant: { scope: 'title', hours: 8 } });
      const used = await api('/api/v1/tasks', { ...grantTask, payload: { report: 'stock', week: 50 } });
      const open = await api('/api/v1/tasks', { ...grantTask, title: 'Send the monthly stock report' });
      shots.push(
        ['grant-option', `${url}/tasks/${encodeURIComponent(open.id)}#approval-panel`],
        ['grant-given', `${url}/tasks/${encodeURIComponent(given.id)}#grants`],
        ['grant-used', `${url}/tasks/${encodeURIComponent(used.id)}`],
        ['grants', `${url}/settings/grants`],
      );
    }
    for (const [device, viewport] of Object.entries(VIEWPORTS)) {
      // bypassCSP: axe is injected as a script, which the page CSP would otherwise refuse.
      const context = await browser.newContext({ viewport, deviceScaleFactor: 1, bypassCSP: AXE });
      const page = await context.newPage();
      await page.goto(`${url}/login`);
      await page.fill('input[name=email]', ALL || GRANTS ? 'admin@example.com' : 'maria.reviewer@example.com');
      await page.fill('input[name=password]', PASSWORD);
      await page.click('button[type=submit]');
      await page.waitForURL(/\/board$/);
      const anonymous = await (await browser.newContext({ viewport, deviceScaleFactor: 1, bypassCSP: AXE })).newPage();
      for (const [name, target, options] of shots) {
        const tab = options?.anonymous ? anonymous : page;
        await tab.goto(target);
        if (options?.click) await Promise.all([tab.waitForNavigation(), tab.click(options.click)]);
        await tab.waitForLoadState('networkidle').catch(() => undefined);
        const width = await tab.evaluate(() => document.documentElement.scrollWidth);
        const file = path.join(OUT, `${name}-${device}.png`);
        await tab.screenshot({ path: file, fullPage: options?.fullPage === true });
        let flag = '';
        if (width > viewport.width) {
          // Name the innermost elements that reach past the screen's edge.
          const culprits = await tab.evaluate((edge) => {
            const wide = [...document.querySelectorAll('body *')].filter(
              (el) =>
                el.getBoundingClientRect().right > edge + 1 &&
                ![...el.children].some((c) => c.getBoundingClientRect().right > edge + 1),
            );
            return wide.slice(0, 5).map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`);
          }, viewport.width);
          flag = `  WIDER than ${viewport.width}px: ${culprits.join(', ')}`;
        }
        if (AXE) {
          const { createRequire } = await import('node:module');
          const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
          await tab.addScriptTag({ path: axePath });
          const result = await tab.evaluate("axe.run(document, { resultTypes: ['violations'] })");
          const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
          flag += bad.length ? `  AXE: ${bad.map((v) => `${v.id} (${v.nodes.length})`).join(', ')}` : '  axe clean';
        }
        console.log(`${path.relative(ROOT, file)}  page width ${width}px${flag}`);
      }
      await context.close();
    }
  } finally {
    await browser?.close();
    server.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
