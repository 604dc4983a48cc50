import request from 'supertest';
import { DATABASES } from '../../test-support/databases.js';
import { bearer, SUPPORT_DESK, taskHelpers, usePageWorld } from '../../test-support/page-world.js';

for (const database of DATABASES) {
  describe(`${database}: board`, () => {
    const w = usePageWorld(database, SUPPORT_DESK);
    const { createTask, apiTask, events } = taskHelpers(w);

    describe('board', () => {
      test('triage: the most overdue lead their column, and "Show more" reaches every open card', async () => {
        const start = w.clock();
        // The ten most overdue are created first: newest-first with a cap of 50 used to hide them.
        const overdue: string[] = [];
        for (let i = 0; i < 10; i += 1) {
          const dueAt = new Date(start + 60_000 + i * 1_000).toISOString();
          overdue.push((await createTask({ title: `Triage overdue ${i}`, dueAt })).id);
        }
        const later: string[] = [];
        for (let i = 0; i < 110; i += 1) {
          const body = i % 2 === 0 ? { slaSeconds: 86_400 + i } : {};
          later.push((await createTask({ title: `Triage later ${i}`, ...body })).id);
        }
        w.clockOffset = 60 * 60 * 1000; // an hour on: the first ten are 59 minutes overdue
        const { agent } = await w.login('rev@example.com');
        const pending = (html: string) =>
          html.split('<section class="column" data-stage="pending"')[1]?.split('<section')[0] ?? '';
        const ids = (html: string) =>
          [...pending(html).matchAll(/<li class="card[^"]*"\s+data-id="([^"]+)"/g)].map((m) => m[1] ?? '');

        const first = (await agent.get('/board?q=Triage')).text;
        expect(ids(first).slice(0, 10)).toEqual(overdue);
        expect(ids(first)).toHaveLength(50);
        expect(pending(first)).toContain('overdue 59 min');
        expect(pending(first)).toMatch(/<span class="count" data-count="120">120<\/span>/);
        expect(pending(first)).toContain('Showing the 50 most urgent of 120.');

        // Follow "Show more" as a person would; the live fragment keeps what was opened.
        const seen = new Set<string>();
        let html = first;
        for (let page = 0; page < 5; page += 1) {
          for (const id of ids(html)) seen.add(id);
          const more = /<a href="([^"]+)">Show \d+ more<\/a>/.exec(pending(html))?.[1];
          if (!more) break;
          html = (await agent.get(more.replace(/&amp;/g, '&'))).text;
        }
        expect(ids(html)).toHaveLength(120);
        expect([...seen].sort()).toEqual([...overdue, ...later].sort());
        const fragment = (await agent.get('/board?q=Triage&show=pending:150&fragment=1')).text;
        expect(ids(fragment)).toHaveLength(120);
        // With deadlines before tasks without one: the SLA'd half of the rest comes next.
        expect(ids(first)[10]).toBe(later[0]);
      });

      test('claim moves a card to In Progress and writes a claimed event', async () => {
        const task = await createTask({ title: 'Board claim me' });
        const { agent, csrf } = await w.login('rev@example.com');
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
        const rev = await w.login('rev@example.com');
        const rev2 = await w.login('rev2@example.com');
        const viewer = await w.login('view@example.com');
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
        // Not offered to someone else; shown disabled, with why.
        const othersCard = await cardHtml(rev2);
        expect(othersCard).not.toContain('data-control="release"');
        expect(othersCard).toContain('disabled data-blocked="release"');
        expect(othersCard).toMatch(
          /<p class="why" id="why-[^"]+">Claimed by rev@example.com; only they or an admin can release it<\/p>/,
        );
        // Someone else's claim: only the claimer (or an admin) hands it back.
        const stolen = await move(rev2, 'pending');
        expect([stolen.status, stolen.body.code]).toEqual([409, 'task_claimed']);
        expect((await move(rev, 'pending')).body).toEqual({ id: task.id, action: 'release', stage: 'pending' });
        expect((await apiTask(task.id)).workflow).toMatchObject({ claimed: false, assignee: null });

        expect((await move(rev2, 'escalated')).body).toEqual({ id: task.id, action: 'escalate', stage: 'escalated' });
        expect((await apiTask(task.id)).workflow).toMatchObject({ escalated: true, priority: 1 });
        const stuck = await move(rev2, 'in_progress');
        expect(stuck.body.detail).toBe('A task in Escalated cannot be moved to In Progress.');
        // Renamed columns: the refusal names them as the reviewer's board shows them.
        const renamed = await request(w.app)
          .put('/api/v1/board')
          .set(bearer(w.keys.admin))
          .send({
            version: 0,
            columns: [
              { id: 'pending', title: 'Inbox', kind: 'stage', stage: 'pending' },
              { id: 'in_progress', title: 'Being checked', kind: 'stage', stage: 'in_progress' },
              { id: 'needs_approval', title: 'Second look', kind: 'stage', stage: 'needs_approval', hidden: true },
              { id: 'escalated', title: 'Supervisor', kind: 'stage', stage: 'escalated' },
              { id: 'completed', title: 'Done', kind: 'stage', stage: 'completed' },
            ],
          });
        expect(renamed.status).toBe(200);
        expect((await move(rev2, 'in_progress')).body.detail).toBe(
          'A task in Supervisor cannot be moved to Being checked.',
        );
        expect(await stageOnBoard()).toBe('escalated');

        const history = await events(task.id);
        expect(history.map((e) => e.type)).toEqual(['created', 'claimed', 'released', 'escalated']);
        expect(history[3]).toMatchObject({
          actor: { type: 'user', id: w.users['rev2@example.com'] },
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
        const { agent } = await w.login('view@example.com');
        const card = async () => {
          const html = (await agent.get('/board?fragment=1&q=Deadline%20card')).text;
          return /<li class="card[^"]*"\s+data-id="([^"]+)"/.exec(html)?.[0] ?? '';
        };
        expect(await card()).toContain(task.id);
        expect(await card()).not.toContain('breached');
        w.clockOffset = 2 * 60 * 1000;
        try {
          expect(await card()).toContain(' breached');
        } finally {
          w.clockOffset = 0;
        }
      });

      test('filters and the list view', async () => {
        await createTask({ title: 'Risky one', riskLevel: 'critical', source: 'n8n' });
        const { agent } = await w.login('view@example.com');
        const critical = await agent.get('/board?risk=critical&fragment=1');
        expect(critical.text).toContain('Risky one');
        expect(critical.text).not.toContain('Refund order 42');
        const list = await agent.get('/board?view=list&source=n8n');
        expect(list.text).toContain('Risky one');
      });
    });
  });
}
