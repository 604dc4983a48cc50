import { type QueueConfigInput, queueConfigSchema } from '@loopgate/shared';
import request from 'supertest';
import { upsertUser } from '../../domain/admin/users.js';
import { DATABASES, openTestStore } from '../../test-support/databases.js';
import { buildTestApp, type TestApp } from '../../test-support/fixtures.js';
import { logInAs } from '../../test-support/web-login.js';
import { inertnessProblems, XSS_CORPUS } from '../xss-corpus.js';

const PASSWORD = 'correct horse battery';
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

const login = (t: TestApp, email: string) => logInAs(t.app, email, PASSWORD);

/** The text of the element with this id, tags stripped: what a reader of that part of the page sees. */
function section(html: string, id: string): string {
  const start = html.indexOf(`id="${id}"`);
  if (start < 0) throw new Error(`no #${id} in the page`);
  const end = html.indexOf('</section>', start);
  return html
    .slice(start, end)
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ');
}

/** As Eta's auto-escaping writes text into the page. */
function escaped(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function unescaped(html: string): string {
  return html
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** The problem list a refused form shows above the form, as HTML. */
function problemsOf(html: string): string {
  const start = html.indexOf('id="form-problems"');
  if (start < 0) throw new Error(`no problem list in:\n${html.slice(0, 1500)}`);
  return html.slice(start, html.indexOf('</section>', start));
}

/** The refunds example of docs/approvals.md. */
const REFUNDS: QueueConfigInput = {
  description: 'Refunds proposed by the support agent',
  reviewerGroups: ['operations'],
  policy: {
    rules: [
      { type: 'flag', name: 'regulatory' },
      { type: 'confidence_below', threshold: 0.8, levels: 1 },
      { type: 'risk', levels: { medium: 1, high: 2, critical: 2 } },
      { type: 'sample', rate: 0.05, levels: 1 },
    ],
    otherwise: 'auto_approve',
  },
  levels: [
    { name: 'operations', group: 'operations', quorum: 1 },
    { name: 'compliance', group: 'managers', quorum: 2, mode: 'majority' },
  ],
  creatorMayApprove: false,
  sla: { seconds: 14400, byRisk: { critical: 3600 } },
  escalation: [
    { action: 'reminder', afterSeconds: -1800 },
    { action: 'reassign', afterSeconds: 0, group: 'managers' },
    { action: 'raise_priority', afterSeconds: 3600 },
  ],
  timeoutAction: 'reject',
  timeoutAfterSeconds: 7200,
};

for (const database of DATABASES) {
  describe(`${database}: queue settings pages`, () => {
    let t: TestApp;
    let close: () => Promise<void>;

    beforeAll(async () => {
      const opened = await openTestStore(database);
      close = opened.close;
      const store = opened.store;
      const clock = Date.now;
      t = await buildTestApp(store, clock);
      for (const [email, role] of [
        ['admin@example.com', 'admin'],
        ['ana@example.com', 'reviewer'],
        ['view@example.com', 'viewer'],
      ] as const) {
        await upsertUser({ store, clock }, { email, password: PASSWORD, role });
      }
      for (const [name, members] of [
        ['operations', ['ana@example.com']],
        ['managers', ['admin@example.com']],
      ] as const) {
        const group = await request(t.app)
          .post('/api/v1/reviewer-groups')
          .set(bearer(t.keys.admin))
          .send({ name, members });
        expect(group.status).toBe(201);
      }
      const refunds = await request(t.app)
        .post('/api/v1/queues')
        .set(bearer(t.keys.admin))
        .send({ name: 'refunds', config: REFUNDS });
      expect(refunds.status).toBe(201);
    });
    afterAll(async () => close());

    async function apiQueue(name: string) {
      const res = await request(t.app).get(`/api/v1/queues/${name}`).set(bearer(t.keys.viewer));
      return { status: res.status, body: res.body };
    }

    async function apiQueueNames(): Promise<string[]> {
      const res = await request(t.app).get('/api/v1/queues').set(bearer(t.keys.viewer));
      return res.body.data.map((queue: { name: string }) => queue.name);
    }

    test('every role sees each queue in words, the built-in default included, and the reviewer groups', async () => {
      const { agent } = await login(t, 'view@example.com');
      const page = await agent.get('/settings/queues');
      expect(page.status).toBe(200);
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
      const builtIn = section(page.text, 'queue-default');
      expect(builtIn).toContain('built in · fail-closed defaults');
      expect(builtIn).toContain('Otherwise → review by every approval level (review)');
      expect(builtIn).toContain('At the deadline: reject — the task ends expired');

      const refunds = section(page.text, 'queue-refunds');
      for (const words of [
        'Refunds proposed by the support agent',
        'Reviewer groups operations',
        'Flag &quot;regulatory&quot; is true in the context or payload, or a tag → review by every approval level (operations → compliance)',
        'Confidence below 0.8 (or none given) → review by 1 approval level (operations)',
        'Risk medium → review by 1 approval level (operations); high → review by 2 approval levels (operations → compliance); critical → review by 2 approval levels (operations → compliance)',
        'Sample 5 % of the tasks that reach this rule',
        'Otherwise → approved automatically',
        '2 compliance managers 2 majority',
        'The creator of a task may not approve it.',
        'Due 14400 s (4 h) after creation',
        'Risk critical: 3600 s (1 h)',
        '30 min before the deadline: e-mail a reminder',
        'At the deadline: reassign to reviewer group &quot;managers&quot;',
        '1 h after the deadline: raise the priority',
        '2 h after the deadline: reject — the task ends expired',
      ]) {
        expect(refunds).toContain(words);
      }
      const groups = page.text.slice(page.text.indexOf('id="reviewer-groups"'));
      expect(groups).toMatch(/<td>operations<\/td>[\s\S]*ana@example\.com/);
      expect(groups).toMatch(/<td>managers<\/td>[\s\S]*admin@example\.com/);
      expect(page.text).toContain('href="/settings/queues">Queues</a>');
    });

    test('a viewer gets no edit controls, and a viewer POST is 403 and changes nothing', async () => {
      const { agent, csrf } = await login(t, 'view@example.com');
      const page = await agent.get('/settings/queues');
      expect(page.text).toContain('id="read-only"');
      expect(page.text).not.toContain('action="/settings/queues');
      expect(page.text).not.toContain('href="/settings/queues/');
      expect(page.text).not.toContain('<textarea');
      expect((await agent.get('/settings/queues/refunds')).status).toBe(403);

      const before = await apiQueue('refunds');
      const edit = await agent
        .post('/settings/queues/refunds')
        .type('form')
        .send({ _csrf: csrf, config: JSON.stringify({ description: 'viewer was here' }) });
      expect(edit.status).toBe(403);
      expect(edit.text).not.toContain('<textarea');
      const create = await agent.post('/settings/queues').type('form').send({ _csrf: csrf, name: 'viewer-queue' });
      expect(create.status).toBe(403);
      expect(await apiQueue('refunds')).toEqual(before);
      expect(await apiQueueNames()).not.toContain('viewer-queue');
    });

    test('a reviewer is refused too', async () => {
      const { agent, csrf } = await login(t, 'ana@example.com');
      const create = await agent.post('/settings/queues').type('form').send({ _csrf: csrf, name: 'reviewer-queue' });
      expect(create.status).toBe(403);
      expect(await apiQueueNames()).not.toContain('reviewer-queue');
    });

    test('an admin creates a queue from the page and the API returns it', async () => {
      const { agent, csrf } = await login(t, 'admin@example.com');
      const page = await agent.get('/settings/queues');
      expect(page.text).toContain('action="/settings/queues"');
      expect(page.text).toContain('href="/settings/queues/refunds"');
      expect(page.text).toContain('id="config-reference"');

      const config = {
        description: 'Invoices above 10k',
        reviewerGroups: ['operations'],
        levels: [{ name: 'ops', group: 'operations', quorum: 1 }],
        sla: { seconds: 3600 },
      };
      const res = await agent
        .post('/settings/queues')
        .type('form')
        .send({ _csrf: csrf, name: 'invoices', config: JSON.stringify(config, null, 2) });
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/settings/queues?created=invoices');
      const after = await agent.get(res.headers.location ?? '');
      expect(after.text).toContain('Created queue invoices');
      expect(section(after.text, 'queue-invoices')).toContain('Invoices above 10k');

      const api = await apiQueue('invoices');
      expect(api.status).toBe(200);
      expect(api.body.builtIn).toBe(false);
      expect(api.body.config).toEqual(queueConfigSchema.parse(config));
    });

    test('an empty configuration creates a queue with the fail-closed defaults', async () => {
      const { agent, csrf } = await login(t, 'admin@example.com');
      const res = await agent
        .post('/settings/queues')
        .type('form')
        .send({ _csrf: csrf, name: 'blank', config: '  \n' });
      expect(res.status).toBe(303);
      expect((await apiQueue('blank')).body.config).toEqual(queueConfigSchema.parse({}));
    });

    test.each([
      [
        'a duplicate name',
        'refunds',
        '{"description": "second refunds"}',
        409,
        ['<code>name</code>: Queue &quot;refunds&quot; already exists'],
      ],
      ['a name that is not a slug', 'Big Refunds!', '{}', 400, ['<code>name</code>: Use lower-case letters']],
      [
        'a bad name and a bad config, both reported',
        'Nope',
        '{"levels": []}',
        400,
        ['<code>name</code>: Use lower-case letters', '<code>levels</code>: Too small'],
      ],
      [
        'invalid JSON',
        'broken',
        '{\n  "description": "x",\n}',
        400,
        ['<code>line 3, column 1</code>: Expected double-quoted property name'],
      ],
      [
        'an unknown reviewer group',
        'ghosts',
        '{"reviewerGroups": ["ghosts"]}',
        400,
        ['no reviewer group &quot;ghosts&quot;'],
      ],
    ])(
      'creating with %s is refused, the text is kept and nothing is stored',
      async (_name, name, text, status, problems) => {
        const { agent, csrf } = await login(t, 'admin@example.com');
        const namesBefore = await apiQueueNames();
        const refundsBefore = await apiQueue('refunds');
        const res = await agent.post('/settings/queues').type('form').send({ _csrf: csrf, name, config: text });
        expect(res.status).toBe(status);
        const shown = problemsOf(res.text);
        for (const problem of problems) expect(shown).toContain(problem);
        expect(res.text).toContain(`name="name" required maxlength="64" value="${escaped(name)}"`);
        expect(res.text).toContain(`>${escaped(text)}</textarea>`);
        expect(await apiQueueNames()).toEqual(namesBefore);
        expect(await apiQueue('refunds')).toEqual(refundsBefore);
      },
    );

    test('an admin edits a queue: the form holds the config as JSON, saving goes through to the API', async () => {
      const { agent, csrf } = await login(t, 'admin@example.com');
      const created = await request(t.app)
        .post('/api/v1/queues')
        .set(bearer(t.keys.admin))
        .send({ name: 'editable', config: { description: 'before' } });
      expect(created.status).toBe(201);
      const form = await agent.get('/settings/queues/editable');
      expect(form.status).toBe(200);
      const text = /<textarea name="config"[^>]*>([\s\S]*?)<\/textarea>/.exec(form.text)?.[1] ?? '';
      const shown = JSON.parse(unescaped(text));
      expect(shown).toEqual(created.body.config);

      const res = await agent
        .post('/settings/queues/editable')
        .type('form')
        .send({ _csrf: csrf, config: JSON.stringify({ ...shown, description: 'after', timeoutAction: 'approve' }) });
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/settings/queues?saved=editable');
      const api = (await apiQueue('editable')).body;
      expect(api.config.description).toBe('after');
      expect(api.config.timeoutAction).toBe('approve');
    });

    test('saving the built-in default queue configures it', async () => {
      const { agent, csrf } = await login(t, 'admin@example.com');
      expect((await apiQueue('default')).body.builtIn).toBe(true);
      const form = await agent.get('/settings/queues/default');
      expect(form.text).toContain('This is the built-in default queue');
      const res = await agent
        .post('/settings/queues/default')
        .type('form')
        .send({ _csrf: csrf, config: '{"description": "the catch-all"}' });
      expect(res.status).toBe(303);
      const api = (await apiQueue('default')).body;
      expect(api.builtIn).toBe(false);
      expect(api.config.description).toBe('the catch-all');
    });

    const outOfOrder = {
      ...REFUNDS,
      description: 'edited but refused',
      escalation: [
        { action: 'reminder', afterSeconds: 600 },
        { action: 'raise_priority', afterSeconds: 60 },
      ],
    };
    test.each([
      [
        'escalation out of time order',
        JSON.stringify(outOfOrder, null, 2),
        400,
        ['<code>escalation[1].afterSeconds</code>: steps must be in time order'],
      ],
      [
        'an unknown reviewer group',
        JSON.stringify({ ...REFUNDS, levels: [{ name: 'x', group: 'nobody' }] }),
        400,
        ['Unknown reviewer group: nobody', 'no reviewer group &quot;nobody&quot;'],
      ],
      [
        'unknown fields and bad rules',
        JSON.stringify({ ...REFUNDS, colour: 'red', policy: { rules: [{ type: 'confidence_below', threshold: 2 }] } }),
        400,
        ['<code>colour</code>: Unknown field', '<code>policy.rules[0].threshold</code>: Too big'],
      ],
      ['invalid JSON', '{"description": "x" "levels": []}', 400, ['<code>line 1, column 21</code>']],
      ['an empty text', '', 400, ['Enter the configuration as JSON']],
    ])(
      'an edit with %s is refused with its path, the text kept, nothing changed',
      async (_name, text, status, problems) => {
        const { agent, csrf } = await login(t, 'admin@example.com');
        const before = await apiQueue('refunds');
        const res = await agent.post('/settings/queues/refunds').type('form').send({ _csrf: csrf, config: text });
        expect(res.status).toBe(status);
        const shown = problemsOf(res.text);
        for (const problem of problems) expect(shown).toContain(problem);
        expect(res.text).toContain(`>${escaped(text)}</textarea>`);
        expect(await apiQueue('refunds')).toEqual(before);
      },
    );

    test('an edit of a queue that does not exist is 404', async () => {
      const { agent, csrf } = await login(t, 'admin@example.com');
      expect((await agent.get('/settings/queues/no-such-queue')).status).toBe(404);
      const res = await agent.post('/settings/queues/no-such-queue').type('form').send({ _csrf: csrf, config: '{}' });
      expect(res.status).toBe(404);
      expect(await apiQueueNames()).not.toContain('no-such-queue');
    });

    test.each([
      ['no CSRF token', undefined],
      ['a wrong CSRF token', 'x'.repeat(43)],
    ])('a form with %s is refused and changes nothing', async (_name, token) => {
      const { agent } = await login(t, 'admin@example.com');
      const before = await apiQueue('refunds');
      const namesBefore = await apiQueueNames();
      const edit = await agent
        .post('/settings/queues/refunds')
        .type('form')
        .send({ ...(token ? { _csrf: token } : {}), config: '{"description": "forged"}' });
      expect(edit.status).toBe(403);
      const create = await agent
        .post('/settings/queues')
        .type('form')
        .send({ ...(token ? { _csrf: token } : {}), name: 'forged' });
      expect(create.status).toBe(403);
      expect(await apiQueue('refunds')).toEqual(before);
      expect(await apiQueueNames()).toEqual(namesBefore);
    });

    test('a description with a script tag renders escaped on the list and in the editor', async () => {
      const evil = '<script>alert(1)</script>';
      const { agent, csrf } = await login(t, 'admin@example.com');
      const res = await agent
        .post('/settings/queues')
        .type('form')
        .send({ _csrf: csrf, name: 'xss-plain', config: JSON.stringify({ description: evil }) });
      expect(res.status).toBe(303);
      const list = await agent.get('/settings/queues');
      expect(section(list.text, 'queue-xss-plain')).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      const editor = await agent.get('/settings/queues/xss-plain');
      expect(editor.text).toContain('&quot;description&quot;: &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;');
      for (const html of [list.text, editor.text]) expect(html).not.toContain(evil);
    });

    describe('XSS corpus in a description stays inert', () => {
      test.each(XSS_CORPUS)('%s', async (name, evil) => {
        const queue = `xss-${name.replace(/[^a-z]+/g, '-')}`;
        const created = await request(t.app)
          .post('/api/v1/queues')
          .set(bearer(t.keys.admin))
          .send({ name: queue, config: { description: evil } });
        expect(created.status).toBe(201);
        const { agent, csrf } = await login(t, 'admin@example.com');
        // Invalid JSON keeps the admin's raw text: the echo into the textarea must be inert too.
        const refused = await agent
          .post(`/settings/queues/${queue}`)
          .type('form')
          .send({ _csrf: csrf, config: `${evil} {` });
        expect(refused.status).toBe(400);
        const pages = [
          (await agent.get('/settings/queues')).text,
          (await agent.get(`/settings/queues/${queue}`)).text,
          refused.text,
        ];
        for (const page of pages) {
          expect(inertnessProblems(page, evil)).toEqual([]);
          expect(page.match(/<\/textarea>/g)?.length ?? 0).toBeLessThanOrEqual(1);
        }
      });
    });
  });
}
