import request from 'supertest';
import { DATABASES } from '../../test-support/databases.js';
import { bearer, SUPPORT_DESK, taskHelpers, usePageWorld } from '../../test-support/page-world.js';

const rowIds = (html: string) => [...html.matchAll(/<tr data-id="([^"]+)"/g)].map((m) => m[1]);
const unamp = (text: string) => text.replace(/&amp;/g, '&');
/** The sortable header of `label`: its aria-sort (or null) and where it links. */
function header(html: string, label: string): { sort: string | null; href: string } | null {
  const match = new RegExp(
    `<th scope="col"(?: aria-sort="(\\w+)")?><a href="([^"]+)" class="sort">${label}[<\\s]`,
  ).exec(html);
  return match ? { sort: match[1] ?? null, href: unamp(match[2] ?? '') } : null;
}

for (const database of DATABASES) {
  describe(`${database}: list view — sortable columns, bulk actions, saved views; group rename`, () => {
    const w = usePageWorld(database, SUPPORT_DESK);
    const { createTask, apiTask } = taskHelpers(w);

    test('column headers sort on the server and toggle their direction; aria-sort marks the active one', async () => {
      const late = await createTask({ title: 'Sort b late', slaSeconds: 7200, riskLevel: 'low' });
      const soon = await createTask({ title: 'Sort c soon', slaSeconds: 60, riskLevel: 'critical' });
      const none = await createTask({ title: 'Sort a none', riskLevel: 'medium' });
      const { agent } = await w.login('view@example.com');
      const list = async (query: string) => (await agent.get(`/board?view=list&q=Sort&${query}`)).text;

      const byDue = await list('sort=due');
      expect(rowIds(byDue)).toEqual([soon.id, late.id, none.id]);
      expect(header(byDue, 'Due')).toEqual({ sort: 'ascending', href: '/board?q=Sort&view=list&sort=due&dir=desc' });
      // Another header starts in its own default direction (title A→Z, risk critical first).
      expect(header(byDue, 'Title')).toEqual({ sort: null, href: '/board?q=Sort&view=list&sort=title&dir=asc' });
      expect(header(byDue, 'Risk')?.href).toBe('/board?q=Sort&view=list&sort=risk&dir=desc');

      const dueDesc = await list('sort=due&dir=desc');
      expect(rowIds(dueDesc)).toEqual([none.id, late.id, soon.id]);
      expect(header(dueDesc, 'Due')?.sort).toBe('descending');
      expect(rowIds(await list('sort=title&dir=asc'))).toEqual([none.id, late.id, soon.id]);
      expect(rowIds(await list('sort=risk&dir=desc'))).toEqual([soon.id, none.id, late.id]);
      expect(rowIds(await list('sort=nonsense'))).toEqual([none.id, soon.id, late.id]);

      // The export follows the order the list shows.
      const csvHref = unamp(/<a href="([^"]+)" download>CSV<\/a>/.exec(dueDesc)?.[1] ?? '');
      expect(csvHref).toBe('/board/export?q=Sort&format=csv&sort=due&dir=desc');
      const csv = (await agent.get(csvHref)).text.trim().split('\n').slice(1);
      expect(csv.map((line) => line.split(',')[0])).toEqual([none.id, late.id, soon.id]);
      // Relative, coloured due times.
      expect(byDue).toMatch(/class="due"[^>]*>due in (59 s|1 min)</);
    });

    test('bulk claim acts on the ticked rows and says what happened to each; never approve', async () => {
      const tasks = [];
      for (let i = 0; i < 3; i++) tasks.push(await createTask({ title: `Bulk ${i}` }));
      const [a, b, c] = tasks.map((t) => t.id) as [string, string, string];
      const other = await w.login('rev2@example.com');
      expect(
        (await other.agent.post(`/tasks/${c}/claim`).set('X-CSRF-Token', other.csrf).set('Accept', 'application/json'))
          .status,
      ).toBe(200);

      const rev = await w.login('rev@example.com');
      const list = (await rev.agent.get('/board?view=list&q=Bulk')).text;
      expect(list).toContain('action="/tasks/bulk"');
      expect(list).toMatch(
        /<button type="submit" name="action" value="claim" data-bulk="claim" aria-describedby="bulk-why">/,
      );
      const back = unamp(/name="back" value="([^"]+)"/.exec(list)?.[1] ?? '');
      expect(back).toBe('/board?q=Bulk&view=list&sort=newest');

      const done = await rev.agent
        .post('/tasks/bulk')
        .type('form')
        .send(`_csrf=${rev.csrf}&action=claim&ids=${a}&ids=${b}&ids=${c}&back=${encodeURIComponent(back)}`);
      expect(done.status).toBe(200);
      expect(done.text).toMatch(/2 claimed, 1 skipped: claimed by [^<]+</);
      expect(done.text).toContain(`<a href="${back.replace(/&/g, '&amp;')}">Back to the list</a>`);
      expect((await apiTask(a)).workflow).toMatchObject({ claimed: true });
      expect((await apiTask(b)).workflow).toMatchObject({ claimed: true });

      const released = await rev.agent
        .post('/tasks/bulk')
        .type('form')
        .send({ _csrf: rev.csrf, action: 'release', ids: a, back: 'https://evil.example/' });
      expect(released.text).toContain('1 released');
      expect(released.text).toContain('<a href="/board?view=list">Back to the list</a>');

      const none = await rev.agent.post('/tasks/bulk').type('form').send({ _csrf: rev.csrf, action: 'escalate' });
      expect(none.status).toBe(400);
      expect(none.text).toContain('Select at least one task');
      const approve = await rev.agent
        .post('/tasks/bulk')
        .type('form')
        .send({ _csrf: rev.csrf, action: 'approve', ids: b });
      expect(approve.status).toBe(400);
      expect((await apiTask(b)).status).toBe('pending_review');
      const forged = await rev.agent.post('/tasks/bulk').type('form').send({ action: 'claim', ids: b });
      expect(forged.status).toBe(403);

      // A viewer sees the buttons disabled, with the reason, before clicking.
      const viewer = await w.login('view@example.com');
      const theirs = (await viewer.agent.get('/board?view=list&q=Bulk')).text;
      expect(theirs).toMatch(/value="claim" data-bulk="claim" disabled aria-describedby="bulk-why"/);
      expect(theirs).toContain('Your role can read tasks but not claim, release or escalate them.');
    });

    test('a user saves the current filters as a named view, reopens it, replaces and deletes it; others never see it', async () => {
      await createTask({ title: 'Saved high', riskLevel: 'high' });
      const rev = await w.login('rev@example.com');
      const list = (await rev.agent.get('/board?view=list&risk=high&sort=due&dir=desc&show=pending:100')).text;
      const query = unamp(/name="query" value="([^"]+)"/.exec(list)?.[1] ?? '');
      expect(query).toBe('view=list&risk=high&sort=due&dir=desc');

      const saved = await rev.agent
        .post('/board/views')
        .type('form')
        .send({ _csrf: rev.csrf, name: 'Hot <b>ones</b>', query });
      expect([saved.status, saved.headers.location]).toEqual([303, `/board?${query}`]);
      const reopened = (await rev.agent.get(saved.headers.location as string)).text;
      expect(reopened).toContain(
        '<a href="/board?view=list&amp;risk=high&amp;sort=due&amp;dir=desc" aria-current="page">Hot &lt;b&gt;ones&lt;/b&gt;</a>',
      );
      expect(header(reopened, 'Due')?.sort).toBe('descending');

      const taken = await rev.agent
        .post('/board/views')
        .type('form')
        .send({ _csrf: rev.csrf, name: 'Hot <b>ones</b>', query: 'view=board&queue=support' });
      expect(taken.status).toBe(409);
      expect(taken.text).toContain('You already have a view named');
      expect(taken.text).toContain('value="Hot &lt;b&gt;ones&lt;/b&gt;"');
      const replaced = await rev.agent
        .post('/board/views')
        .type('form')
        .send({ _csrf: rev.csrf, name: 'Hot <b>ones</b>', query: 'view=board&queue=support', replace: '1' });
      expect(replaced.headers.location).toBe('/board?view=board&queue=support');
      const forged = await rev.agent.post('/board/views').type('form').send({ name: 'x', query: '' });
      expect(forged.status).toBe(403);

      const other = await w.login('rev2@example.com');
      expect((await other.agent.get('/board')).text).not.toContain('Hot &lt;b&gt;ones');
      const page = (await rev.agent.get('/board?view=board&queue=support')).text;
      const id = /action="\/board\/views\/([^/]+)\/delete"/.exec(page)?.[1] ?? '';
      expect(id).toMatch(/^vew_/);
      const theirs = await other.agent.post(`/board/views/${id}/delete`).type('form').send({ _csrf: other.csrf });
      expect(theirs.status).toBe(404);
      const deleted = await rev.agent
        .post(`/board/views/${id}/delete`)
        .type('form')
        .send({ _csrf: rev.csrf, back: '/board?view=list' });
      expect([deleted.status, deleted.headers.location]).toEqual([303, '/board?view=list']);
      expect((await rev.agent.get('/board')).text).not.toContain('Hot &lt;b&gt;ones');
    });

    test('an admin renames a group on /settings/groups (and over the API); queues follow, open tasks still claim', async () => {
      const task = await createTask({ title: 'Rename follow' });
      const admin = await w.login('admin@example.com');
      expect((await admin.agent.get('/settings/groups')).text).toContain('action="/settings/groups/ops/rename"');
      const renamed = await admin.agent
        .post('/settings/groups/ops/rename')
        .type('form')
        .send({ _csrf: admin.csrf, name: 'support-team' });
      expect(renamed.status).toBe(303);
      const notice = (await admin.agent.get(renamed.headers.location as string)).text;
      expect(notice).toMatch(
        /Group &quot;ops&quot; is now &quot;support-team&quot;; queue support and \d+ open tasks? updated/,
      );
      const queue = await request(w.app).get('/api/v1/queues/support').set(bearer(w.keys.viewer));
      expect(queue.body.config.reviewerGroups).toEqual(['support-team']);

      const bad = await admin.agent
        .post('/settings/groups/support-team/rename')
        .type('form')
        .send({ _csrf: admin.csrf, name: 'Bad Name' });
      expect(bad.status).toBe(400);
      expect(bad.text).toContain('Group names use lower-case letters');

      const api = await request(w.app)
        .patch('/api/v1/reviewer-groups/support-team')
        .set(bearer(w.keys.admin))
        .send({ name: 'desk' });
      expect([api.status, api.body.name]).toEqual([200, 'desk']);
      expect(
        (await request(w.app).patch('/api/v1/reviewer-groups/nope').set(bearer(w.keys.admin)).send({ name: 'x' }))
          .status,
      ).toBe(404);
      expect(
        (await request(w.app).patch('/api/v1/reviewer-groups/desk').set(bearer(w.keys.reviewer)).send({ name: 'x' }))
          .status,
      ).toBe(403);
      expect(
        (await request(w.app).get('/api/v1/queues/support').set(bearer(w.keys.viewer))).body.config.reviewerGroups,
      ).toEqual(['desk']);

      const rev = await w.login('rev@example.com');
      const claim = await rev.agent
        .post(`/tasks/${task.id}/claim`)
        .set('X-CSRF-Token', rev.csrf)
        .set('Accept', 'application/json');
      expect(claim.status).toBe(200);
    });
  });
}
