import { readFileSync } from 'node:fs';
import path from 'node:path';
import { formFields, formSchema, parseFormValues, payloadFromForm } from '@loopgate/shared';
import request from 'supertest';
import { bearer, useTestApp } from '../test-support/api-requests.js';
import { DATABASES } from '../test-support/databases.js';

/**
 * The form example in docs/api.md is this test's fixture: its two requests are sent as written, so the
 * documentation cannot drift from what the API accepts and answers.
 */
function documentedRequests(): { create: Record<string, unknown>; decision: Record<string, unknown> } {
  const text = readFileSync(path.join(__dirname, '../../../docs/api.md'), 'utf8');
  const block =
    /```json\nPOST \/api\/v1\/tasks\n([\s\S]*?)\n\nPOST \/api\/v1\/tasks\/\{id\}\/decision\n([\s\S]*?)\n```/.exec(text);
  if (!block) throw new Error('docs/api.md lost its form example');
  return { create: JSON.parse(block[1] as string), decision: JSON.parse(block[2] as string) };
}

for (const database of DATABASES) {
  describe(`${database}: forms through the API (the docs/api.md example)`, () => {
    const d = useTestApp(database);
    const { create, decision } = documentedRequests();

    test('the documented task and decision are accepted as written and come back whole', async () => {
      const queue = await request(d.app).post('/api/v1/queues').set(bearer(d.keys.admin)).send({ name: 'refunds' });
      expect([201, 409]).toContain(queue.status);
      const created = await request(d.app).post('/api/v1/tasks').set(bearer(d.keys.reviewer)).send(create);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ form: create.form, responseForm: create.responseForm });

      const decided = await request(d.app)
        .post(`/api/v1/tasks/${created.body.id}/decision`)
        .set(bearer(d.keys.admin))
        .send(decision);
      expect(decided.status).toBe(200);
      expect(decided.body.decision).toMatchObject({
        action: 'approve_with_modifications',
        modifiedPayload: decision.modifiedPayload,
        response: decision.response,
        reasonCode: null,
      });
      const answersMissing = await request(d.app)
        .post(`/api/v1/tasks/${(await d.createTask(create)).id}/decision`)
        .set(bearer(d.keys.admin))
        .send({ action: 'approve' });
      expect(answersMissing.status).toBe(400);
      expect(answersMissing.body.errors).toEqual([{ path: 'response.reply', message: 'Required' }]);
    });

    test("the documented modified payload is what the shared form helpers build from the form's inputs", () => {
      const form = formSchema.parse(create.form);
      expect(formFields(form, create.payload).map((field) => [field.name, field.value])).toEqual([
        ['amount', 480],
        ['reason', 'late'],
        ['customer', 'ada@example.com'],
      ]);
      const values = parseFormValues(form, { amount: '100', reason: 'late', customer: 'mallory@example.com' });
      expect(values.ok).toBe(true);
      const built = values.ok ? payloadFromForm(form, create.payload, values.value) : values;
      expect(built).toEqual({ ok: true, value: decision.modifiedPayload });
    });
  });
}
