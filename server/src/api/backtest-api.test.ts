import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { bearer } from '../test-support/api-requests.js';
import { useApprovalsWorld } from '../test-support/approvals-world.js';
import { DATABASES } from '../test-support/databases.js';
import { anotherTestApp } from '../test-support/fixtures.js';

/** docs/approvals.md's backtest request and answer: the doc is the fixture. */
function docsExample(): { request: Record<string, unknown>; response: Record<string, unknown> } {
  const doc = readFileSync(join(__dirname, '../../../docs/approvals.md'), 'utf8');
  const sent = /```json\nPOST \/api\/v1\/policy\/backtest\n([\s\S]*?)```/.exec(doc)?.[1];
  const answered = /```json\n200 OK \(backtest\)\n([\s\S]*?)```/.exec(doc)?.[1];
  if (!sent || !answered) throw new Error('docs/approvals.md lost its backtest example');
  return { request: JSON.parse(sent), response: JSON.parse(answered) };
}

const at = (when: string) => Date.parse(when);

for (const database of DATABASES) {
  describe(`${database}: POST /api/v1/policy/backtest`, () => {
    const w = useApprovalsWorld(database);
    let app: Express;
    beforeAll(async () => {
      app = anotherTestApp(w.store, w.clock);
      // Today every task goes to people; the history is hand-built so each count below is known.
      await w.queue('refunds', { policy: { rules: [{ type: 'confidence_below', threshold: 0.8 }] } });
      const reviewer = w.as('ops1');
      const seed = async (when: string, amount: number, confidence: number, queue = 'refunds') => {
        w.now = at(when);
        return w.create({ queue, payload: { amount }, confidence });
      };
      // In range (November 2026):
      const big = await seed('2026-11-02T10:00:00Z', 900, 0.95); // rules[0]:field → people; approved
      const unsure = await seed('2026-11-03T10:00:00Z', 50, 0.5); // rules[1]:confidence_below → people; rejected
      const rejected = await seed('2026-11-04T10:00:00Z', 40, 0.9); // otherwise: auto — but a person rejected it
      const modified = await seed('2026-11-05T10:00:00Z', 30, 0.92); // otherwise: auto — a person corrected it
      const approved = await seed('2026-11-06T10:00:00Z', 20, 0.85); // otherwise: auto — approved as is
      await seed('2026-11-07T10:00:00Z', 10, 0.99); // otherwise: auto — still open
      const erased = await seed('2026-11-08T10:00:00Z', 60, 0.9); // payload erased: not replayable
      // Outside the range or the queue: never counted.
      await seed('2026-10-31T23:59:59Z', 70, 0.9);
      await seed('2026-12-01T00:00:00Z', 70, 0.9);
      await seed('2026-11-09T10:00:00Z', 70, 0.9, 'default');
      w.now = at('2026-11-20T10:00:00Z');
      await w.decide(big.id, reviewer);
      await w.decide(unsure.id, reviewer, 'reject', { comment: 'No receipt' });
      await w.decide(rejected.id, reviewer, 'reject', { comment: 'Duplicate refund' });
      await w.decide(modified.id, reviewer, 'approve_with_modifications', { modifiedPayload: { amount: 25 } });
      await w.decide(approved.id, reviewer);
      await w.decide(erased.id, reviewer);
      const row = await w.store.read.tasks.findById(w.workspaceId, erased.id);
      const done = await w.store.transaction((tx) =>
        tx.tasks.erasePayload(w.workspaceId, erased.id, row?.version ?? 0, {
          erasedAt: w.now,
          shownDigest: 'a'.repeat(64),
        }),
      );
      expect(done).toBe(true);
    });

    const backtest = (body: object, key = w.keys.admin) =>
      request(app).post('/api/v1/policy/backtest').set(bearer(key)).send(body);

    test("the docs' example, over the seeded history: hand-checked counts", async () => {
      const example = docsExample();
      const res = await backtest(example.request);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(example.response);
      // Nothing was saved.
      const queue = await request(app).get('/api/v1/queues/refunds').set(bearer(w.keys.viewer));
      expect(queue.body.config.policy.otherwise).toBe('review');
    });

    test('without a config the current one is replayed; the default range is the last 30 days', async () => {
      w.now = at('2026-11-30T12:00:00Z');
      const res = await backtest({ queue: 'refunds' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        range: { from: '2026-10-31T12:00:00.000Z', to: '2026-11-30T12:00:00.000Z' },
        // From Oct 31 12:00: the task of Oct 31 23:59:59 is in this range, the one of Dec 1 is not.
        tasks: 8,
        replayed: 7,
        notReplayable: 1,
        toHumans: 7,
        autoApproved: 0,
        current: { toHumans: 7, autoApproved: 0 },
        humanDecided: { total: 5, wouldAutoApprove: 0, ofWhichApproved: 0, ofWhichModified: 0, ofWhichRejected: 0 },
      });
      // 0.5 is the only confidence below 0.8; the other six reach otherwise (review).
      expect(res.body.byRule.map((r: { rule: string; count: number }) => [r.rule, r.count])).toEqual([
        ['rules[0]:confidence_below', 1],
        ['otherwise', 6],
      ]);
    });

    test('shadowed rules and unreachable levels are warned with the same codes as the queue answers', async () => {
      const config = {
        levels: [{ name: 'ops' }, { name: 'finance' }],
        policy: {
          rules: [
            { type: 'confidence_below', threshold: 0.8, levels: 1 },
            { type: 'auto_approve' },
            { type: 'flag', name: 'regulatory' },
          ],
        },
      };
      const res = await backtest({
        queue: 'refunds',
        config,
        from: '2026-11-01T00:00:00Z',
        to: '2026-12-01T00:00:00Z',
      });
      expect(res.status).toBe(200);
      expect(res.body.warnings.map((warning: { code: string; path: string }) => [warning.code, warning.path])).toEqual([
        ['rule_never_reached', 'policy.rules[2]'],
        ['level_unreachable', 'levels[1]'],
      ]);
      expect(res.body.humanDecided).toEqual({
        total: 5,
        wouldAutoApprove: 4,
        ofWhichApproved: 2,
        ofWhichModified: 1,
        ofWhichRejected: 1,
      });
    });

    test('the OpenAPI document describes the route, its body and its answer', async () => {
      const doc = (await request(app).get('/api/openapi.json')).body;
      const route = doc.paths['/api/v1/policy/backtest'].post;
      expect(route.requestBody.content['application/json'].schema).toEqual({
        $ref: '#/components/schemas/PolicyBacktestInput',
      });
      expect(route.responses['200'].content['application/json'].schema).toEqual({
        $ref: '#/components/schemas/PolicyBacktestResult',
      });
      expect(JSON.stringify(doc.components.schemas.PolicyBacktestResult)).toContain('notReplayable');
      expect(JSON.stringify(doc.components.schemas.ConfigWarning)).toContain('rule_unmatched_in_range');
    });

    test('refusals: problem+json with stable codes', async () => {
      const cases = await Promise.all([
        backtest({ queue: 'refunds' }, w.keys.reviewer),
        backtest({ queue: 'nowhere' }),
        backtest({ queue: 'refunds', config: { levels: [] } }),
        backtest({ queue: 'refunds', from: '2026-12-01T00:00:00Z', to: '2026-11-01T00:00:00Z' }),
        backtest({ queue: 'refunds', from: '2024-01-01T00:00:00Z', to: '2026-11-01T00:00:00Z' }),
      ]);
      expect(cases.map((r) => [r.status, r.body.code])).toEqual([
        [403, 'forbidden'],
        [404, 'not_found'],
        [400, 'validation_failed'],
        [400, 'validation_failed'],
        [400, 'validation_failed'],
      ]);
      expect(cases[2]?.headers['content-type']).toMatch(/application\/problem\+json/);
      // The same problem a queue save reports for the same config.
      const put = await request(app)
        .put('/api/v1/queues/refunds')
        .set(bearer(w.keys.admin))
        .send({ config: { levels: [] } });
      expect(put.status).toBe(400);
      expect(cases[2]?.body.errors).toEqual(put.body.errors);
      expect(cases[2]?.body.errors).toContainEqual(expect.objectContaining({ path: 'config.levels' }));
    });
  });
}
