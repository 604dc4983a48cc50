import { formFromJsonSchema } from './tool-form.js';

describe('formFromJsonSchema', () => {
  test('top-level primitives become fields; nested objects and lists stay in the raw payload', () => {
    const form = formFromJsonSchema(
      {
        type: 'object',
        description: 'Refund an order',
        properties: {
          orderId: { type: 'string', description: 'The order' },
          amount: { type: 'number', minimum: 0 },
          count: { type: ['integer', 'null'], maximum: 3 },
          express: { type: 'boolean' },
          reason: { type: 'string', enum: ['damaged', 'late'] },
          lines: { type: 'array', items: { type: 'string' } },
          address: { type: 'object', properties: { city: { type: 'string' } } },
        },
        required: ['orderId', 'lines'],
      },
      { orderId: 'A-1', amount: 4 },
    );
    expect(form).toEqual({
      type: 'object',
      description: 'Refund an order',
      properties: {
        orderId: { type: 'string', description: 'The order' },
        amount: { type: 'number', minimum: 0 },
        count: { type: 'integer', maximum: 3 },
        express: { type: 'boolean' },
        reason: { type: 'string', enum: ['damaged', 'late'] },
      },
      required: ['orderId'],
    });
  });

  test('no form when nothing fits, or when the server would refuse it for this payload', () => {
    expect(formFromJsonSchema(undefined, {})).toBeUndefined();
    expect(formFromJsonSchema({ type: 'object', properties: { tags: { type: 'array' } } }, {})).toBeUndefined();
    // The payload holds an object where the field would write a single value.
    expect(
      formFromJsonSchema({ type: 'object', properties: { amount: { type: 'number' } } }, { amount: { value: 1 } }),
    ).toBeUndefined();
    // A property name the form schema does not allow.
    expect(formFromJsonSchema({ type: 'object', properties: { 'bad name': { type: 'string' } } }, {})).toBeUndefined();
  });
});
