import { DATABASES } from '../../test-support/databases.js';
import { SUPPORT_DESK, taskHelpers, usePageWorld } from '../../test-support/page-world.js';

/** The support desk plus a queue whose rejections must pick one of its reasons. */
const DESK = {
  ...SUPPORT_DESK,
  queues: [
    ...(SUPPORT_DESK.queues ?? []),
    [
      'refunds',
      {
        reviewerGroups: ['ops'],
        rejectReasons: [
          { code: 'no-receipt', label: 'No receipt attached' },
          { code: 'over-limit', label: 'Over the refund limit' },
        ],
      },
    ],
  ],
} as typeof SUPPORT_DESK;

const RESPONSE_FORM = {
  type: 'object',
  properties: {
    note: { type: 'string', title: 'Note to the customer', minLength: 3 },
    goodwill: { type: 'integer', title: 'Goodwill credit', minimum: 0, maximum: 50 },
  },
  required: ['note'],
};

for (const database of DATABASES) {
  describe(`${database}: answers and reasons on the decision panel`, () => {
    const w = usePageWorld(database, DESK);
    const { createTask, apiTask } = taskHelpers(w);

    test('a responseForm is asked on approve: a missing answer is refused with what was typed kept', async () => {
      const task = await createTask({ responseForm: RESPONSE_FORM });
      const { agent, csrf } = await w.login('rev@example.com');
      const page = (await agent.get(`/tasks/${task.id}`)).text;
      expect(page).toContain('id="response-form"');
      expect(page).toContain('name="response.note"');

      const refused = await agent.post(`/tasks/${task.id}/decide`).type('form').send({
        _csrf: csrf,
        action: 'approve',
        comment: 'ok',
        responses: '1',
        'response.note': '',
        'response.goodwill': '10',
      });
      expect(refused.status).toBe(400);
      expect(refused.text).toContain('Answer the questions marked below before you approve.');
      expect(refused.text).toMatch(/id="answer-goodwill" value="10"/);
      expect(refused.text).toMatch(/id="answer-note-error"/);
      expect((await apiTask(task.id)).status).toBe('pending_review');

      const approved = await agent.post(`/tasks/${task.id}/decide`).type('form').send({
        _csrf: csrf,
        action: 'approve',
        comment: 'ok',
        responses: '1',
        'response.note': 'Refund on its way',
        'response.goodwill': '10',
      });
      expect(approved.status).toBe(303);
      const after = await apiTask(task.id);
      expect(after.status).toBe('approved');
      expect(after.decision.response).toEqual({ note: 'Refund on its way', goodwill: 10 });
    });

    test('answers typed before an edit reach the decision through the confirm step', async () => {
      const task = await createTask({ responseForm: RESPONSE_FORM });
      const { agent, csrf } = await w.login('rev@example.com');
      const edited = JSON.stringify({ amount: 30, currency: 'EUR' }, null, 2);
      const body = { _csrf: csrf, action: 'approve_with_modifications', modifiedPayload: edited, comment: '' };
      const answers = { responses: '1', 'response.note': 'Partial refund' };
      const preview = await agent
        .post(`/tasks/${task.id}/decide`)
        .type('form')
        .send({ ...body, ...answers });
      expect(preview.status).toBe(200);
      expect(preview.text).toContain('<input type="hidden" name="response.note" value="Partial refund">');
      const confirmed = await agent
        .post(`/tasks/${task.id}/decide`)
        .type('form')
        .send({ ...body, ...answers, confirm: '1' });
      expect(confirmed.status).toBe(303);
      const after = await apiTask(task.id);
      expect(after.decision.modifiedPayload).toEqual({ amount: 30, currency: 'EUR' });
      expect(after.decision.response).toEqual({ note: 'Partial refund' });
    });

    test("a queue's reject reasons are choices; a reject without one is refused, with the reason typed kept", async () => {
      const task = await createTask({ queue: 'refunds' });
      const { agent, csrf } = await w.login('rev@example.com');
      const confirm = await agent
        .post(`/tasks/${task.id}/decide`)
        .type('form')
        .send({ _csrf: csrf, action: 'reject', comment: '' });
      expect(confirm.status).toBe(200);
      expect(confirm.text).toContain('id="reject-reasons"');
      expect(confirm.text).toContain('value="no-receipt" required> No receipt attached');

      const noCode = await agent
        .post(`/tasks/${task.id}/decide`)
        .type('form')
        .send({ _csrf: csrf, action: 'reject', comment: 'Missing paperwork', confirm: '1' });
      expect(noCode.status).toBe(400);
      expect(noCode.text).toContain('Choose one of the reasons listed.');
      expect(noCode.text).toContain('Missing paperwork</textarea>');
      expect((await apiTask(task.id)).status).toBe('pending_review');

      const rejected = await agent.post(`/tasks/${task.id}/decide`).type('form').send({
        _csrf: csrf,
        action: 'reject',
        comment: 'Missing paperwork',
        reasonCode: 'no-receipt',
        confirm: '1',
      });
      expect(rejected.status).toBe(303);
      const after = await apiTask(task.id);
      expect([after.status, after.decision.reasonCode, after.decision.comment]).toEqual([
        'rejected',
        'no-receipt',
        'Missing paperwork',
      ]);
    });
  });
}
