import type { Express } from 'express';
import request from 'supertest';
import { bearer } from '../test-support/api-requests.js';
import { type CastName, useApprovalsWorld } from '../test-support/approvals-world.js';
import { DATABASES } from '../test-support/databases.js';
import { anotherTestApp } from '../test-support/fixtures.js';

/**
 * The HTTP contract of the approval routes (claim, release, escalate, votes, and the decision's
 * refusals). The rules behind them are tested beside their units: domain/approvals/vote.test.ts,
 * claims.test.ts and sla-sweeper.test.ts.
 */
for (const database of DATABASES) {
  describe(`${database}: approval routes`, () => {
    const w = useApprovalsWorld(database);
    let app: Express;
    let keys: Record<CastName, string>;
    beforeAll(async () => {
      app = anotherTestApp(w.store, w.clock);
      keys = w.keys;
      await w.queue('quorum2', { levels: [{ name: 'ops', group: 'ops', quorum: 2 }] });
      await w.queue('sod', { creatorMayApprove: false });
      await w.queue('claimable', { levels: [{ name: 'ops', group: 'ops' }] });
    });

    const post = (id: string, path: string, key: string, body?: object) =>
      request(app).post(`/api/v1/tasks/${id}/${path}`).set(bearer(key)).send(body);

    test('the OpenAPI document describes the queue, group, dry-run, claim and vote routes', async () => {
      const doc = (await request(app).get('/api/openapi.json')).body;
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

    test('escalate refuses an empty reason with a field error, and the task stays as it was', async () => {
      const task = await w.create({});
      const empty = await post(task.id, 'escalate', keys.ops2, { reason: '' });
      expect(empty.status).toBe(400);
      expect([empty.type, empty.body.code]).toEqual(['application/problem+json', 'validation_failed']);
      expect(empty.body.errors.map((e: { path: string }) => e.path)).toEqual(['reason']);
      expect(await w.get(task.id)).toEqual(task);
    });

    test('claim, release, escalate and votes answer 200 with the task or the votes as the API shows them', async () => {
      const task = await w.create({ queue: 'claimable' });
      const claimed = await post(task.id, 'claim', keys.ops1);
      expect([claimed.status, claimed.body]).toEqual([200, await w.get(task.id)]);
      expect(claimed.body.workflow).toMatchObject({ claimed: true, assignee: { type: 'api_key', name: 'ops1' } });
      const released = await post(task.id, 'release', keys.ops1);
      expect([released.status, released.body.workflow]).toEqual([
        200,
        expect.objectContaining({ claimed: false, assignee: null }),
      ]);
      const escalated = await post(task.id, 'escalate', keys.ops1, { reason: 'urgent' });
      expect([escalated.status, escalated.body.workflow]).toEqual([
        200,
        expect.objectContaining({ escalated: true, priority: 1 }),
      ]);
      const voted = await w.create({ queue: 'quorum2' });
      expect((await post(voted.id, 'decision', keys.ops1, { action: 'approve', comment: 'ok' })).status).toBe(200);
      const votes = await request(app).get(`/api/v1/tasks/${voted.id}/votes`).set(bearer(keys.viewer));
      expect([votes.status, votes.body.data]).toEqual([
        200,
        [
          {
            level: 1,
            levelName: 'ops',
            action: 'approve',
            comment: 'ok',
            modifiedPayload: null,
            reasonCode: null,
            response: null,
            actor: expect.objectContaining({ type: 'api_key', name: 'ops1' }),
            createdAt: new Date(w.now).toISOString(),
          },
        ],
      ]);
    });

    test('a refused vote, claim or release answers problem+json with its code’s status', async () => {
      const quorum = await w.create({ queue: 'quorum2' });
      const sod = await w.create({ queue: 'sod' }, w.as('ops1'));
      const claimed = await w.create({ queue: 'claimable' });
      expect((await post(claimed.id, 'claim', keys.ops1)).status).toBe(200);
      const steps: [what: string, answer: () => Promise<request.Response>, status: number, code?: string][] = [
        [
          'an outsider votes',
          () => post(quorum.id, 'decision', keys.outsider, { action: 'approve' }),
          403,
          'forbidden',
        ],
        ['ops1 votes', () => post(quorum.id, 'decision', keys.ops1, { action: 'approve' }), 200],
        ['ops1 votes again', () => post(quorum.id, 'decision', keys.ops1, { action: 'approve' }), 409, 'already_voted'],
        ['ops2 completes the quorum', () => post(quorum.id, 'decision', keys.ops2, { action: 'approve' }), 200],
        [
          'ops3 votes late',
          () => post(quorum.id, 'decision', keys.ops3, { action: 'approve' }),
          409,
          'task_already_decided',
        ],
        ['escalating the closed task', () => post(quorum.id, 'escalate', keys.ops3), 409, 'task_already_decided'],
        [
          'the creator approves',
          () => post(sod.id, 'decision', keys.ops1, { action: 'approve' }),
          403,
          'separation_of_duties',
        ],
        ['another claims', () => post(claimed.id, 'claim', keys.ops2), 409, 'task_claimed'],
        ['another decides', () => post(claimed.id, 'decision', keys.ops2, { action: 'approve' }), 409, 'task_claimed'],
        ['another releases', () => post(claimed.id, 'release', keys.ops2), 409, 'task_claimed'],
        ['a viewer releases', () => post(claimed.id, 'release', keys.viewer), 403, 'forbidden'],
      ];
      for (const [what, answer, status, code] of steps) {
        const res = await answer();
        if (code === undefined) {
          expect([what, res.status]).toEqual([what, status]);
          continue;
        }
        expect([what, res.status, res.type]).toEqual([what, status, 'application/problem+json']);
        expect([what, res.body]).toEqual([
          what,
          expect.objectContaining({ status, code, type: `urn:loopgate:problem:${code}`, title: expect.any(String) }),
        ]);
      }
    });
  });
}
