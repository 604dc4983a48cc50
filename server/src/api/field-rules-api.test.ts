import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { bearer } from '../test-support/api-requests.js';
import { useApprovalsWorld } from '../test-support/approvals-world.js';
import { DATABASES } from '../test-support/databases.js';
import { anotherTestApp } from '../test-support/fixtures.js';

/** docs/approvals.md's field-rules example, sent as the doc shows it: the doc is the fixture. */
function docsFieldRulesQueue(): { name: string; config: object } {
  const doc = readFileSync(join(__dirname, '../../../docs/approvals.md'), 'utf8');
  const block = /```json\nPOST \/api\/v1\/queues \(field rules\)\n([\s\S]*?)```/.exec(doc)?.[1];
  if (!block) throw new Error('docs/approvals.md lost its field-rules example');
  return JSON.parse(block);
}

for (const database of DATABASES) {
  describe(`${database}: routing on payload fields`, () => {
    const w = useApprovalsWorld(database);
    let app: Express;
    beforeAll(async () => {
      app = anotherTestApp(w.store, w.clock);
      const created = await request(app).post('/api/v1/queues').set(bearer(w.keys.admin)).send(docsFieldRulesQueue());
      expect(created.status).toBe(201);
    });

    const createTask = (payload: object, context?: object) =>
      request(app)
        .post('/api/v1/tasks')
        .set(bearer(w.keys.reviewer))
        .send({ queue: 'payouts', title: 'Payout', payload, ...(context ? { context } : {}) });

    test('the €50,000 payout needs finance and the CFO, and the task says why', async () => {
      const response = await createTask({ amount: 50000, currency: 'EUR', iban: 'DE89370400440532013000' });
      expect(response.status).toBe(201);
      expect(response.body.status).toBe('pending_review');
      expect(response.body.workflow).toMatchObject({
        routingRule: 'rules[0]:field',
        routingReason: 'amount 50000 > 10000',
        levels: 2,
      });
      const events = await w.events(response.body.id);
      expect(events[0]).toMatchObject({ type: 'created', data: expect.objectContaining({ rule: 'rules[0]:field' }) });
    });

    test('the €5 payout in EUR is approved by the policy; a flagged customer is not', async () => {
      const small = await createTask({ amount: 5, currency: 'EUR' }, { customer: { flagged: false } });
      expect(small.status).toBe(201);
      expect(small.body.status).toBe('approved');
      expect(small.body.decision.decidedBy).toMatchObject({ type: 'policy' });
      expect(small.body.workflow.routingReason).toBe(
        'Auto-approved: amount 5 ≤ 100 and currency "EUR" is one of ["EUR","USD"] and context.customer.flagged false is not = true',
      );
      const flagged = await createTask({ amount: 5, currency: 'EUR' }, { customer: { flagged: true } });
      expect(flagged.body.status).toBe('pending_review');
      expect(flagged.body.workflow).toMatchObject({ routingRule: 'otherwise', levels: 2 });
    });

    test('a pattern on the IBAN; a number sent as text is compared as text', async () => {
      const german = await createTask({ amount: 500, currency: 'EUR', iban: 'DE89370400440532013000' });
      expect(german.body.workflow).toMatchObject({ routingRule: 'rules[2]:field', levels: 1 });
      const swiss = await createTask({ amount: 500, currency: 'EUR', iban: 'CH9300762011623852957' });
      expect(swiss.body.workflow).toMatchObject({ routingRule: 'otherwise', levels: 2 });
      const asText = await createTask({ amount: '50000', currency: 'EUR', iban: 'CH9300762011623852957' });
      expect(asText.body.workflow).toMatchObject({ routingRule: 'otherwise' });
    });

    test('a rule RE2 cannot run is refused with the field named, and nothing is saved', async () => {
      const response = await request(app)
        .put('/api/v1/queues/payouts')
        .set(bearer(w.keys.admin))
        .send({
          config: {
            policy: { rules: [{ type: 'field', path: '/iban', op: 'matches', value: '(DE)\\1', levels: 1 }] },
          },
        });
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(response.body.code).toBe('validation_failed');
      expect(response.body.errors).toEqual([
        expect.objectContaining({ path: 'config.policy.rules.0.value', message: expect.stringContaining('RE2') }),
      ]);
      const queue = await request(app).get('/api/v1/queues/payouts').set(bearer(w.keys.admin));
      expect(queue.body.config.policy.rules[2]).toMatchObject({ op: 'matches', value: '^(DE|FR)' });
    });

    test('the dry run routes a payload the same way', async () => {
      const response = await request(app)
        .post('/api/v1/policy/dry-run')
        .set(bearer(w.keys.admin))
        .send({ queue: 'payouts', title: 'Payout', payload: { amount: 20000 } });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ rule: 'rules[0]:field', reason: 'amount 20000 > 10000' });
    });
  });
}
