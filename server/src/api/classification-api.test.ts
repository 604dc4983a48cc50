import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { bearer } from '../test-support/api-requests.js';
import { useApprovalsWorld } from '../test-support/approvals-world.js';
import { DATABASES } from '../test-support/databases.js';
import { anotherTestApp } from '../test-support/fixtures.js';

/** docs/approvals.md's classification example, sent as the doc shows it: the doc is the fixture. */
function docsBlock(title: string): string {
  const doc = readFileSync(join(__dirname, '../../../docs/approvals.md'), 'utf8');
  const escaped = title.replace(/[(){}]/g, '\\$&');
  const block = new RegExp(`\`\`\`json\\n${escaped}\\n([\\s\\S]*?)\`\`\``).exec(doc)?.[1];
  if (!block) throw new Error(`docs/approvals.md lost its "${title}" example`);
  return block;
}

for (const database of DATABASES) {
  describe(`${database}: sensitive-data classification`, () => {
    const w = useApprovalsWorld(database);
    let app: Express;
    beforeAll(async () => {
      app = anotherTestApp(w.store, w.clock);
      const created = await request(app)
        .post('/api/v1/queues')
        .set(bearer(w.keys.admin))
        .send(JSON.parse(docsBlock('POST /api/v1/queues (classification)')));
      expect(created.status).toBe(201);
      expect(created.body.config.classification.detectors).toHaveLength(4);
    });

    const createTask = (payload: object, riskLevel?: string, context?: object) =>
      request(app)
        .post('/api/v1/tasks')
        .set(bearer(w.keys.reviewer))
        .send({
          queue: 'transfers',
          title: 'Transfer',
          payload,
          ...(riskLevel ? { riskLevel } : {}),
          ...(context ? { context } : {}),
        });

    test('a valid IBAN raises low to the mapped level and records the path, never the value', async () => {
      const response = await createTask({ account: 'DE89 3704 0044 0532 0130 00', amount: 20 }, 'low');
      expect(response.status).toBe(201);
      expect(response.body.status).toBe('pending_review');
      expect(response.body).toMatchObject({
        riskLevel: 'high',
        workflow: {
          routingRule: 'rules[0]:risk',
          routingReason: 'Risk raised to high: iban at /payload/account. Risk level high needs 2 approval levels',
          levels: 2,
        },
        classification: {
          findings: [{ detector: 'iban', name: null, paths: ['/payload/account'] }],
          raisedTo: 'high',
          raisedFrom: 'low',
          truncated: false,
        },
      });
      const fetched = await request(app).get(`/api/v1/tasks/${response.body.id}`).set(bearer(w.keys.reviewer));
      expect(fetched.body.classification).toEqual(response.body.classification);
      expect(fetched.body).toMatchObject(JSON.parse(docsBlock('GET /api/v1/tasks/{id} (classified, abridged)')));
      const events = await w.events(response.body.id);
      expect(events[0]?.data).toMatchObject({ classification: { raisedTo: 'high' } });
      expect(JSON.stringify(events[0]?.data)).not.toContain('3704');
    });

    test('an IBAN with a bad checksum is not one: low stays low and is approved', async () => {
      const response = await createTask({ account: 'DE89370400440532013001', amount: 20 }, 'low');
      expect(response.body).toMatchObject({
        status: 'approved',
        riskLevel: 'low',
        classification: { findings: [], raisedTo: null, raisedFrom: null, truncated: false },
      });
    });

    test('never lowers: a critical task with an e-mail address stays critical; context is scanned too', async () => {
      const response = await createTask({ note: 'ops@example.com' }, 'critical', { staff: 'EMP-004211' });
      expect(response.body.riskLevel).toBe('critical');
      expect(response.body.classification).toMatchObject({
        findings: [
          { detector: 'email', paths: ['/payload/note'] },
          { detector: 'custom', name: 'Employee id', paths: ['/context/staff'] },
        ],
        raisedTo: null,
      });
    });

    test('the OpenAPI document names the classification on tasks and the detectors in queue configs', async () => {
      const doc = (await request(app).get('/api/openapi.json')).body;
      expect(doc.components.schemas.Task.properties.classification).toBeDefined();
      expect(Object.keys(doc.components.schemas)).toEqual(
        expect.arrayContaining([
          'TaskClassification',
          'ClassificationFinding',
          'DetectorConfig',
          'ClassificationConfig',
        ]),
      );
    });

    test('a custom detector without a name or with a pattern RE2 refuses is a validation problem', async () => {
      const response = await request(app)
        .put('/api/v1/queues/transfers')
        .set(bearer(w.keys.admin))
        .send({
          config: { classification: { detectors: [{ detector: 'custom', pattern: '(a)\\1', raiseTo: 'high' }] } },
        });
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(response.body.code).toBe('validation_failed');
      expect(JSON.stringify(response.body)).toContain('a custom detector needs a name');
      expect(JSON.stringify(response.body)).toContain('RE2');
    });
  });
}
