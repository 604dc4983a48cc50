import { parse } from 'csv-parse/sync';
import { DATABASES } from '../../test-support/databases.js';
import { SUPPORT_DESK, taskHelpers, usePageWorld } from '../../test-support/page-world.js';

const cardIds = (html: string) => [...html.matchAll(/<li class="card[^"]*"\s+data-id="([^"]+)"/g)].map((m) => m[1]);
const rowIds = (html: string) => [...html.matchAll(/<tr data-id="([^"]+)"/g)].map((m) => m[1]);

for (const database of DATABASES) {
  describe(`${database}: board filters, list order and export`, () => {
    const w = usePageWorld(database, SUPPORT_DESK);
    const { createTask } = taskHelpers(w);

    test("every filter narrows the board and the list alike; the selects offer the workspace's own values", async () => {
      const fraud = await createTask({
        title: 'Filter fraud',
        queue: 'default',
        tags: ['fraud', 'eu'],
        source: 'zapier',
      });
      const due = await createTask({
        title: 'Filter due soon',
        queue: 'default',
        dueAt: new Date(w.clock() + 60_000).toISOString(),
      });
      const calm = await createTask({ title: 'Filter calm', queue: 'default', tags: ['fraudulent'] });
      const rev = await w.login('rev@example.com');
      expect(
        (
          await rev.agent
            .post(`/tasks/${calm.id}/claim`)
            .set('X-CSRF-Token', rev.csrf)
            .set('Accept', 'application/json')
        ).status,
      ).toBe(200);
      w.clockOffset = 5 * 60_000;

      const board = async (query: string) => cardIds((await rev.agent.get(`/board?fragment=1&q=Filter&${query}`)).text);
      const list = async (query: string) => rowIds((await rev.agent.get(`/board?view=list&q=Filter&${query}`)).text);
      // A tag matches whole: "fraud" is not "fraudulent".
      expect(await board('tag=fraud')).toEqual([fraud.id]);
      expect(await list('tag=fraud')).toEqual([fraud.id]);
      expect(await board('breached=1')).toEqual([due.id]);
      expect(await list('breached=1')).toEqual([due.id]);
      expect(await board('assignee=mine')).toEqual([calm.id]);
      expect((await board('assignee=unassigned')).sort()).toEqual([fraud.id, due.id].sort());
      expect(await board('source=zapier')).toEqual([fraud.id]);
      expect(await list('status=pending_review&assignee=mine')).toEqual([calm.id]);

      const page = (await rev.agent.get('/board?source=zapier')).text;
      expect(page).toContain('<option value="zapier" selected>zapier</option>');
      expect(page).toContain('<option value="support">support</option>');
      expect(page).toContain('<option value="mine">me</option>');
      expect(page).toContain('<a href="/board?view=board">Clear filters</a>');
    });

    test('an empty result says so and offers to clear the filters', async () => {
      const { agent } = await w.login('view@example.com');
      const board = (await agent.get('/board?q=nothing-like-this')).text;
      expect(board).toContain('No tasks match these filters.');
      expect(board).toContain('<a href="/board">Clear filters</a>');
      const list = (await agent.get('/board?view=list&q=nothing-like-this')).text;
      expect(list).toContain('No tasks match these filters.');
    });

    test('the list orders by urgency on request, says "overdue"/"due in", and exports what it shows', async () => {
      const later = await createTask({ title: 'Order later', slaSeconds: 7200 });
      const soon = await createTask({ title: 'Order soon', slaSeconds: 60 });
      const none = await createTask({ title: 'Order none' });
      w.clockOffset = 2 * 60_000;
      const { agent } = await w.login('view@example.com');
      const urgent = (await agent.get('/board?view=list&q=Order&sort=urgency')).text;
      expect(rowIds(urgent)).toEqual([soon.id, later.id, none.id]);
      expect(urgent).toMatch(/class="overdue"[^>]*>overdue 1 min</);
      expect(urgent).toMatch(/class="due"[^>]*>due in 1 h 5[78] min</);
      expect(rowIds((await agent.get('/board?view=list&q=Order')).text)).toEqual([none.id, soon.id, later.id]);

      const link = /<a href="([^"]+)" download>CSV<\/a>/.exec(urgent)?.[1]?.replace(/&amp;/g, '&') ?? '';
      expect(link).toBe('/board/export?q=Order&format=csv&sort=urgency');
      const csv = await agent.get(link);
      expect(csv.status).toBe(200);
      expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
      const rows: string[][] = parse(csv.text);
      expect(rows.slice(1).map((row) => row[0])).toEqual([soon.id, later.id, none.id]);
      const jsonl = await agent.get('/board/export?q=Order&format=jsonl');
      expect(
        jsonl.text
          .trimEnd()
          .split('\n')
          .map((line) => JSON.parse(line).id),
      ).toEqual([none.id, soon.id, later.id]);
      // Signed out, the export is the login page's business, not a file.
      const { default: request } = await import('supertest');
      expect((await request(w.app).get('/board/export?format=csv')).status).not.toBe(200);
    });
  });
}
