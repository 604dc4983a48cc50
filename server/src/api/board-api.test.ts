import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { DATABASES } from '../test-support/databases.js';
import { bearer, SUPPORT_DESK, taskHelpers, usePageWorld } from '../test-support/page-world.js';

const STAGES = [
  { id: 'pending', title: 'Pending Review', kind: 'stage', stage: 'pending' },
  { id: 'in_progress', title: 'In Progress', kind: 'stage', stage: 'in_progress' },
  { id: 'needs_approval', title: 'Needs Approval', kind: 'stage', stage: 'needs_approval' },
  { id: 'escalated', title: 'Escalated', kind: 'stage', stage: 'escalated' },
  { id: 'completed', title: 'Completed', kind: 'stage', stage: 'completed' },
];

for (const database of DATABASES) {
  describe(`${database}: GET/PUT /api/v1/board`, () => {
    const w = usePageWorld(database, SUPPORT_DESK);
    const { createTask } = taskHelpers(w);
    const put = (body: object, key = w.keys.admin) => request(w.app).put('/api/v1/board').set(bearer(key)).send(body);
    const columnOf = (html: string, id: string) => html.split(`id="column-${id}"`)[1]?.split('<section')[0] ?? '';
    const cardIds = (html: string) => [...html.matchAll(/<li class="card[^"]*"\s+data-id="([^"]+)"/g)].map((m) => m[1]);

    test('until an admin configures it the board has the five built-in columns, version 0', async () => {
      const res = await request(w.app).get('/api/v1/board').set(bearer(w.keys.viewer));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ columns: STAGES, version: 0, updatedAt: null });
    });

    test('a bad config is refused with problem+json naming each problem by path; nothing is saved', async () => {
      const res = await put({
        columns: [
          { ...STAGES[0], title: '' },
          STAGES[1],
          STAGES[1],
          { id: 'Fraud!', title: 'x'.repeat(61), kind: 'filter', filter: {} },
          { id: 'level', title: 'Level', kind: 'filter', filter: { minLevel: 0, colour: 'red' } },
        ],
      });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('validation_failed');
      const paths = (res.body.errors as { path: string }[]).map((e) => e.path);
      expect(paths).toEqual(
        expect.arrayContaining([
          'columns.0.title',
          'columns.2.id',
          'columns.2.stage',
          'columns.3.id',
          'columns.3.title',
          'columns.3.filter',
          'columns.4.filter.minLevel',
          'columns.4.filter.colour',
          'columns',
        ]),
      );
      const missing = (res.body.errors as { path: string; message: string }[]).filter((e) => e.path === 'columns');
      expect(missing.map((e) => e.message)).toEqual([
        'Stage "needs_approval" needs a column (it may be hidden)',
        'Stage "escalated" needs a column (it may be hidden)',
        'Stage "completed" needs a column (it may be hidden)',
      ]);
      expect((await request(w.app).get('/api/v1/board').set(bearer(w.keys.viewer))).body.version).toBe(0);
    });

    test('only admins replace the board: a reviewer and a viewer get 403', async () => {
      for (const key of [w.keys.reviewer, w.keys.viewer]) {
        const res = await put({ columns: STAGES }, key);
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('forbidden');
      }
    });

    test('filter columns: each card shows once, in the first filter column it matches; counts are real; stage columns keep the rest', async () => {
      const fraud = await createTask({ title: 'Fraud only', tags: ['fraud'] });
      const both = await createTask({ title: 'Fraud and high', tags: ['fraud', 'vip'], riskLevel: 'high' });
      const high = await createTask({ title: 'High only', riskLevel: 'high' });
      const plain = await createTask({ title: 'Plain' });
      const saved = await put({
        version: 0,
        columns: [
          { id: 'fraud', title: 'Fraud flags', kind: 'filter', filter: { tag: 'fraud' } },
          STAGES[0],
          { id: 'high', title: 'High risk', kind: 'filter', filter: { riskLevel: 'high' } },
          { id: 'nothing', title: 'Never matches', kind: 'filter', filter: { queue: 'none-such' } },
          { ...STAGES[1], title: 'Being worked on' },
          STAGES[2],
          { ...STAGES[3], hidden: true },
          STAGES[4],
        ],
      });
      expect(saved.status).toBe(200);
      expect(saved.body.version).toBe(1);
      expect(typeof saved.body.updatedAt).toBe('string');

      const { agent } = await w.login('rev@example.com');
      const html = (await agent.get('/board')).text;
      expect(cardIds(columnOf(html, 'fraud')).sort()).toEqual([fraud.id, both.id].sort());
      expect(cardIds(columnOf(html, 'high'))).toEqual([high.id]);
      expect(cardIds(columnOf(html, 'pending'))).toEqual([plain.id]);
      expect(columnOf(html, 'fraud')).toContain('data-count="2"');
      expect(columnOf(html, 'nothing')).toContain('data-count="0"');
      // Renamed, in the configured order; the hidden stage is not on the board at all.
      expect(html).toContain('Being worked on');
      expect(html).not.toContain('id="column-escalated"');
      const order = [...html.matchAll(/<section [^>]*id="column-([a-z0-9_-]+)"/g)].map((m) => m[1]);
      expect(order).toEqual(['fraud', 'pending', 'high', 'nothing', 'in_progress', 'needs_approval', 'completed']);

      // A card in a filter column moves only by real transitions: claiming keeps it in Fraud flags.
      const fraudColumn = columnOf(html, 'fraud');
      expect(fraudColumn).toMatch(new RegExp(`data-id="${fraud.id}"[^>]*data-moves="in_progress escalated"`));
      const claim = await request(w.app).post(`/api/v1/tasks/${fraud.id}/claim`).set(bearer(w.keys.reviewer));
      expect(claim.status).toBe(200);
      const after = (await agent.get('/board')).text;
      expect(cardIds(columnOf(after, 'fraud'))).toContain(fraud.id);
      expect(cardIds(columnOf(after, 'in_progress'))).not.toContain(fraud.id);

      // "Show more" is per column id.
      const paged = (await agent.get('/board?show=fraud:100')).text;
      expect(cardIds(columnOf(paged, 'fraud')).sort()).toEqual([fraud.id, both.id].sort());
    });

    test('a change made from an old version is refused with 409; the audit log records each change', async () => {
      const current = (await request(w.app).get('/api/v1/board').set(bearer(w.keys.viewer))).body;
      const stale = await put({ version: current.version - 1, columns: STAGES });
      expect(stale.status).toBe(409);
      expect(stale.body.code).toBe('conflict');
      const reset = await put({ version: current.version, columns: STAGES });
      expect(reset.status).toBe(200);
      expect(reset.body.version).toBe(current.version + 1);
      const ws = (await w.store.read.workspaces.findBySlug('default'))!.id;
      const entries = (await w.store.read.audit.list(ws, 0, 1000)).filter((e) => e.action === 'board.configured');
      expect(entries.map((e) => (e.data as { version: number }).version)).toEqual([1, 2]);
      expect(entries[0]?.target).toEqual({ type: 'board', id: ws });
    });

    test("docs/api.md's example is accepted as written and gives the board it describes", async () => {
      const doc = readFileSync(join(__dirname, '../../../docs/api.md'), 'utf8');
      const block = /```json\nPUT \/api\/v1\/board\n([\s\S]*?)```/.exec(doc)?.[1];
      if (!block) throw new Error('docs/api.md lost its board example');
      const example = JSON.parse(block);
      const current = (await request(w.app).get('/api/v1/board').set(bearer(w.keys.viewer))).body;
      const res = await put({ ...example, version: current.version });
      expect(res.status).toBe(200);
      expect(res.body.columns).toEqual(example.columns);
      const deep = await createTask({ title: 'Fraud on level 1', tags: ['fraud'] });
      const { agent } = await w.login('view@example.com');
      const html = (await agent.get('/board')).text;
      expect(cardIds(columnOf(html, 'fraud'))).toContain(deep.id);
      expect(html).toContain('aria-label="Inbox"');
      expect(html).not.toContain('id="column-completed"');
    });

    test('the OpenAPI document describes both operations', async () => {
      const doc = (await request(w.app).get('/api/openapi.json')).body;
      expect(Object.keys(doc.paths['/api/v1/board'])).toEqual(['get', 'put']);
      expect(doc.paths['/api/v1/board'].put['x-loopgate-permission']).toBe('workspace:admin');
    });
  });
}
