import type { QueueConfigInput } from '@loopgate/shared';
import request from 'supertest';
import { createApiKey } from '../domain/admin/api-keys.js';
import { upsertUser } from '../domain/admin/users.js';
import { sampleFraction } from '../domain/approvals/routing-policy.js';
import { type SweeperDeps, sweepOnce } from '../domain/approvals/sla-sweeper.js';
import { decideTask } from '../domain/approvals/vote.js';
import type { Principal } from '../domain/kernel/access.js';
import type { EmailMessage } from '../domain/kernel/notifier.js';
import type { Store } from '../domain/store.js';
import { DATABASES, openTestStore } from '../test-support/databases.js';
import { buildTestApp, type TestApp } from '../test-support/fixtures.js';

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

type Key = { id: string; key: string; name: string };
type TaskBody = {
  id: string;
  status: string;
  version: number;
  dueAt: string | null;
  workflow: Record<string, unknown>;
};
type EventBody = {
  type: string;
  fromStatus: string | null;
  toStatus: string;
  actor: { type: string; name: string };
  data: Record<string, unknown> | null;
  reason: string | null;
};

for (const database of DATABASES) {
  describe(`${database}: queues, routing policy, approvals and SLA escalation`, () => {
    let store: Store;
    let close: () => Promise<void>;
    let t: TestApp;
    let now = Date.now();
    const clock = () => now;
    const mail: EmailMessage[] = [];
    let sweeper: SweeperDeps;
    const k: Record<string, Key> = {};

    beforeAll(async () => {
      const opened = await openTestStore(database);
      store = opened.store;
      close = opened.close;
      t = await buildTestApp(store, clock);
      for (const name of ['ops1', 'ops2', 'ops3', 'comp1', 'mgr1', 'outsider']) {
        const created = await createApiKey({ store, clock }, { name, role: 'reviewer' });
        k[name] = { id: created.id, key: created.key, name };
      }
      sweeper = {
        store,
        bus: t.bus,
        clock,
        notifier: { send: async (message) => void mail.push(message) },
        publicUrl: 'http://loopgate.test',
      };
      const ops = await upsertUser(
        { store, clock },
        { email: 'ops@example.com', password: 'correct horse battery', role: 'reviewer' },
      );
      const boss = await upsertUser(
        { store, clock },
        { email: 'boss@example.com', password: 'correct horse battery', role: 'reviewer' },
      );
      await group('ops', [k.ops1!.id, k.ops2!.id, k.ops3!.id]);
      await group('compliance', [k.comp1!.id]);
      await group('managers', [k.mgr1!.id, boss.userId]);
      await group('night', [ops.userId, 'boss@example.com']);
    });
    afterAll(async () => close());

    async function group(name: string, members: string[]) {
      const res = await request(t.app)
        .post('/api/v1/reviewer-groups')
        .set(bearer(t.keys.admin))
        .send({ name, members });
      expect(res.status).toBe(201);
      return res.body;
    }

    async function queue(name: string, config: QueueConfigInput) {
      const res = await request(t.app).post('/api/v1/queues').set(bearer(t.keys.admin)).send({ name, config });
      expect(res.status).toBe(201);
      return res.body;
    }

    async function create(body: object, key = t.keys.reviewer): Promise<TaskBody> {
      const res = await request(t.app)
        .post('/api/v1/tasks')
        .set(bearer(key))
        .send({ title: 'Refund', payload: { amount: 50 }, ...body });
      expect(res.status).toBe(201);
      return res.body;
    }

    async function decide(id: string, key: string, action = 'approve', extra: object = {}) {
      return request(t.app)
        .post(`/api/v1/tasks/${id}/decision`)
        .set(bearer(key))
        .send({ action, ...extra });
    }

    async function get(id: string): Promise<TaskBody & Record<string, unknown>> {
      return (await request(t.app).get(`/api/v1/tasks/${id}`).set(bearer(t.keys.viewer))).body;
    }

    async function events(id: string): Promise<EventBody[]> {
      return (await request(t.app).get(`/api/v1/tasks/${id}/events`).set(bearer(t.keys.viewer))).body.data;
    }

    describe('queue and group administration', () => {
      test.each([
        ['a reviewer may not create queues', 'reviewer', { name: 'x1', config: {} }, 403, 'forbidden'],
        [
          'unknown reviewer group',
          'admin',
          { name: 'x2', config: { levels: [{ name: 'l', group: 'nobody' }] } },
          400,
          'validation_failed',
        ],
        [
          'escalation steps out of order',
          'admin',
          {
            name: 'x3',
            config: {
              escalation: [
                { action: 'reminder', afterSeconds: 60 },
                { action: 'raise_priority', afterSeconds: 0 },
              ],
            },
          },
          400,
          'validation_failed',
        ],
        [
          'reassign without a group',
          'admin',
          { name: 'x4', config: { escalation: [{ action: 'reassign', afterSeconds: 0 }] } },
          400,
          'validation_failed',
        ],
        [
          'unknown policy rule',
          'admin',
          { name: 'x5', config: { policy: { rules: [{ type: 'coin_flip' }] } } },
          400,
          'validation_failed',
        ],
      ] as const)('%s', async (_name, role, body, status, code) => {
        const res = await request(t.app).post('/api/v1/queues').set(bearer(t.keys[role])).send(body);
        expect([res.status, res.body.code]).toEqual([status, code]);
      });

      test('create, duplicate, read, replace, list with the built-in default, and workspace isolation', async () => {
        const created = await queue('admin-q', { description: 'first' });
        expect(created.config).toMatchObject({
          timeoutAction: 'reject',
          policy: { otherwise: 'review' },
          levels: [{ quorum: 1 }],
        });
        const dup = await request(t.app).post('/api/v1/queues').set(bearer(t.keys.admin)).send({ name: 'admin-q' });
        expect([dup.status, dup.body.code]).toEqual([409, 'conflict']);
        const put = await request(t.app)
          .put('/api/v1/queues/admin-q')
          .set(bearer(t.keys.admin))
          .send({ config: { description: 'second', timeoutAction: 'approve' } });
        expect(put.status).toBe(200);
        expect(put.body.config).toMatchObject({ description: 'second', timeoutAction: 'approve' });
        const list = await request(t.app).get('/api/v1/queues').set(bearer(t.keys.viewer));
        const names = list.body.data.map((q: { name: string }) => q.name);
        expect(names).toContain('admin-q');
        expect(list.body.data.find((q: { name: string }) => q.name === 'default')).toMatchObject({ builtIn: true });
        const foreign = await request(t.app).get('/api/v1/queues/admin-q').set(bearer(t.keys.otherWorkspaceAdmin));
        expect(foreign.status).toBe(404);
        const groups = await request(t.app).get('/api/v1/reviewer-groups').set(bearer(t.keys.viewer));
        expect(groups.body.data.find((g: { name: string }) => g.name === 'night').members).toEqual([
          expect.objectContaining({ type: 'user', email: 'ops@example.com' }),
          expect.objectContaining({ type: 'user', email: 'boss@example.com' }),
        ]);
        const badMember = await request(t.app)
          .post('/api/v1/reviewer-groups')
          .set(bearer(t.keys.admin))
          .send({ name: 'ghosts', members: ['nobody@example.com'] });
        expect([badMember.status, badMember.body.code]).toEqual([400, 'validation_failed']);
      });
    });

    test('the OpenAPI document describes the queue, group, dry-run, claim and vote routes', async () => {
      const doc = (await request(t.app).get('/api/openapi.json')).body;
      expect(doc.paths['/api/v1/queues/{name}'].put.requestBody.content['application/json'].schema).toEqual({
        $ref: '#/components/schemas/UpdateQueueInput',
      });
      for (const path of [
        '/api/v1/queues',
        '/api/v1/policy/dry-run',
        '/api/v1/reviewer-groups',
        '/api/v1/reviewer-groups/{name}/members',
        '/api/v1/tasks/{id}/claim',
        '/api/v1/tasks/{id}/release',
        '/api/v1/tasks/{id}/escalate',
        '/api/v1/tasks/{id}/votes',
      ]) {
        expect(doc.paths[path]).toBeDefined();
        expect(JSON.stringify(doc.paths[path])).not.toContain('__shared');
      }
      for (const schema of ['Queue', 'PolicyRule', 'PolicyDryRunResult', 'Vote', 'VoteList', 'TaskWorkflow']) {
        expect([schema, JSON.stringify(doc.components.schemas[schema] ?? null)]).not.toEqual([schema, 'null']);
        expect(JSON.stringify(doc.components.schemas[schema])).not.toContain('__shared');
      }
    });

    describe('routing policy', () => {
      beforeAll(async () => {
        await queue('triage', {
          policy: {
            rules: [
              { type: 'flag', name: 'regulatory' },
              { type: 'confidence_below', threshold: 0.8, levels: 1 },
              { type: 'risk', levels: { medium: 1, high: 2, critical: 2 } },
              { type: 'sample', rate: 0.25, levels: 1 },
            ],
            otherwise: 'auto_approve',
          },
          levels: [
            { name: 'operations', group: 'ops' },
            { name: 'compliance', group: 'compliance' },
          ],
        });
      });

      test.each([
        [
          'regulatory flag always reviews',
          { confidence: 0.99, riskLevel: 'low', context: { regulatory: true } },
          'rules[0]:flag',
          2,
          /regulatory/,
        ],
        ['low confidence', { confidence: 0.5 }, 'rules[1]:confidence_below', 1, /0.5 is below 0.8/],
        ['missing confidence is treated as low (fail-closed)', {}, 'rules[1]:confidence_below', 1, /No confidence/],
        ['high risk needs two levels', { confidence: 0.95, riskLevel: 'high' }, 'rules[2]:risk', 2, /high needs 2/],
        [
          'medium risk needs one level',
          { confidence: 0.95, riskLevel: 'medium' },
          'rules[2]:risk',
          1,
          /medium needs 1/,
        ],
      ] as const)('%s', async (_name, fields, rule, levels, reason) => {
        const dry = await request(t.app)
          .post('/api/v1/policy/dry-run')
          .set(bearer(t.keys.reviewer))
          .send({ title: 'x', payload: {}, queue: 'triage', ...fields });
        expect(dry.status).toBe(200);
        expect(dry.body).toMatchObject({ outcome: 'review', rule, reason: expect.stringMatching(reason) });
        expect(dry.body.levels).toHaveLength(levels);
        const task = await create({ queue: 'triage', ...fields });
        expect(task.status).toBe('pending_review');
        expect(task.workflow).toMatchObject({ routingRule: rule, levels, level: 1, assignedGroup: 'ops' });
        expect(task.workflow.routingReason).toMatch(reason);
        const [created] = await events(task.id);
        expect(created).toMatchObject({ type: 'created', data: { rule, outcome: 'review', levels } });
      });

      test('the rest is sampled by task id, deterministically; the others are auto-approved like a human decision', async () => {
        const outcomes = { sampled: 0, approved: 0 };
        for (let i = 0; i < 24; i++) {
          const task = await create({ queue: 'triage', confidence: 0.95, riskLevel: 'low' });
          const expectSampled = sampleFraction(task.id) < 0.25;
          if (expectSampled) {
            outcomes.sampled++;
            expect(task).toMatchObject({
              status: 'pending_review',
              workflow: { routingRule: 'rules[3]:sample', levels: 1 },
            });
            continue;
          }
          outcomes.approved++;
          const got = await get(task.id);
          expect(got).toMatchObject({
            status: 'approved',
            decision: { action: 'approve', decidedBy: { type: 'policy' } },
            workflow: { routingRule: 'otherwise', levels: 0 },
          });
          const evs = await events(task.id);
          expect(evs.map((e) => [e.type, e.actor.type, e.toStatus])).toEqual([
            ['created', 'api_key', 'pending_review'],
            ['decided', 'policy', 'approved'],
          ]);
        }
        expect(outcomes.approved).toBeGreaterThan(0);
        // The same id always samples the same way.
        for (const id of ['tsk_a', 'tsk_b', 'tsk_c']) expect(sampleFraction(id)).toBe(sampleFraction(id));
        const dry = await request(t.app).post('/api/v1/policy/dry-run').set(bearer(t.keys.reviewer)).send({
          title: 'x',
          payload: {},
          queue: 'triage',
          confidence: 0.95,
          riskLevel: 'low',
          externalRef: 'order-7',
        });
        expect(dry.body.sampled).toBe(sampleFraction('order-7') < 0.25);
        expect(dry.body.outcome).toBe(dry.body.sampled ? 'review' : 'auto_approve');
      });

      test('the default queue is fail-closed: review, one approval by anyone', async () => {
        for (const q of [undefined, 'default']) {
          const task = await create(q ? { queue: q, confidence: 1 } : { confidence: 1 });
          expect(task).toMatchObject({
            queue: 'default',
            status: 'pending_review',
            workflow: { routingRule: 'otherwise', levels: 1 },
          });
          const res = await decide(task.id, k.outsider!.key);
          expect(res.body).toMatchObject({
            status: 'approved',
            decision: { decidedBy: { type: 'api_key', name: 'outsider' } },
          });
        }
      });

      test('a queue name nobody created is refused, not quietly given the default’s rules; nothing is stored', async () => {
        for (const path of ['/api/v1/tasks', '/api/v1/policy/dry-run']) {
          const res = await request(t.app)
            .post(path)
            .set(bearer(t.keys.reviewer))
            .send({ title: 'Refund', payload: { amount: 50 }, queue: 'never-configured' });
          expect([res.status, res.type, res.body.code]).toEqual([400, 'application/problem+json', 'validation_failed']);
          expect(res.body.detail).toContain('No queue named "never-configured"');
          expect(res.body.errors).toEqual([{ path: 'queue', message: 'unknown queue "never-configured"' }]);
        }
        const stored = await request(t.app).get('/api/v1/tasks?queue=never-configured').set(bearer(t.keys.viewer));
        expect([stored.status, stored.body.data]).toEqual([200, []]);
      });

      test('per-risk SLA sets dueAt at creation; the task’s own deadline wins', async () => {
        await queue('sla-by-risk', { sla: { seconds: 600, byRisk: { critical: 60 } } });
        const critical = await create({ queue: 'sla-by-risk', riskLevel: 'critical' });
        const low = await create({ queue: 'sla-by-risk', riskLevel: 'low' });
        const own = await create({ queue: 'sla-by-risk', riskLevel: 'critical', slaSeconds: 5 });
        expect(Date.parse(critical.dueAt!)).toBe(now + 60_000);
        expect(Date.parse(low.dueAt!)).toBe(now + 600_000);
        expect(Date.parse(own.dueAt!)).toBe(now + 5_000);
      });
    });

    describe('approval rules', () => {
      beforeAll(async () => {
        await queue('quorum2', { levels: [{ name: 'ops', group: 'ops', quorum: 2 }] });
        await queue('majority3', { levels: [{ name: 'ops', group: 'ops', quorum: 3, mode: 'majority' }] });
        await queue('two-levels', {
          levels: [
            { name: 'operations', group: 'ops' },
            { name: 'compliance', group: 'compliance' },
          ],
        });
        await queue('sod', { creatorMayApprove: false });
        await queue('claimable', { levels: [{ name: 'ops', group: 'ops' }] });
      });

      type Vote = [voter: string, action: string, status: number, code?: string];
      const scenarios: { name: string; queue: string; votes: Vote[]; final: string; events: string[] }[] = [
        {
          name: 'quorum of 2: two approvals approve; outsiders and second votes are refused',
          queue: 'quorum2',
          votes: [
            ['outsider', 'approve', 403, 'forbidden'],
            ['ops1', 'approve', 200],
            ['ops1', 'approve', 409, 'already_voted'],
            ['ops2', 'approve', 200],
            ['ops3', 'approve', 409, 'task_already_decided'],
          ],
          final: 'approved',
          events: ['created', 'vote', 'decided'],
        },
        {
          name: 'quorum of 2: any rejection rejects',
          queue: 'quorum2',
          votes: [
            ['ops1', 'approve', 200],
            ['ops2', 'reject', 200],
          ],
          final: 'rejected',
          events: ['created', 'vote', 'decided'],
        },
        {
          name: 'majority of 3: approve, reject, approve approves',
          queue: 'majority3',
          votes: [
            ['ops1', 'approve', 200],
            ['ops2', 'reject', 200],
            ['ops3', 'approve', 200],
          ],
          final: 'approved',
          events: ['created', 'vote', 'vote', 'decided'],
        },
        {
          name: 'majority of 3: reject, approve, reject rejects',
          queue: 'majority3',
          votes: [
            ['ops1', 'reject', 200],
            ['ops2', 'approve', 200],
            ['ops3', 'reject', 200],
          ],
          final: 'rejected',
          events: ['created', 'vote', 'vote', 'decided'],
        },
        {
          name: 'sequential levels: operations, then compliance; each level only its group',
          queue: 'two-levels',
          votes: [
            ['comp1', 'approve', 403, 'forbidden'],
            ['ops1', 'approve', 200],
            ['ops2', 'approve', 403, 'forbidden'],
            ['comp1', 'approve', 200],
          ],
          final: 'approved',
          events: ['created', 'level_approved', 'decided'],
        },
        {
          name: 'sequential levels: compliance may reject what operations approved',
          queue: 'two-levels',
          votes: [
            ['ops1', 'approve', 200],
            ['comp1', 'reject', 200],
          ],
          final: 'rejected',
          events: ['created', 'level_approved', 'decided'],
        },
        {
          name: 'separation of duties: the creator may not approve, another reviewer may',
          queue: 'sod',
          votes: [
            ['ops1', 'approve', 403, 'separation_of_duties'],
            ['ops2', 'approve', 200],
          ],
          final: 'approved',
          events: ['created', 'decided'],
        },
      ];

      test.each(scenarios)('$name', async ({ queue: q, votes, final, events: expected }) => {
        const task = await create({ queue: q }, k.ops1!.key);
        for (const [voter, action, status, code] of votes) {
          const res = await decide(task.id, k[voter]!.key, action);
          expect([voter, action, res.status, res.body.code]).toEqual([voter, action, status, code]);
        }
        const got = await get(task.id);
        expect(got.status).toBe(final);
        expect((await events(task.id)).map((e) => e.type)).toEqual(expected);
        const accepted = votes.filter(([, , status]) => status === 200).length;
        const listed = await request(t.app).get(`/api/v1/tasks/${task.id}/votes`).set(bearer(t.keys.viewer));
        expect(listed.body.data).toHaveLength(accepted);
      });

      test('20 reviewers approving a quorum-of-3 task at once: 3 votes count, the rest get 409, no 500', async () => {
        await queue('open-panel', { levels: [{ name: 'panel', group: null, quorum: 3 }] });
        const task = await create({ queue: 'open-panel' });
        const panel = await Promise.all(
          Array.from(
            { length: 20 },
            async (_, i) => (await createApiKey({ store, clock }, { name: `panel-${i}`, role: 'reviewer' })).key,
          ),
        );
        const responses = await Promise.all(panel.map((key) => decide(task.id, key, 'approve')));
        const outcomes = responses.map((r) =>
          r.status === 200 ? `200 ${r.body.status}` : `${r.status} ${r.body.code}`,
        );
        expect(outcomes.filter((o) => o.startsWith('200'))).toEqual(
          expect.arrayContaining(['200 in_review', '200 in_review', '200 approved']),
        );
        expect(outcomes.filter((o) => o.startsWith('200'))).toHaveLength(3);
        expect(outcomes.filter((o) => o === '409 task_already_decided')).toHaveLength(17);
        expect((await get(task.id)).status).toBe('approved');
        expect((await events(task.id)).map((e) => e.type)).toEqual(['created', 'vote', 'vote', 'decided']);
        const listed = await request(t.app).get(`/api/v1/tasks/${task.id}/votes`).set(bearer(t.keys.viewer));
        expect(listed.body.data).toHaveLength(3);
      });

      test('level 2 sees level 1’s decision and modification; the final decision keeps the latest modification', async () => {
        const task = await create({ queue: 'two-levels', payload: { amount: 50 } });
        const l1 = await decide(task.id, k.ops1!.key, 'approve_with_modifications', {
          modifiedPayload: { amount: 40 },
          comment: 'cap at 40',
        });
        expect(l1.body).toMatchObject({ status: 'in_review', workflow: { level: 2, assignedGroup: 'compliance' } });
        const seen = await request(t.app).get(`/api/v1/tasks/${task.id}/votes`).set(bearer(k.comp1!.key));
        expect(seen.body.data).toEqual([
          expect.objectContaining({
            level: 1,
            levelName: 'operations',
            action: 'approve_with_modifications',
            modifiedPayload: { amount: 40 },
            comment: 'cap at 40',
            actor: expect.objectContaining({ name: 'ops1' }),
          }),
        ]);
        const l2 = await decide(task.id, k.comp1!.key, 'approve');
        expect(l2.body).toMatchObject({
          status: 'approved_with_modifications',
          decision: {
            action: 'approve_with_modifications',
            originalPayload: { amount: 50 },
            modifiedPayload: { amount: 40 },
            // The stored diff runs from the original to the payload the agent receives.
            diff: '--- original\n+++ modified\n@@ -1,3 +1,3 @@\n {\n-  "amount": 50\n+  "amount": 40\n }\n',
          },
        });
      });

      test('least-loaded assignment over the group, then claim: the claimer alone decides', async () => {
        const tasks = [];
        for (let i = 0; i < 4; i++) tasks.push(await create({ queue: 'claimable' }));
        const assignees = tasks.map((task) => (task.workflow.assignee as { name: string }).name);
        // Earlier tests left ops members with different open loads; each new task goes to the least loaded.
        expect(new Set(assignees.slice(0, 3)).size).toBeGreaterThanOrEqual(2);
        const task = tasks[3]!;
        const outsider = await request(t.app).post(`/api/v1/tasks/${task.id}/claim`).set(bearer(k.outsider!.key));
        expect([outsider.status, outsider.body.code]).toEqual([403, 'forbidden']);
        const claimed = await request(t.app).post(`/api/v1/tasks/${task.id}/claim`).set(bearer(k.ops2!.key));
        expect(claimed.body).toMatchObject({ workflow: { claimed: true, assignee: { name: 'ops2' } } });
        const other = await request(t.app).post(`/api/v1/tasks/${task.id}/claim`).set(bearer(k.ops3!.key));
        expect([other.status, other.body.code]).toEqual([409, 'task_claimed']);
        expect((await decide(task.id, k.ops3!.key)).body.code).toBe('task_claimed');
        expect((await decide(task.id, k.ops2!.key)).body.status).toBe('approved');
        expect((await events(task.id)).map((e) => e.type)).toEqual(['created', 'claimed', 'decided']);
      });

      test('release hands a claim back (claimer or admin only); escalate by hand raises priority once', async () => {
        const task = await create({});
        const post = (path: string, key: string, body?: object) =>
          request(t.app).post(`/api/v1/tasks/${task.id}/${path}`).set(bearer(key)).send(body);
        expect((await post('claim', k.ops1!.key)).body.workflow).toMatchObject({ claimed: true });
        const notYours = await post('release', k.ops2!.key);
        expect([notYours.status, notYours.body.code]).toEqual([409, 'task_claimed']);
        expect((await post('release', t.keys.viewer)).status).toBe(403);
        const byAdmin = await post('release', t.keys.admin);
        expect([byAdmin.status, byAdmin.body.workflow]).toEqual([
          200,
          expect.objectContaining({ claimed: false, assignee: null }),
        ]);
        // Releasing what nobody holds changes nothing.
        expect((await post('release', k.ops2!.key)).body.version).toBe(byAdmin.body.version);

        expect((await post('escalate', k.ops2!.key, { reason: '' })).status).toBe(400);
        const up = await post('escalate', k.ops2!.key, { reason: 'customer called twice' });
        expect([up.status, up.body.workflow]).toEqual([200, expect.objectContaining({ escalated: true, priority: 1 })]);
        expect((await post('escalate', k.ops3!.key)).body.version).toBe(up.body.version);
        const history = await events(task.id);
        expect(history.map((e) => [e.type, e.reason])).toEqual([
          ['created', expect.anything()],
          ['claimed', null],
          ['released', 'Released from ops1 by an admin'],
          ['escalated', 'customer called twice'],
        ]);
        await decide(task.id, k.ops2!.key, 'reject');
        const closed = await post('escalate', k.ops2!.key);
        expect([closed.status, closed.body.code]).toEqual([409, 'task_already_decided']);
      });

      test('least-loaded picks the member with the fewest open tasks', async () => {
        await group('pair', [k.mgr1!.id, k.comp1!.id]);
        await queue('pair-q', { levels: [{ name: 'l', group: 'pair' }] });
        const names: string[] = [];
        for (let i = 0; i < 4; i++)
          names.push(((await create({ queue: 'pair-q' })).workflow.assignee as { name: string }).name);
        expect(names).toEqual(['mgr1', 'comp1', 'mgr1', 'comp1']);
      });
    });

    describe('SLA sweeper and escalation', () => {
      beforeAll(async () => {
        await queue('escalating', {
          levels: [{ name: 'night', group: 'night' }],
          escalation: [
            { action: 'reminder', afterSeconds: -30 },
            { action: 'reassign', afterSeconds: 0, group: 'managers' },
            { action: 'raise_priority', afterSeconds: 60 },
          ],
          timeoutAfterSeconds: 120,
        });
        await queue('approve-on-timeout', { timeoutAction: 'approve' });
      });

      async function sweepAt(at: number) {
        now = at;
        return sweepOnce(sweeper);
      }

      test('default queue: an undecided task expires within one sweep of its deadline, exactly once', async () => {
        const task = await create({ slaSeconds: 60 });
        await sweepAt(Date.parse(task.dueAt!) - 1);
        expect((await get(task.id)).status).toBe('pending_review');
        const first = await sweepAt(Date.parse(task.dueAt!));
        expect(first.applied).toBeGreaterThanOrEqual(1);
        expect((await get(task.id)).status).toBe('expired');
        const evs = await events(task.id);
        expect(evs.map((e) => [e.type, e.toStatus, e.actor.name])).toEqual([
          ['created', 'pending_review', 'reviewer'],
          ['expired', 'expired', 'sla-sweeper'],
        ]);
        await sweepAt(now + 10_000);
        expect(await events(task.id)).toHaveLength(2);
        const late = await decide(task.id, t.keys.reviewer);
        expect([late.status, late.body.code]).toEqual([409, 'task_already_decided']);
      });

      test('the chain runs one step at a time: reminder → reassign → raise priority → expired', async () => {
        mail.length = 0;
        const start = now;
        const task = await create({ queue: 'escalating', slaSeconds: 300 });
        const due = start + 300_000;
        type Step = { at: number; event: string; step?: string; workflow?: object; status: string; mailTo?: string[] };
        const steps: Step[] = [
          { at: due - 31_000, event: 'created', status: 'pending_review' },
          {
            at: due - 30_000,
            event: 'escalated',
            step: 'reminder',
            status: 'pending_review',
            workflow: { escalationStep: 1, assignedGroup: 'night', escalated: false },
            mailTo: ['ops@example.com', 'boss@example.com'],
          },
          {
            at: due,
            event: 'escalated',
            step: 'reassign',
            status: 'pending_review',
            workflow: { escalationStep: 2, assignedGroup: 'managers', escalated: true, priority: 0 },
            mailTo: ['boss@example.com'],
          },
          {
            at: due + 60_000,
            event: 'escalated',
            step: 'raise_priority',
            status: 'pending_review',
            workflow: { escalationStep: 3, priority: 1, escalated: true },
            mailTo: ['boss@example.com'],
          },
          { at: due + 120_000, event: 'expired', status: 'expired' },
        ];
        for (const step of steps) {
          const before = mail.length;
          await sweepAt(step.at);
          // A second sweep at the same instant finds nothing more for this task.
          await sweepAt(step.at);
          const got = await get(task.id);
          expect([step.event, got.status]).toEqual([step.event, step.status]);
          if (step.workflow) expect(got.workflow).toMatchObject(step.workflow);
          const last = (await events(task.id)).at(-1)!;
          expect([last.type, last.data?.step]).toEqual([step.event, step.step]);
          expect(mail.slice(before).map((m) => m.to.sort())).toEqual(step.mailTo ? [step.mailTo.sort()] : []);
        }
        expect((await events(task.id)).map((e) => e.type)).toEqual([
          'created',
          'escalated',
          'escalated',
          'escalated',
          'expired',
        ]);
        expect(mail[0]?.text).toContain(`http://loopgate.test/tasks/${task.id}`);
      });

      test('a changed escalation chain applies to open tasks from their next step; their deadline stays', async () => {
        await queue('retimed', {
          escalation: [{ action: 'reminder', afterSeconds: 600 }],
          timeoutAfterSeconds: 1200,
        });
        const task = await create({ queue: 'retimed', slaSeconds: 60 });
        const due = Date.parse(task.dueAt!);
        await sweepAt(due + 599_000);
        expect((await events(task.id)).map((e) => e.type)).toEqual(['created']);

        const changed = await request(t.app)
          .put('/api/v1/queues/retimed')
          .set(bearer(t.keys.admin))
          .send({ config: { escalation: [{ action: 'reminder', afterSeconds: 0 }], timeoutAfterSeconds: 30 } });
        expect(changed.status).toBe(200);
        expect((await get(task.id)).dueAt).toBe(task.dueAt);
        // Under the old chain nothing was due before due + 600 s; under the new one the reminder is due now.
        await sweepAt(due);
        expect((await events(task.id)).map((e) => e.type)).toEqual(['created', 'escalated']);
        await sweepAt(due + 29_000);
        expect((await get(task.id)).status).toBe('pending_review');
        await sweepAt(due + 30_000);
        expect((await get(task.id)).status).toBe('expired');
        expect((await events(task.id)).map((e) => e.type)).toEqual(['created', 'escalated', 'expired']);
      });

      test('after a reassign, the new group may decide', async () => {
        const task = await create({ queue: 'escalating', slaSeconds: 300 });
        await sweepAt(Date.parse(task.dueAt!) - 30_000);
        expect((await decide(task.id, k.mgr1!.key)).status).toBe(403);
        await sweepAt(Date.parse(task.dueAt!));
        expect((await decide(task.id, k.mgr1!.key)).body.status).toBe('approved');
      });

      test('timeout action approve (set explicitly) approves as the policy actor', async () => {
        const task = await create({ queue: 'approve-on-timeout', slaSeconds: 10 });
        await sweepAt(Date.parse(task.dueAt!));
        const got = await get(task.id);
        expect(got).toMatchObject({
          status: 'approved',
          decision: { action: 'approve', decidedBy: { type: 'policy', name: 'timeout' } },
        });
        expect((await events(task.id)).map((e) => [e.type, e.actor.type])).toEqual([
          ['created', 'api_key'],
          ['decided', 'policy'],
        ]);
      });

      /**
       * A store whose first read of `taskId` holds its caller until `release()`: both parties then
       * hold the same version of the task, and the order in which they are let go decides the race.
       */
      function gatedStore(taskId: string) {
        let release!: () => void;
        const gate = new Promise<void>((resolve) => {
          release = resolve;
        });
        let read = false;
        let reached!: () => void;
        const holding = new Promise<void>((resolve) => {
          reached = resolve;
        });
        const tasks = Object.create(store.read.tasks) as Store['read']['tasks'];
        tasks.findById = async (workspaceId, id) => {
          const task = await store.read.tasks.findById(workspaceId, id);
          if (id === taskId && !read) {
            read = true;
            reached();
            await gate;
          }
          return task;
        };
        const readRepos = Object.assign(Object.create(store.read), { tasks }) as Store['read'];
        const gated = Object.create(store, { read: { value: readRepos } }) as Store;
        return { store: gated, release, holding };
      }

      test.each(['decision', 'sweeper'] as const)(
        'at the deadline, both read the open task; the %s commits first: one final state, the other is refused',
        async (first) => {
          const task = await create({ slaSeconds: 30 });
          const workspaceId = (await store.read.workspaces.findBySlug('default'))!.id;
          const reviewer: Principal = {
            workspaceId,
            role: 'reviewer',
            actor: { type: 'api_key', id: k.ops1!.id, name: 'ops1' },
          };
          now = Date.parse(task.dueAt!);
          const voterStore = gatedStore(task.id);
          const sweeperStore = gatedStore(task.id);
          const vote = decideTask({ store: voterStore.store, bus: t.bus, clock }, reviewer, task.id, {
            action: 'approve',
          }).then(
            (value) => ({ ok: true as const, value }),
            (error: { code?: string }) => ({ ok: false as const, code: error.code }),
          );
          const sweep = sweepOnce({ ...sweeper, store: sweeperStore.store });
          await Promise.all([voterStore.holding, sweeperStore.holding]);
          if (first === 'decision') {
            voterStore.release();
            expect(await vote).toMatchObject({ ok: true, value: { status: 'approved' } });
            sweeperStore.release();
            await sweep;
          } else {
            sweeperStore.release();
            await sweep;
            voterStore.release();
            // The vote's compare-and-set fails, it re-reads, finds the task closed and says so.
            expect(await vote).toEqual({ ok: false, code: 'task_already_decided' });
          }
          const got = await get(task.id);
          expect(got.status).toBe(first === 'decision' ? 'approved' : 'expired');
          const closing = (await events(task.id)).filter((e) => e.type === 'decided' || e.type === 'expired');
          expect(closing.map((e) => e.type)).toEqual([first === 'decision' ? 'decided' : 'expired']);
          const votes = (await request(t.app).get(`/api/v1/tasks/${task.id}/votes`).set(bearer(t.keys.viewer))).body
            .data;
          // The losing vote's row went with its rolled-back transaction.
          expect(votes).toHaveLength(first === 'decision' ? 1 : 0);
          expect(got.version).toBe(2);
        },
      );

      test('a decision and the sweeper racing at the deadline end in exactly one final state', async () => {
        const tasks: TaskBody[] = [];
        for (let i = 0; i < 20; i++) tasks.push(await create({ slaSeconds: 30 }));
        const reviewer: Principal = {
          workspaceId: '',
          role: 'reviewer',
          actor: { type: 'api_key', id: k.ops1!.id, name: 'ops1' },
        };
        const workspaceId = (await store.read.workspaces.findBySlug('default'))!.id;
        reviewer.workspaceId = workspaceId;
        now = Date.parse(tasks.at(-1)!.dueAt!);
        const deps = { store, bus: t.bus, clock };
        const results = await Promise.allSettled([
          sweepOnce(sweeper),
          ...tasks.map((task) => decideTask(deps, reviewer, task.id, { action: 'approve' })),
        ]);
        const finals = { approved: 0, expired: 0 };
        for (const [index, task] of tasks.entries()) {
          const got = await get(task.id);
          const evs = await events(task.id);
          const closing = evs.filter((e) => e.type === 'decided' || e.type === 'expired');
          expect(closing).toHaveLength(1);
          const votes = (await request(t.app).get(`/api/v1/tasks/${task.id}/votes`).set(bearer(t.keys.viewer))).body
            .data;
          if (got.status === 'approved') {
            finals.approved++;
            expect(closing[0]!.type).toBe('decided');
            expect(votes).toHaveLength(1);
            expect(results[index + 1]!.status).toBe('fulfilled');
          } else {
            finals.expired++;
            expect(got.status).toBe('expired');
            expect(votes).toHaveLength(0);
            const result = results[index + 1]!;
            expect(result.status).toBe('rejected');
            expect((result as PromiseRejectedResult).reason.code).toBe('task_already_decided');
          }
        }
        expect(finals.approved + finals.expired).toBe(20);
      });
    });
  });
}
