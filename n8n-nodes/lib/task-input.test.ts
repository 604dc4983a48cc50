import {
  BACKSTOP_GRACE_MS,
  buildCreateTaskBody,
  InputError,
  WAIT_INDEFINITELY,
  waitTill,
  workflowAgent,
} from './task-input.js';

describe('buildCreateTaskBody', () => {
  test('Form Fields and Response Fields become form and responseForm', () => {
    const body = buildCreateTaskBody({
      title: 't',
      payload: { refund: { amount: 480 } },
      formFields: [
        { name: 'amount', label: 'Refund amount', type: 'number', required: true, path: '/refund/amount' },
        { name: 'customer', type: 'string', readOnly: true },
      ],
      responseFields: [
        { name: 'reply', label: 'Note to the customer', type: 'string', required: true },
        { name: 'code', type: 'enum', options: 'ok=All good, fraud=Looks like fraud' },
      ],
    });
    expect(body.form).toEqual({
      type: 'object',
      properties: {
        amount: { type: 'number', title: 'Refund amount', 'x-loopgate-path': '/refund/amount' },
        customer: { type: 'string', readOnly: true },
      },
      required: ['amount'],
    });
    expect(body.responseForm).toEqual({
      type: 'object',
      properties: {
        reply: { type: 'string', title: 'Note to the customer' },
        code: { type: 'string', enum: ['ok', 'fraud'], enumNames: ['All good', 'Looks like fraud'] },
      },
      required: ['reply'],
    });
    expect(buildCreateTaskBody({ title: 't', payload: 1, formFields: [], responseFields: [{}] })).toEqual({
      title: 't',
      payload: 1,
      source: 'n8n',
    });
  });

  test('a bad form row is an InputError naming the collection and the field', () => {
    expect(() => buildCreateTaskBody({ title: 't', payload: 1, formFields: [{ name: 'a', type: 'enum' }] })).toThrow(
      new InputError('Form Fields, field 1 ("a"): a choice field needs options'),
    );
    expect(() => buildCreateTaskBody({ title: 't', payload: 1, responseFields: [{ name: 'a', path: '/a' }] })).toThrow(
      /^Response Fields, field 1 \("a"\): answers have no payload path$/,
    );
  });

  test('maps every field and marks the source as n8n', () => {
    expect(
      buildCreateTaskBody(
        {
          title: '  Refund #1  ',
          description: 'why',
          payload: '{"amount": 250}',
          context: { customer: 'c_1' },
          confidence: 0.42,
          riskLevel: 'high',
          queue: ' refunds ',
          reviewers: 'ana@example.com,\n li@example.com',
          tags: 'vip, , refund',
          slaMinutes: 1.5,
          externalRef: 'order-1',
        },
        'http://127.0.0.1:5678/webhook-waiting/7/node?signature=abc',
      ),
    ).toEqual({
      title: 'Refund #1',
      description: 'why',
      payload: { amount: 250 },
      context: { customer: 'c_1' },
      reviewers: ['ana@example.com', 'li@example.com'],
      confidence: 0.42,
      riskLevel: 'high',
      queue: 'refunds',
      tags: ['vip', 'refund'],
      slaSeconds: 90,
      externalRef: 'order-1',
      source: 'n8n',
      callbackUrl: 'http://127.0.0.1:5678/webhook-waiting/7/node?signature=abc',
    });
  });

  test("external reviewers' addresses pass as they are; the server checks them against the allowlist", () => {
    expect(
      buildCreateTaskBody({ title: 't', payload: '{}', reviewers: 'ana@example.com, Gus@Partner.example' }, 'http://x/')
        .reviewers,
    ).toEqual(['ana@example.com', 'Gus@Partner.example']);
  });

  test('the minimum: title and any JSON payload; a due time is normalised to UTC', () => {
    expect(buildCreateTaskBody({ title: 't', payload: [1, 2], dueAt: '2026-12-01T10:00:00+01:00' })).toEqual({
      title: 't',
      payload: [1, 2],
      source: 'n8n',
      dueAt: '2026-12-01T09:00:00.000Z',
    });
  });

  test.each([
    ['an empty title', { title: ' ', payload: '{}' }, /Title/],
    ['no payload', { title: 't', payload: '' }, /Payload to review is required/],
    ['payload that is not JSON', { title: 't', payload: '{nope' }, /Payload is not valid JSON/],
    ['context that is not JSON', { title: 't', payload: '{}', context: '[' }, /Context is not valid JSON/],
    ['confidence above 1', { title: 't', payload: '{}', confidence: 1.5 }, /Confidence/],
    ['an unknown risk level', { title: 't', payload: '{}', riskLevel: 'extreme' }, /Risk level/],
    ['a reviewer that is not an e-mail', { title: 't', payload: '{}', reviewers: 'ana' }, /"ana"/],
    ['both SLA and due time', { title: 't', payload: '{}', slaMinutes: 5, dueAt: '2026-12-01T00:00:00Z' }, /either/],
    ['a due time that is not a date', { title: 't', payload: '{}', dueAt: 'tomorrow-ish' }, /not a date/],
  ])('refuses %s with an InputError', (_name, fields, message) => {
    expect(() => buildCreateTaskBody(fields)).toThrow(InputError);
    expect(() => buildCreateTaskBody(fields)).toThrow(message);
  });
});

describe("workflowAgent (the workflow names the task's agent)", () => {
  test('the workflow id is the agent id, its name the agent name', () => {
    expect(workflowAgent({ id: '42', name: ' Refunds ' })).toEqual({ id: 'n8n:workflow:42', name: 'Refunds' });
    expect(buildCreateTaskBody({ title: 'T', payload: '{}' }, undefined, workflowAgent({ id: '42' })).agent).toEqual({
      id: 'n8n:workflow:42',
    });
  });

  test('an unsaved workflow (no id) names no agent, and a long name is cut to the server limit', () => {
    expect(workflowAgent({ name: 'draft' })).toBeUndefined();
    expect(workflowAgent({ id: '1', name: 'x'.repeat(300) })?.name).toHaveLength(200);
  });
});

describe('waitTill (the n8n backstop)', () => {
  const now = Date.parse('2026-11-25T12:00:00.000Z');
  test.each([
    ['an explicit wait limit wins', { slaSeconds: 60 }, 30, now + 30 * 60_000],
    ['SLA plus the grace period', { slaSeconds: 600 }, 0, now + 600_000 + BACKSTOP_GRACE_MS],
    [
      'due time plus the grace period',
      { dueAt: '2026-11-26T12:00:00.000Z' },
      undefined,
      Date.parse('2026-11-26T12:00:00.000Z') + BACKSTOP_GRACE_MS,
    ],
    ['no deadline at all: wait indefinitely', {}, undefined, WAIT_INDEFINITELY.getTime()],
  ])('%s', (_name, body, limit, expected) => {
    expect(waitTill(now, body, limit).getTime()).toBe(expected);
  });
});
