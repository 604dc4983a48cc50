import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../app.js';
import { ApiKeyAuthenticator } from '../../domain/admin/authenticate.js';
import { upsertUser } from '../../domain/admin/users.js';
import type { EmailMessage } from '../../domain/kernel/notifier.js';
import { sendReviewMails } from '../../domain/reviewers/review-mail.js';
import { InProcessTaskEventBus } from '../../events/in-process-bus.js';
import { DATABASES, openTestStore } from '../../test-support/databases.js';
import { buildTestApp, type TestApp } from '../../test-support/fixtures.js';
import { csrfOf, logInAs } from '../../test-support/web-login.js';
import { inertnessProblems, XSS_CORPUS } from '../xss-corpus.js';

const PASSWORD = 'correct horse battery';
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

const login = (t: TestApp, email: string, password = PASSWORD) => logInAs(t.app, email, password);

for (const database of DATABASES) {
  describe(`${database}: web pages`, () => {
    let t: TestApp;
    let close: () => Promise<void>;
    let store: Awaited<ReturnType<typeof openTestStore>>['store'];
    let clockOffset = 0;
    const clock = () => Date.now() + clockOffset;
    const mail: EmailMessage[] = [];
    const users: Record<string, string> = {};

    beforeAll(async () => {
      const opened = await openTestStore(database);
      store = opened.store;
      close = opened.close;
      t = await buildTestApp(store, clock);
      for (const [email, role] of [
        ['admin@example.com', 'admin'],
        ['rev@example.com', 'reviewer'],
        ['rev2@example.com', 'reviewer'],
        ['view@example.com', 'viewer'],
      ] as const) {
        users[email] = (await upsertUser({ store, clock }, { email, password: PASSWORD, role })).userId;
      }
      const group = await request(t.app)
        .post('/api/v1/reviewer-groups')
        .set(bearer(t.keys.admin))
        .send({ name: 'ops', members: ['rev@example.com', 'rev2@example.com'] });
      expect(group.status).toBe(201);
      const queue = await request(t.app)
        .post('/api/v1/queues')
        .set(bearer(t.keys.admin))
        .send({ name: 'support', config: { reviewerGroups: ['ops'] } });
      expect(queue.status).toBe(201);
    });
    afterAll(async () => close());

    async function createTask(body: object = {}): Promise<{ id: string }> {
      const res = await request(t.app)
        .post('/api/v1/tasks')
        .set(bearer(t.keys.reviewer))
        .send({ title: 'Refund order 42', queue: 'support', payload: { amount: 50, currency: 'EUR' }, ...body });
      expect(res.status).toBe(201);
      return res.body;
    }

    async function apiTask(id: string) {
      return (await request(t.app).get(`/api/v1/tasks/${id}`).set(bearer(t.keys.viewer))).body;
    }

    async function events(id: string): Promise<{ type: string; actor: { type: string; id: string } }[]> {
      return (await request(t.app).get(`/api/v1/tasks/${id}/events`).set(bearer(t.keys.viewer))).body.data;
    }

    describe('login', () => {
      test.each([
        ['wrong password', 'rev@example.com', 'not the password', 401],
        ['unknown account', 'ghost@example.com', PASSWORD, 401],
      ])('%s is refused with the same message', async (_name, email, password, status) => {
        const agent = request.agent(t.app);
        const form = await agent.get('/login');
        const res = await agent
          .post('/login')
          .type('form')
          .send({ _csrf: csrfOf(form.text), email, password });
        expect(res.status).toBe(status);
        expect(res.text).toContain('The e-mail address or password is not right');
        expect(String(res.headers['set-cookie'] ?? '')).not.toContain('lg_session=');
      });

      test('a login form without its CSRF cookie is refused', async () => {
        const res = await request(t.app)
          .post('/login')
          .type('form')
          .send({ _csrf: 'x'.repeat(43), email: 'rev@example.com', password: PASSWORD });
        expect(res.status).toBe(403);
      });

      test('the session cookie is HttpOnly and SameSite, and pages carry a strict CSP', async () => {
        const agent = request.agent(t.app);
        const form = await agent.get('/login');
        const res = await agent
          .post('/login')
          .type('form')
          .send({ _csrf: csrfOf(form.text), email: 'rev@example.com', password: PASSWORD });
        expect(res.status).toBe(303);
        const cookies = res.headers['set-cookie'] as unknown as string[];
        const cookie = cookies.find((c) => c.startsWith('lg_session='));
        expect(cookie).toMatch(/HttpOnly/);
        expect(cookie).toMatch(/SameSite=Lax/);
        const board = await agent.get('/board');
        expect(board.status).toBe(200);
        const csp = board.headers['content-security-policy'];
        expect(csp).toContain("script-src 'self'");
        expect(csp).not.toContain('unsafe-inline');
        expect(csp).toContain("img-src 'self'");
      });

      test('behind an https public URL the session cookie is Secure', async () => {
        const bus = new InProcessTaskEventBus();
        const https = createApp({
          store,
          clock,
          bus,
          logger: pino({ level: 'silent' }),
          authenticator: new ApiKeyAuthenticator({ store, clock, bus }),
          publicUrl: 'https://lg.example.com',
          bodyLimit: '64kb',
        });
        // Secure cookies are not sent back over plain http, so this test hands the login cookie back itself.
        const form = await request(https).get('/login');
        const loginCookie = (form.headers['set-cookie'] as unknown as string[])[0] ?? '';
        expect(loginCookie).toMatch(
          /^__Host-lg_login_csrf=[\w-]+; Max-Age=\d+; Path=\/; Expires=[^;]+; HttpOnly; Secure; SameSite=Lax$/,
        );
        const res = await request(https)
          .post('/login')
          .set('Cookie', loginCookie.split(';')[0] ?? '')
          .type('form')
          .send({ _csrf: csrfOf(form.text), email: 'rev@example.com', password: PASSWORD });
        expect(res.status).toBe(303);
        const cookies = res.headers['set-cookie'] as unknown as string[];
        // __Host-: Secure, Path=/ and no Domain, so no sibling host can set or shadow it.
        expect(cookies.find((c) => c.startsWith('__Host-lg_session='))).toMatch(/; Path=\/;.*; Secure/);
        expect(cookies.join('\n')).not.toMatch(/Domain=/i);
      });

      describe('login CSRF by cookie tossing', () => {
        // A sibling origin (evil.example.com next to lg.example.com) can set a cookie for the parent
        // domain, and fetch a valid cookie/token pair from /login itself; then it auto-posts a form.
        const tossed = 'x'.repeat(43);
        const attackerLogin = { _csrf: tossed, email: 'rev@example.com', password: PASSWORD };
        const noSession = (res: request.Response) =>
          expect(String(res.headers['set-cookie'] ?? '')).not.toMatch(/lg_session=[\w-]/);

        test.each([
          ['a cross-site Origin', { Origin: 'https://evil.example.com' }],
          ['a sibling Origin', { Origin: 'http://evil.localhost:3000' }],
          ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
          ['Sec-Fetch-Site: same-site (a sibling subdomain)', { 'Sec-Fetch-Site': 'same-site' }],
          ['Origin: null', { Origin: 'null' }],
        ])('a tossed cookie with %s: 403 and no session', async (_name, headers) => {
          const res = await request(t.app)
            .post('/login')
            .set('Cookie', `lg_login_csrf=${tossed}`)
            .set(headers)
            .type('form')
            .send(attackerLogin);
          expect(res.status).toBe(403);
          expect(res.text).toContain('sent from another site');
          noSession(res);
        });

        test.each([
          ['the public origin', { Origin: 'http://localhost:3000', 'Sec-Fetch-Site': 'same-origin' }],
          ['the origin the request came to', { Origin: 'http://lg.internal:8080', Host: 'lg.internal:8080' }],
          ['neither header (not a browser)', {}],
        ])('same origin works: %s', async (_name, headers) => {
          const agent = request.agent(t.app);
          const form = await agent.get('/login');
          const res = await agent
            .post('/login')
            .set(headers)
            .type('form')
            .send({ _csrf: csrfOf(form.text), email: 'rev@example.com', password: PASSWORD });
          expect(res.status).toBe(303);
          expect(String(res.headers['set-cookie'] ?? '')).toMatch(/lg_session=[\w-]/);
        });

        test('behind https a tossed lg_login_csrf is not even read: only the __Host- cookie counts', async () => {
          const httpsBus = new InProcessTaskEventBus();
          const https = createApp({
            store,
            clock,
            bus: httpsBus,
            logger: pino({ level: 'silent' }),
            authenticator: new ApiKeyAuthenticator({ store, clock, bus: httpsBus }),
            publicUrl: 'https://lg.example.com',
            bodyLimit: '64kb',
          });
          const res = await request(https)
            .post('/login')
            .set('Cookie', `lg_login_csrf=${tossed}`)
            .type('form')
            .send(attackerLogin);
          expect(res.status).toBe(403);
          expect(res.text).toContain('The form expired');
          noSession(res);
        });
      });

      test('pages without a session redirect to the login form', async () => {
        const res = await request(t.app).get('/board').set('Accept', 'text/html');
        expect(res.status).toBe(303);
        expect(res.headers.location).toBe('/login?next=%2Fboard');
      });

      test('failed logins are rate-limited per account and address', async () => {
        const agent = request.agent(t.app);
        const statuses: number[] = [];
        for (let i = 0; i < 7; i++) {
          const form = await agent.get('/login');
          const res = await agent
            .post('/login')
            .type('form')
            .send({ _csrf: csrfOf(form.text), email: 'limited@example.com', password: `wrong-${i}` });
          statuses.push(res.status);
        }
        expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
      });

      test('logout ends the session in the database', async () => {
        const { agent, csrf } = await login(t, 'rev2@example.com');
        expect((await agent.post('/logout').type('form').send({ _csrf: csrf })).status).toBe(303);
        expect((await agent.get('/board').set('Accept', 'text/html')).status).toBe(303);
      });
    });

    describe('task page decisions go through the domain', () => {
      test('approve with modifications: preview shows the diff, confirm decides and stores both payloads', async () => {
        const task = await createTask();
        const { agent, csrf } = await login(t, 'rev@example.com');
        const page = await agent.get(`/tasks/${task.id}`);
        expect(page.status).toBe(200);
        expect(page.text).toContain('id="preview-modify"');
        const edited = JSON.stringify({ amount: 40, currency: 'EUR' }, null, 2);
        const preview = await agent
          .post(`/tasks/${task.id}/decide`)
          .type('form')
          .send({ _csrf: csrf, action: 'approve_with_modifications', modifiedPayload: edited, comment: 'cap it' });
        expect(preview.status).toBe(200);
        expect(preview.text).toContain('<span class="remove">-   &quot;amount&quot;: 50,</span>');
        expect(preview.text).toContain('<span class="add">+   &quot;amount&quot;: 40,</span>');
        expect((await apiTask(task.id)).status).toBe('pending_review');

        const confirm = await agent.post(`/tasks/${task.id}/decide`).type('form').send({
          _csrf: csrf,
          action: 'approve_with_modifications',
          modifiedPayload: edited,
          comment: 'cap it',
          confirm: '1',
        });
        expect(confirm.status).toBe(303);
        const after = await apiTask(task.id);
        expect(after.status).toBe('approved_with_modifications');
        expect(after.payload).toEqual({ amount: 50, currency: 'EUR' });
        expect(after.decision.modifiedPayload).toEqual({ amount: 40, currency: 'EUR' });
        // The decision keeps the diff the reviewer confirmed, not one recomputed later.
        expect(after.decision.diff).toBe(
          '--- original\n+++ modified\n@@ -1,4 +1,4 @@\n {\n-  "amount": 50,\n+  "amount": 40,\n   "currency": "EUR"\n }\n',
        );
        expect(after.decision.decidedBy).toMatchObject({ type: 'user', id: users['rev@example.com'] });
        const decided = (await events(task.id)).find((e) => e.type === 'decided');
        expect(decided?.actor).toMatchObject({ type: 'user', id: users['rev@example.com'] });
        const detail = await agent.get(`/tasks/${task.id}`);
        expect(detail.text).toContain('id="decision-diff"');
        expect(detail.text).toContain('<span class="hunk">@@ -1,4 +1,4 @@</span>');
        expect(detail.text).toContain('<span class="remove">-   &quot;amount&quot;: 50,</span>');
        expect(detail.text).toContain('<span class="add">+   &quot;amount&quot;: 40,</span>');
      });

      test.each([
        ['reject with a comment', { action: 'reject', comment: 'no' }, 303, 'rejected'],
        [
          'invalid JSON is refused',
          { action: 'approve_with_modifications', modifiedPayload: '{nope', confirm: '1' },
          400,
          'pending_review',
        ],
        [
          'unchanged payload is refused',
          { action: 'approve_with_modifications', modifiedPayload: '{"amount":50,"currency":"EUR"}' },
          400,
          'pending_review',
        ],
        ['unknown action', { action: 'delete' }, 400, 'pending_review'],
      ])('%s', async (_name, body, status, taskStatus) => {
        const task = await createTask();
        const { agent, csrf } = await login(t, 'rev@example.com');
        const res = await agent
          .post(`/tasks/${task.id}/decide`)
          .type('form')
          .send({ _csrf: csrf, ...body });
        expect(res.status).toBe(status);
        expect((await apiTask(task.id)).status).toBe(taskStatus);
      });

      test('a form without the session CSRF token changes nothing', async () => {
        const task = await createTask();
        const { agent } = await login(t, 'rev@example.com');
        const res = await agent.post(`/tasks/${task.id}/decide`).type('form').send({ action: 'approve' });
        expect(res.status).toBe(403);
        expect((await apiTask(task.id)).status).toBe('pending_review');
      });

      test('a viewer sees the task but cannot decide or claim', async () => {
        const task = await createTask();
        const { agent, csrf } = await login(t, 'view@example.com');
        const page = await agent.get(`/tasks/${task.id}`);
        expect(page.status).toBe(200);
        expect(page.text).toContain('id="read-only"');
        expect(page.text).not.toContain('id="approve"');
        const res = await agent.post(`/tasks/${task.id}/decide`).type('form').send({ _csrf: csrf, action: 'approve' });
        expect(res.status).toBe(403);
        const claim = await agent
          .post(`/tasks/${task.id}/claim`)
          .set('Accept', 'application/json')
          .set('X-CSRF-Token', csrf);
        expect(claim.status).toBe(403);
        expect((await apiTask(task.id)).status).toBe('pending_review');
        expect((await events(task.id)).map((e) => e.type)).toEqual(['created']);
      });

      test('a task of another workspace is not found', async () => {
        const other = await request(t.app)
          .post('/api/v1/tasks')
          .set(bearer(t.keys.otherWorkspaceAdmin))
          .send({ title: 'elsewhere', payload: {} });
        const { agent } = await login(t, 'rev@example.com');
        expect((await agent.get(`/tasks/${other.body.id}`)).status).toBe(404);
      });
    });

    describe('board', () => {
      test('claim moves a card to In Progress and writes a claimed event', async () => {
        const task = await createTask({ title: 'Board claim me' });
        const { agent, csrf } = await login(t, 'rev@example.com');
        const before = await agent.get('/board?fragment=1&q=claim%20me');
        expect(before.text).toMatch(/data-stage="pending"[\s\S]*Board claim me/);
        const claim = await agent
          .post(`/tasks/${task.id}/claim`)
          .set('Accept', 'application/json')
          .set('X-CSRF-Token', csrf);
        expect(claim.status).toBe(200);
        const after = await agent.get('/board?fragment=1&q=claim%20me');
        const inProgress =
          after.text.split('<section class="column" data-stage="in_progress"')[1]?.split('<section')[0] ?? '';
        expect(inProgress).toContain('Board claim me');
        expect((await events(task.id)).map((e) => e.type)).toEqual(['created', 'claimed']);
      });

      test('moves: claim, release, escalate by hand; the server refuses moves the rules forbid', async () => {
        const task = await createTask({ title: 'Board mover' });
        const rev = await login(t, 'rev@example.com');
        const rev2 = await login(t, 'rev2@example.com');
        const viewer = await login(t, 'view@example.com');
        const move = (who: typeof rev, to: string) =>
          who.agent
            .post(`/tasks/${task.id}/move`)
            .set('Accept', 'application/json')
            .set('X-CSRF-Token', who.csrf)
            .type('form')
            .send({ to });
        const stageOnBoard = async () => {
          const html = (await rev.agent.get('/board?fragment=1&q=Board%20mover')).text;
          return /<li class="card[^"]*"\s+data-id="[^"]+" data-stage="([a-z_]+)"/.exec(html)?.[1];
        };
        const cardHtml = async (who: typeof rev) =>
          /<li class="card[\s\S]*?<\/li>/.exec((await who.agent.get('/board?fragment=1&q=Board%20mover')).text)?.[0] ??
          '';

        expect(await stageOnBoard()).toBe('pending');
        expect(await cardHtml(rev)).toContain('data-moves="in_progress escalated"');
        expect(await cardHtml(viewer)).not.toContain('draggable');
        const toCompleted = await move(rev, 'completed');
        expect([toCompleted.status, toCompleted.body.code]).toEqual([400, 'validation_failed']);
        expect(toCompleted.body.detail).toBe(
          'A task in Pending Review cannot be moved to Completed; it can go to In Progress or Escalated. Decide it on its page to complete it.',
        );
        expect((await move(rev, 'nowhere')).status).toBe(400);
        expect((await move(viewer, 'in_progress')).status).toBe(403);

        expect((await move(rev, 'in_progress')).body).toEqual({ id: task.id, action: 'claim', stage: 'in_progress' });
        expect(await stageOnBoard()).toBe('in_progress');
        expect(await cardHtml(rev)).toContain('data-moves="pending escalated"');
        expect(await cardHtml(rev)).toContain('>Release</button>');
        expect(await cardHtml(rev2)).not.toContain('>Release</button>');
        // Someone else's claim: only the claimer (or an admin) hands it back.
        const stolen = await move(rev2, 'pending');
        expect([stolen.status, stolen.body.code]).toEqual([409, 'task_claimed']);
        expect((await move(rev, 'pending')).body).toEqual({ id: task.id, action: 'release', stage: 'pending' });
        expect((await apiTask(task.id)).workflow).toMatchObject({ claimed: false, assignee: null });

        expect((await move(rev2, 'escalated')).body).toEqual({ id: task.id, action: 'escalate', stage: 'escalated' });
        expect((await apiTask(task.id)).workflow).toMatchObject({ escalated: true, priority: 1 });
        const stuck = await move(rev2, 'in_progress');
        expect(stuck.body.detail).toBe('A task in Escalated cannot be moved to In Progress.');
        expect(await stageOnBoard()).toBe('escalated');

        const history = await events(task.id);
        expect(history.map((e) => e.type)).toEqual(['created', 'claimed', 'released', 'escalated']);
        expect(history[3]).toMatchObject({
          actor: { type: 'user', id: users['rev2@example.com'] },
          data: { step: 'manual', priority: 1 },
        });
        // Without JS the Release button is a plain form POST that comes back to the board.
        const other = await createTask({ title: 'Board mover two' });
        await rev.agent.post(`/tasks/${other.id}/claim`).set('X-CSRF-Token', rev.csrf);
        const released = await rev.agent
          .post(`/tasks/${other.id}/move`)
          .type('form')
          .send({ _csrf: rev.csrf, to: 'pending' });
        expect([released.status, released.headers.location]).toEqual([303, '/board']);
        expect((await apiTask(other.id)).workflow.claimed).toBe(false);
      });

      test('the SLA countdown turns into "breached" (red) once the deadline passes', async () => {
        const task = await createTask({ title: 'Deadline card', slaSeconds: 60 });
        const { agent } = await login(t, 'view@example.com');
        const card = async () => {
          const html = (await agent.get('/board?fragment=1&q=Deadline%20card')).text;
          return /<li class="card[^"]*"\s+data-id="([^"]+)"/.exec(html)?.[0] ?? '';
        };
        expect(await card()).toContain(task.id);
        expect(await card()).not.toContain('breached');
        clockOffset = 2 * 60 * 1000;
        try {
          expect(await card()).toContain(' breached');
        } finally {
          clockOffset = 0;
        }
      });

      test('filters and the list view', async () => {
        await createTask({ title: 'Risky one', riskLevel: 'critical', source: 'n8n' });
        const { agent } = await login(t, 'view@example.com');
        const critical = await agent.get('/board?risk=critical&fragment=1');
        expect(critical.text).toContain('Risky one');
        expect(critical.text).not.toContain('Refund order 42');
        const list = await agent.get('/board?view=list&source=n8n');
        expect(list.text).toContain('Risky one');
      });
    });

    describe('e-mail review links', () => {
      async function mailFor(taskId: string) {
        mail.length = 0;
        const sent = await sendReviewMails(
          { store, clock, notifier: { send: async (m) => void mail.push(m) }, publicUrl: 'https://lg.example.com/' },
          (await store.read.workspaces.findBySlug('default'))!.id,
          taskId,
        );
        return sent;
      }

      function linksOf(message: EmailMessage) {
        const find = (label: string) => new RegExp(`${label}:\\s+(\\S+)`).exec(message.text)?.[1] ?? '';
        return { approve: find('Approve'), reject: find('Reject'), modify: find('Review & modify') };
      }

      test('each reviewer of the group gets one mail; a second run sends nothing', async () => {
        const task = await createTask({ title: 'Mail me', riskLevel: 'high', confidence: 0.42 });
        expect(await mailFor(task.id)).toBe(2);
        expect(mail.map((m) => m.to[0]).sort()).toEqual(['rev2@example.com', 'rev@example.com']);
        const text = mail[0]?.text ?? '';
        expect(text).toContain('Risk:       high');
        expect(text).toContain('Confidence: 42 %');
        expect(linksOf(mail[0]!).approve).toMatch(/^https:\/\/lg\.example\.com\/review\/[\w-]{43}$/);
        expect(await mailFor(task.id)).toBe(0);
      });

      test("reviewers named on the task are mailed instead of the queue's group; non-members get nothing", async () => {
        const task = await createTask({
          title: 'Named reviewers',
          reviewers: ['Admin@Example.com', 'view@example.com', 'stranger@example.com'],
        });
        expect(await mailFor(task.id)).toBe(1);
        expect(mail.map((m) => m.to[0])).toEqual(['admin@example.com']);
      });

      test('GET never decides; POST decides once; the second use and sibling links are refused', async () => {
        const task = await createTask({ title: 'Link decide' });
        await mailFor(task.id);
        const message = mail.find((m) => m.to[0] === 'rev@example.com')!;
        const links = linksOf(message);
        const path = (url: string) => new URL(url).pathname;
        for (let i = 0; i < 3; i++) {
          const page = await request(t.app).get(path(links.approve));
          expect(page.status).toBe(200);
          expect(page.text).toContain('id="approve"');
          expect(page.text).not.toContain('id="reject"');
        }
        expect((await apiTask(task.id)).status).toBe('pending_review');
        const wrongAction = await request(t.app).post(path(links.approve)).type('form').send({ action: 'reject' });
        expect(wrongAction.status).toBe(403);
        const decided = await request(t.app).post(path(links.approve)).type('form').send({ action: 'approve' });
        expect(decided.status).toBe(200);
        expect(decided.text).toContain('The task is now approved');
        const after = await apiTask(task.id);
        expect(after.decision.decidedBy).toMatchObject({ type: 'user', id: users['rev@example.com'] });
        const again = await request(t.app).post(path(links.approve)).type('form').send({ action: 'approve' });
        expect(again.status).toBe(410);
        expect(again.text).toContain('already been used');
        const sibling = await request(t.app).get(path(links.reject));
        expect(sibling.status).toBe(410);
        const otherReviewer = linksOf(mail.find((m) => m.to[0] === 'rev2@example.com')!);
        const closed = await request(t.app).get(path(otherReviewer.modify));
        expect(closed.status).toBe(410);
        expect(closed.text).toContain('already been decided');
      });

      test('a review link POST from another site is refused and records no vote', async () => {
        const task = await createTask({ title: 'Link cross-site' });
        await mailFor(task.id);
        const approve = new URL(linksOf(mail.find((m) => m.to[0] === 'rev@example.com')!).approve).pathname;
        for (const headers of [{ Origin: 'https://evil.example.com' }, { 'Sec-Fetch-Site': 'cross-site' }]) {
          const res = await request(t.app).post(approve).set(headers).type('form').send({ action: 'approve' });
          expect(res.status).toBe(403);
          expect(res.text).toContain('sent from another site');
        }
        expect((await apiTask(task.id)).status).toBe('pending_review');
        expect((await events(task.id)).map((e) => e.type)).toEqual(['created']);
        // The reviewer's own click on the page still decides.
        const own = await request(t.app)
          .post(approve)
          .set({ Origin: 'http://localhost:3000', 'Sec-Fetch-Site': 'same-origin' })
          .type('form')
          .send({ action: 'approve' });
        expect(own.status).toBe(200);
        expect((await apiTask(task.id)).status).toBe('approved');
      });

      test('the modify link previews a diff and approves with modifications', async () => {
        const task = await createTask({ title: 'Link modify', payload: 'Dear customer, we refund 50 EUR.' });
        await mailFor(task.id);
        const links = linksOf(mail.find((m) => m.to[0] === 'rev2@example.com')!);
        const path = new URL(links.modify).pathname;
        const edited = 'Dear customer, we refund 40 EUR.';
        const preview = await request(t.app)
          .post(path)
          .type('form')
          .send({ action: 'approve_with_modifications', modifiedPayload: edited });
        expect(preview.text).toContain('<span class="add">+ Dear customer, we refund 40 EUR.</span>');
        expect((await apiTask(task.id)).status).toBe('pending_review');
        const done = await request(t.app)
          .post(path)
          .type('form')
          .send({ action: 'approve_with_modifications', modifiedPayload: edited, confirm: '1' });
        expect(done.status).toBe(200);
        const after = await apiTask(task.id);
        expect(after.status).toBe('approved_with_modifications');
        expect(after.decision.modifiedPayload).toBe(edited);
      });

      test('a link stops at the task deadline and says so', async () => {
        const task = await createTask({ title: 'Link expiry', slaSeconds: 60 });
        await mailFor(task.id);
        const link = new URL(linksOf(mail[0]!).approve).pathname;
        expect((await request(t.app).get(link)).status).toBe(200);
        clockOffset = 2 * 60 * 1000;
        try {
          const res = await request(t.app).post(link).type('form').send({ action: 'approve' });
          expect(res.status).toBe(410);
          expect(res.text).toContain('expired');
        } finally {
          clockOffset = 0;
        }
        expect((await apiTask(task.id)).status).toBe('pending_review');
      });

      test.each([
        ['a made-up token', 'x'.repeat(43), 'not valid'],
        ['a malformed token', '<script>', 'not valid'],
      ])('%s says so plainly', async (_name, token, words) => {
        const res = await request(t.app).get(`/review/${encodeURIComponent(token)}`);
        expect(res.status).toBe(410);
        expect(res.text).toContain(words);
        expect(res.text).not.toContain('<script>');
      });
    });

    describe('XSS corpus stays inert', () => {
      test.each(XSS_CORPUS)('%s', async (_name, evil) => {
        const task = await createTask({
          title: evil,
          description: evil,
          payload: { note: evil, html: evil },
          context: { summary: evil },
          source: 'xss',
        });
        const { agent } = await login(t, 'rev@example.com');
        const pages = [
          (await agent.get(`/tasks/${task.id}`)).text,
          (await agent.get('/board?source=xss&fragment=1')).text,
          (await agent.get('/board?view=list&source=xss')).text,
        ];
        for (const page of pages) expect(inertnessProblems(page, evil)).toEqual([]);
        await sendReviewMails(
          { store, clock, notifier: { send: async (m) => void mail.push(m) }, publicUrl: 'http://localhost:3000' },
          (await store.read.workspaces.findBySlug('default'))!.id,
          task.id,
        );
        const message = mail[mail.length - 1]!;
        expect(message.subject).not.toMatch(/[\r\n]/);
      });
    });

    describe('admin users page', () => {
      test('an admin changes a role; without mail the page cannot add anyone and sets no password; others may not', async () => {
        const { agent, csrf } = await login(t, 'admin@example.com');
        // This app has no mailer: adding is inviting, so the page refuses and names the operator's path.
        const add = await agent
          .post('/admin/users')
          .type('form')
          .send({ _csrf: csrf, email: 'New@Example.com', name: 'New', password: PASSWORD, role: 'viewer' });
        expect(add.status).toBe(503);
        expect(add.text).toContain('loopgate user create');
        expect(await store.read.users.findByEmail('new@example.com')).toBeNull();
        await upsertUser({ store, clock }, { email: 'new@example.com', password: PASSWORD, role: 'viewer' });
        const page = await agent.get('/admin/users');
        expect(page.text).toContain('new@example.com');
        const fresh = await login(t, 'new@example.com');
        expect((await fresh.agent.get('/board')).text).toContain('new@example.com · viewer');
        const newId = (await store.read.users.findByEmail('new@example.com'))!.id;
        const role = await agent
          .post(`/admin/users/${newId}/role`)
          .type('form')
          .send({ _csrf: csrf, role: 'reviewer' });
        expect(role.status).toBe(303);
        // Roles are read per request: the open session sees the change at once.
        expect((await fresh.agent.get('/board')).text).toContain('new@example.com · reviewer');
        const reviewer = await login(t, 'rev@example.com');
        expect((await reviewer.agent.get('/admin/users')).status).toBe(403);
      });
    });
  });
}
