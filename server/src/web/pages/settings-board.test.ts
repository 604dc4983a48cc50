import request from 'supertest';
import { DATABASES } from '../../test-support/databases.js';
import { bearer, SUPPORT_DESK, taskHelpers, usePageWorld } from '../../test-support/page-world.js';
import { columnIdFor, describeFilter } from './settings-board.js';

test('a new column is named from its title, unique among the ids taken', () => {
  expect(columnIdFor('Fraud flags', new Set())).toBe('fraud-flags');
  expect(columnIdFor('Fraud flags', new Set(['fraud-flags', 'fraud-flags-2']))).toBe('fraud-flags-3');
  expect(columnIdFor('¡¡¡', new Set())).toBe('column');
  expect(describeFilter({ tag: 'fraud', minLevel: 2 })).toBe('tag fraud · approval level 2 or later');
});

for (const database of DATABASES) {
  describe(`${database}: board settings page`, () => {
    const w = usePageWorld(database, SUPPORT_DESK);
    const { createTask } = taskHelpers(w);
    const config = async () => (await request(w.app).get('/api/v1/board').set(bearer(w.keys.viewer))).body;
    const ids = async () => (await config()).columns.map((c: { id: string }) => c.id);
    const orderFields = (list: string[]) => list.map((id) => `order=${encodeURIComponent(id)}`).join('&');

    test('an admin adds a tag column; the board shows exactly the tagged tasks there and not again in Pending', async () => {
      const { agent, csrf } = await w.login('admin@example.com');
      const page = await agent.get('/settings/board');
      expect(page.status).toBe(200);
      expect(page.text).toContain('name="title:pending" value="Pending Review"');
      const added = await agent.post('/settings/board/columns').type('form').send({
        _csrf: csrf,
        version: '0',
        title: 'Fraud flags',
        tag: 'fraud',
        queue: '',
        source: '',
        risk: '',
        minLevel: '',
      });
      expect(added.status).toBe(303);
      expect(added.headers.location).toContain('notice=');
      expect(await ids()).toEqual([
        'pending',
        'in_progress',
        'needs_approval',
        'escalated',
        'fraud-flags',
        'completed',
      ]);
      const tagged = await createTask({ title: 'Tagged one', tags: ['fraud'] });
      const untagged = await createTask({ title: 'Untagged one', tags: ['other'] });
      const board = (await agent.get('/board')).text;
      const column = (id: string) => board.split(`id="column-${id}"`)[1]?.split('<section')[0] ?? '';
      expect(column('fraud-flags')).toContain(tagged.id);
      expect(column('fraud-flags')).not.toContain(untagged.id);
      expect(column('pending')).toContain(untagged.id);
      expect(column('pending')).not.toContain(tagged.id);
      // The phone's picker lists the columns with their counts.
      expect(board).toMatch(
        /<a href="#column-fraud-flags" data-column="fraud-flags">Fraud flags <span class="picker-count">1<\/span>/,
      );
    });

    test('rename, hide, move and remove through the one form; the API sees each change', async () => {
      const { agent, csrf } = await w.login('admin@example.com');
      const before = await config();
      const order = before.columns.map((c: { id: string }) => c.id);
      const post = (extra: Record<string, string>, version = before.version) =>
        agent
          .post('/settings/board')
          .type('form')
          .send(`_csrf=${csrf}&version=${version}&${orderFields(order)}&${new URLSearchParams(extra)}`);
      const renamed = await post({ 'title:pending': 'Inbox', 'hidden:escalated': '1', op: 'save' });
      expect(renamed.status).toBe(303);
      const after = await config();
      expect(after.columns[0]).toEqual({ id: 'pending', title: 'Inbox', kind: 'stage', stage: 'pending' });
      expect(after.columns.find((c: { id: string }) => c.id === 'escalated').hidden).toBe(true);
      expect((await agent.get('/board')).text).not.toContain('id="column-escalated"');

      const moved = await post({ op: 'up:fraud-flags' }, after.version);
      expect(moved.status).toBe(303);
      expect((await ids()).slice(3, 5)).toEqual(['fraud-flags', 'escalated']);
      // Titles not sent are kept; the hide box not sent means shown again (it is a checkbox).
      expect((await config()).columns[0].title).toBe('Inbox');
    });

    test('problems show beside the field with what was typed; a stage cannot be removed; a stale page is refused', async () => {
      const { agent, csrf } = await w.login('admin@example.com');
      const current = await config();
      const order = current.columns.map((c: { id: string }) => c.id);
      const post = (extra: Record<string, string>, version = current.version) =>
        agent
          .post('/settings/board')
          .type('form')
          .send(`_csrf=${csrf}&version=${version}&${orderFields(order)}&${new URLSearchParams(extra)}`);
      const blank = await post({ 'title:in_progress': '   ', 'title:pending': '<b>Mine</b>', op: 'save' });
      expect(blank.status).toBe(400);
      expect(blank.text).toMatch(
        /name="title:in_progress" value="" maxlength="60" required aria-invalid="true" aria-describedby="board-col-in_progress-error"/,
      );
      expect(blank.text).toContain('<p class="field-error" id="board-col-in_progress-error">A title is required</p>');
      expect(blank.text).toContain('value="&lt;b&gt;Mine&lt;/b&gt;"');
      expect((await config()).version).toBe(current.version);

      const stage = await post({ op: 'remove:completed' });
      expect(stage.status).toBe(400);
      expect(stage.text).toContain('A built-in stage cannot be removed: tick Hide instead');

      const stale = await post({ op: 'save' }, current.version - 1);
      expect(stale.status).toBe(409);
      expect(stale.text).toContain('changed by someone else');

      const noFilter = await agent
        .post('/settings/board/columns')
        .type('form')
        .send({
          _csrf: csrf,
          version: String(current.version),
          title: 'Empty',
          tag: '',
          queue: '',
          source: '',
          risk: '',
          minLevel: '',
        });
      expect(noFilter.status).toBe(400);
      expect(noFilter.text).toContain('Set at least one of tag, queue, source, riskLevel, minLevel');
      expect(noFilter.text).toContain('name="title" maxlength="60" required value="Empty"');
      const badLevel = await agent
        .post('/settings/board/columns')
        .type('form')
        .send({
          _csrf: csrf,
          version: String(current.version),
          title: 'Deep',
          tag: '',
          queue: '',
          source: '',
          risk: '',
          minLevel: '11',
        });
      expect(badLevel.status).toBe(400);
      expect(badLevel.text).toContain('id="add-minLevel-error"');

      const removed = await post({ op: 'remove:fraud-flags' });
      expect(removed.status).toBe(303);
      expect(await ids()).not.toContain('fraud-flags');
      const reset = await agent
        .post('/settings/board')
        .type('form')
        .send(`_csrf=${csrf}&version=${current.version + 1}&op=reset`);
      expect(reset.status).toBe(303);
      expect(await ids()).toEqual(['pending', 'in_progress', 'needs_approval', 'escalated', 'completed']);
    });

    test('reviewers and viewers may not open or post the page; they see the configured board', async () => {
      for (const email of ['rev@example.com', 'view@example.com']) {
        const other = await w.login(email);
        expect((await other.agent.get('/settings/board')).status).toBe(403);
        const sneaky = await other.agent.post('/settings/board').type('form').send({ _csrf: other.csrf, op: 'reset' });
        expect(sneaky.status).toBe(403);
        expect((await other.agent.get('/board')).text).not.toContain('href="/settings/board"');
      }
      const current = await config();
      const renamed = current.columns.map((c: { id: string; title: string }) =>
        c.id === 'pending' ? { ...c, title: 'Waiting for a human' } : c,
      );
      const put = await request(w.app)
        .put('/api/v1/board')
        .set(bearer(w.keys.admin))
        .send({ columns: renamed, version: current.version });
      expect(put.status).toBe(200);
      const viewer = await w.login('view@example.com');
      expect((await viewer.agent.get('/board')).text).toMatch(
        /id="column-pending" aria-label="Waiting for a human">\s*<h2 tabindex="-1">Waiting for a human/,
      );
    });
  });
}
