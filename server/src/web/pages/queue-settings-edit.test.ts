import request from 'supertest';
import { DATABASES } from '../../test-support/databases.js';
import { bearer, usePageWorld } from '../../test-support/page-world.js';
import {
  escaped,
  problemsOf,
  QUEUE_DESK,
  queueApi,
  REFUNDS,
  section,
  unescaped,
} from '../../test-support/queue-pages.js';
import { inertnessProblems, XSS_CORPUS } from '../xss-corpus.js';

for (const database of DATABASES) {
  describe(`${database}: queue settings: editing a queue`, () => {
    const w = usePageWorld(database, QUEUE_DESK);
    const { apiQueue, apiQueueNames } = queueApi(w);

    test('an admin edits a queue: the form holds the config as JSON, saving goes through to the API', async () => {
      const { agent, csrf } = await w.login('admin@example.com');
      const created = await request(w.app)
        .post('/api/v1/queues')
        .set(bearer(w.keys.admin))
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
      const { agent, csrf } = await w.login('admin@example.com');
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
        const { agent, csrf } = await w.login('admin@example.com');
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
      const { agent, csrf } = await w.login('admin@example.com');
      expect((await agent.get('/settings/queues/no-such-queue')).status).toBe(404);
      const res = await agent.post('/settings/queues/no-such-queue').type('form').send({ _csrf: csrf, config: '{}' });
      expect(res.status).toBe(404);
      expect(await apiQueueNames()).not.toContain('no-such-queue');
    });

    test('a description with a script tag renders escaped on the list and in the editor', async () => {
      const evil = '<script>alert(1)</script>';
      const { agent, csrf } = await w.login('admin@example.com');
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
        const created = await request(w.app)
          .post('/api/v1/queues')
          .set(bearer(w.keys.admin))
          .send({ name: queue, config: { description: evil } });
        expect(created.status).toBe(201);
        const { agent, csrf } = await w.login('admin@example.com');
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
          // No text closes a textarea early: every one the page opens is closed exactly once.
          expect(page.match(/<\/textarea>/g)?.length ?? 0).toBe(page.match(/<textarea /g)?.length ?? 0);
        }
      });
    });
  });
}
