import type { QueueConfigInput } from '@loopgate/shared';
import type { Express } from 'express';
import request from 'supertest';
import { sampleFraction } from '../domain/approvals/routing-policy.js';
import { bearer } from '../test-support/api-requests.js';
import { type CastName, type EventBody, useApprovalsWorld } from '../test-support/approvals-world.js';
import { DATABASES } from '../test-support/databases.js';
import { anotherTestApp } from '../test-support/fixtures.js';

type TaskBody = {
  id: string;
  status: string;
  version: number;
  dueAt: string | null;
  workflow: Record<string, unknown>;
};

for (const database of DATABASES) {
  describe(`${database}: queues and the routing policy`, () => {
    // Keys, users and reviewer groups as approvals-world sets them up; this app serves them over HTTP.
    const w = useApprovalsWorld(database);
    let app: Express;
    let keys: Record<CastName, string>;
    beforeAll(() => {
      app = anotherTestApp(w.store, w.clock);
      keys = w.keys;
    });

    async function queue(name: string, config: QueueConfigInput) {
      const res = await request(app).post('/api/v1/queues').set(bearer(keys.admin)).send({ name, config });
      expect(res.status).toBe(201);
      return res.body;
    }

    async function create(body: object, key = keys.reviewer): Promise<TaskBody> {
      const res = await request(app)
        .post('/api/v1/tasks')
        .set(bearer(key))
        .send({ title: 'Refund', payload: { amount: 50 }, ...body });
      expect(res.status).toBe(201);
      return res.body;
    }

    async function decide(id: string, key: string, action = 'approve', extra: object = {}) {
      return request(app)
        .post(`/api/v1/tasks/${id}/decision`)
        .set(bearer(key))
        .send({ action, ...extra });
    }

    async function get(id: string): Promise<TaskBody & Record<string, unknown>> {
      return (await request(app).get(`/api/v1/tasks/${id}`).set(bearer(keys.viewer))).body;
    }

    async function events(id: string): Promise<EventBody[]> {
      return (await request(app).get(`/api/v1/tasks/${id}/events`).set(bearer(keys.viewer))).body.data;
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
        const res = await request(app).post('/api/v1/queues').set(bearer(keys[role])).send(body);
        expect([res.status, res.body.code]).toEqual([status, code]);
      });

      test('create, duplicate, read, replace, list with the built-in default, and workspace isolation', async () => {
        const created = await queue('admin-q', { description: 'first' });
        expect(created.config).toMatchObject({
          timeoutAction: 'reject',
          policy: { otherwise: 'review' },
          levels: [{ quorum: 1 }],
        });
        const dup = await request(app).post('/api/v1/queues').set(bearer(keys.admin)).send({ name: 'admin-q' });
        expect([dup.status, dup.body.code]).toEqual([409, 'conflict']);
        const put = await request(app)
          .put('/api/v1/queues/admin-q')
          .set(bearer(keys.admin))
          .send({ config: { description: 'second', timeoutAction: 'approve' } });
        expect(put.status).toBe(200);
        expect(put.body.config).toMatchObject({ description: 'second', timeoutAction: 'approve' });
        const list = await request(app).get('/api/v1/queues').set(bearer(keys.viewer));
        const names = list.body.data.map((q: { name: string }) => q.name);
        expect(names).toContain('admin-q');
        expect(list.body.data.find((q: { name: string }) => q.name === 'default')).toMatchObject({ builtIn: true });
        const foreign = await request(app).get('/api/v1/queues/admin-q').set(bearer(keys.otherWorkspaceAdmin));
        expect(foreign.status).toBe(404);
        const groups = await request(app).get('/api/v1/reviewer-groups').set(bearer(keys.viewer));
        expect(groups.body.data.find((g: { name: string }) => g.name === 'night').members).toEqual([
          expect.objectContaining({ type: 'user', email: 'ops@example.com' }),
          expect.objectContaining({ type: 'user', email: 'boss@example.com' }),
        ]);
        // The cast's groups were made through the use case; the route answers 201 with the members it resolved.
        const made = await request(app)
          .post('/api/v1/reviewer-groups')
          .set(bearer(keys.admin))
          .send({ name: 'pairs', members: [w.members.mgr1!.id, 'boss@example.com'] });
        expect([made.status, made.body.members]).toEqual([
          201,
          [
            expect.objectContaining({ type: 'api_key', id: w.members.mgr1!.id }),
            expect.objectContaining({ type: 'user', email: 'boss@example.com' }),
          ],
        ]);
        expect([created.warnings, put.body.warnings]).toEqual([[], []]);
        const badMember = await request(app)
          .post('/api/v1/reviewer-groups')
          .set(bearer(keys.admin))
          .send({ name: 'ghosts', members: ['nobody@example.com'] });
        expect([badMember.status, badMember.body.code]).toEqual([400, 'validation_failed']);
      });
    });

    test("create, replace and the dry run answer with the config's shadowing warnings (saving is not refused)", async () => {
      const shadowed = await queue('shadowed', {
        policy: { rules: [{ type: 'auto_approve' }, { type: 'risk', levels: { high: 1 } }] },
      });
      expect(shadowed.warnings).toEqual([
        {
          code: 'rule_never_reached',
          path: 'policy.rules[1]',
          message: expect.stringMatching(/^Never reached: rules\[0\]:auto_approve/),
        },
      ]);
      const put = await request(app)
        .put('/api/v1/queues/shadowed')
        .set(bearer(keys.admin))
        .send({ config: { escalation: [{ action: 'reminder', afterSeconds: 0 }], sla: { seconds: 60 } } });
      expect([put.status, put.body.warnings]).toEqual([
        200,
        [
          {
            code: 'escalation_at_timeout',
            path: 'escalation[0]',
            message: expect.stringContaining('same moment as the timeout'),
          },
        ],
      ]);
      const dry = await request(app)
        .post('/api/v1/policy/dry-run')
        .set(bearer(keys.reviewer))
        .send({ title: 'x', payload: {}, queue: 'shadowed' });
      expect([dry.status, dry.body.warnings]).toEqual([200, put.body.warnings]);
    });

    test("preview runs a proposed config over the queue's recent tasks and saves nothing", async () => {
      await queue('previewed', {});
      const confident = [];
      for (let i = 0; i < 5; i++) confident.push(await create({ queue: 'previewed', confidence: 0.95 }));
      for (let i = 0; i < 3; i++) await create({ queue: 'previewed', confidence: 0.4 });
      await create({}); // a task of another queue (default) is not counted
      for (const task of confident.slice(0, 2))
        expect((await decide(task.id, keys.outsider, 'reject', { comment: 'Not justified' })).status).toBe(200);
      expect((await decide(confident[2]!.id, keys.outsider)).status).toBe(200);
      const proposed = {
        policy: {
          rules: [
            { type: 'confidence_below', threshold: 0.8 },
            { type: 'auto_approve' },
            { type: 'sample', rate: 0.1 },
          ],
        },
      };
      const res = await request(app)
        .post('/api/v1/queues/previewed/preview')
        .set(bearer(keys.admin))
        .send({ config: proposed });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        queue: 'previewed',
        warnings: [
          { code: 'rule_never_reached', path: 'policy.rules[2]', message: expect.stringMatching(/^Never reached/) },
        ],
        recent: {
          tasks: 8,
          review: 3,
          autoApproved: 5,
          autoApprovedButRejected: 2,
          summary:
            'Of the last 8 tasks, this config would send 3 to humans and auto-approve 5; 2 of those 5 were rejected by humans.',
        },
      });
      const unchanged = await request(app).get('/api/v1/queues/previewed').set(bearer(keys.viewer));
      expect(unchanged.body.config.policy).toEqual({ rules: [], otherwise: 'review' });
      const refused = await Promise.all([
        request(app).post('/api/v1/queues/previewed/preview').set(bearer(keys.reviewer)).send({ config: proposed }),
        request(app).post('/api/v1/queues/nowhere/preview').set(bearer(keys.admin)).send({ config: {} }),
        request(app)
          .post('/api/v1/queues/previewed/preview')
          .set(bearer(keys.admin))
          .send({ config: { levels: [] } }),
      ]);
      expect(refused.map((r) => [r.status, r.body.code])).toEqual([
        [403, 'forbidden'],
        [404, 'not_found'],
        [400, 'validation_failed'],
      ]);
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
        const dry = await request(app)
          .post('/api/v1/policy/dry-run')
          .set(bearer(keys.reviewer))
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
        const dry = await request(app).post('/api/v1/policy/dry-run').set(bearer(keys.reviewer)).send({
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
          const res = await decide(task.id, keys.outsider);
          expect(res.body).toMatchObject({
            status: 'approved',
            decision: { decidedBy: { type: 'api_key', name: 'outsider' } },
          });
        }
      });

      test('a queue name nobody created is refused, not quietly given the default’s rules; nothing is stored', async () => {
        for (const path of ['/api/v1/tasks', '/api/v1/policy/dry-run']) {
          const res = await request(app)
            .post(path)
            .set(bearer(keys.reviewer))
            .send({ title: 'Refund', payload: { amount: 50 }, queue: 'never-configured' });
          expect([res.status, res.type, res.body.code]).toEqual([400, 'application/problem+json', 'validation_failed']);
          expect(res.body.detail).toContain('No queue named "never-configured"');
          expect(res.body.errors).toEqual([{ path: 'queue', message: 'unknown queue "never-configured"' }]);
        }
        const stored = await request(app).get('/api/v1/tasks?queue=never-configured').set(bearer(keys.viewer));
        expect([stored.status, stored.body.data]).toEqual([200, []]);
      });

      test('per-risk SLA sets dueAt at creation; the task’s own deadline wins', async () => {
        await queue('sla-by-risk', { sla: { seconds: 600, byRisk: { critical: 60 } } });
        const critical = await create({ queue: 'sla-by-risk', riskLevel: 'critical' });
        const low = await create({ queue: 'sla-by-risk', riskLevel: 'low' });
        const own = await create({ queue: 'sla-by-risk', riskLevel: 'critical', slaSeconds: 5 });
        expect(Date.parse(critical.dueAt!)).toBe(w.now + 60_000);
        expect(Date.parse(low.dueAt!)).toBe(w.now + 600_000);
        expect(Date.parse(own.dueAt!)).toBe(w.now + 5_000);
      });
    });
  });
}
