import { queueConfigSchema } from '@loopgate/shared';
import request from 'supertest';
import { DATABASES } from '../../test-support/databases.js';
import { bearer, usePageWorld } from '../../test-support/page-world.js';
import { escaped, problemsOf, QUEUE_DESK, queueApi, section } from '../../test-support/queue-pages.js';

for (const database of DATABASES) {
  describe(`${database}: queue settings pages`, () => {
    const w = usePageWorld(database, QUEUE_DESK);
    const { apiQueue, apiQueueNames } = queueApi(w);

    test('every role sees each queue in words, the built-in default included, and the reviewer groups', async () => {
      const { agent } = await w.login('view@example.com');
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
      expect(groups).toMatch(/<td[^>]*>operations<\/td>[\s\S]*ana@example\.com/);
      expect(groups).toMatch(/<td[^>]*>managers<\/td>[\s\S]*admin@example\.com/);
      expect(page.text).toContain('href="/settings/queues">Queues</a>');
    });

    test('each queue shows its health: open, past deadline, median time to decision over 24 h', async () => {
      const created = await request(w.app).post('/api/v1/queues').set(bearer(w.keys.admin)).send({ name: 'healthy' });
      expect(created.status).toBe(201);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const task = await request(w.app)
          .post('/api/v1/tasks')
          .set(bearer(w.keys.reviewer))
          .send({ title: 'Refund', payload: { i }, queue: 'healthy', slaSeconds: 60 });
        expect(task.status).toBe(201);
        ids.push(task.body.id);
      }
      w.clockOffset = 5 * 60_000; // decided five minutes after creation
      const decision = await request(w.app)
        .post(`/api/v1/tasks/${ids[0]}/decision`)
        .set(bearer(w.keys.admin))
        .send({ action: 'approve' });
      expect(decision.status).toBe(200);
      const { agent } = await w.login('view@example.com');
      const text = section((await agent.get('/settings/queues')).text, 'queue-healthy');
      expect(text).toContain('Open 2 Past deadline 2 Median time to decision (24 h) 5 min (1 decided)');
      const quiet = section((await agent.get('/settings/queues')).text, 'queue-default');
      expect(quiet).toContain('Open 0 Past deadline 0 Median time to decision (24 h) no decisions in the last 24 h');
    });

    test('a viewer gets no edit controls, and a viewer POST is 403 and changes nothing', async () => {
      const { agent, csrf } = await w.login('view@example.com');
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
      const { agent, csrf } = await w.login('ana@example.com');
      const create = await agent.post('/settings/queues').type('form').send({ _csrf: csrf, name: 'reviewer-queue' });
      expect(create.status).toBe(403);
      expect(await apiQueueNames()).not.toContain('reviewer-queue');
    });

    test('an admin creates a queue from the page and the API returns it', async () => {
      const { agent, csrf } = await w.login('admin@example.com');
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
      const { agent, csrf } = await w.login('admin@example.com');
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
        const { agent, csrf } = await w.login('admin@example.com');
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

    test.each([
      ['no CSRF token', undefined],
      ['a wrong CSRF token', 'x'.repeat(43)],
    ])('a form with %s is refused and changes nothing', async (_name, token) => {
      const { agent } = await w.login('admin@example.com');
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
  });
}
