import {
  type Form,
  formFields,
  formPathProblems,
  formSchema,
  MAX_FORM_PROPERTIES,
  parseFormValues,
  parsePointer,
  payloadFromForm,
  validateResponse,
} from './forms.js';

// The server's XSS corpus lives in server/ (shared imports nothing from there); these are the same shapes.
const HOSTILE = [
  '<script>window.__xss=1</script>',
  '<img src=x onerror="window.__xss=1">',
  '" autofocus onfocus="window.__xss=1" x="',
  '</textarea><script>window.__xss=1</script>',
  '[link](javascript:alert(1))',
];

const refundForm: Form = formSchema.parse({
  type: 'object',
  properties: {
    amount: { type: 'number', title: 'Refund amount', minimum: 0, maximum: 1000, 'x-loopgate-path': '/refund/amount' },
    reason: {
      type: 'string',
      title: 'Reason',
      enum: ['damaged', 'late', 'other'],
      enumNames: ['Arrived damaged', 'Arrived late', 'Something else'],
      'x-loopgate-path': '/refund/reason',
    },
    quantity: { type: 'integer', minimum: 1 },
    notify: { type: 'boolean', title: 'Tell the customer', default: true },
    note: { type: 'string', maxLength: 20, description: 'Shown to the customer' },
    customer: { type: 'string', readOnly: true, 'x-loopgate-path': '/customer/email' },
  },
  required: ['amount', 'reason'],
});

const payload = {
  refund: { amount: 480, reason: 'late', currency: 'EUR' },
  quantity: 2,
  customer: { email: 'ada@example.com' },
  untouched: [1, 2, 3],
};

describe('formSchema', () => {
  test('accepts the MCP elicitation subset', () => {
    expect(
      formSchema.safeParse({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        properties: {
          email: { type: 'string', format: 'email' },
          when: { type: 'string', format: 'date-time' },
          site: { type: 'string', format: 'uri' },
          day: { type: 'string', format: 'date', default: '2026-12-02' },
        },
      }).success,
    ).toBe(true);
  });

  test.each([
    ['nested objects', { a: { type: 'object', properties: {} } }],
    ['arrays', { a: { type: 'array', items: { type: 'string' } } }],
    ['unknown keywords', { a: { type: 'string', pattern: '^a' } }],
    ['a pointer without a leading slash', { a: { type: 'string', 'x-loopgate-path': 'refund/amount' } }],
    ['a bad ~ escape', { a: { type: 'string', 'x-loopgate-path': '/a~2b' } }],
    ['__proto__ in a pointer', { a: { type: 'string', 'x-loopgate-path': '/__proto__/polluted' } }],
    ['minimum above maximum', { a: { type: 'number', minimum: 5, maximum: 1 } }],
    ['minLength above maxLength', { a: { type: 'string', minLength: 5, maxLength: 1 } }],
    ['enumNames of the wrong length', { a: { type: 'string', enum: ['x', 'y'], enumNames: ['X'] } }],
    ['a default outside the bounds', { a: { type: 'integer', maximum: 3, default: 4 } }],
    ['a default not in the enum', { a: { type: 'string', enum: ['x'], default: 'y' } }],
    ['two fields at one pointer', { a: { type: 'string' }, b: { type: 'string', 'x-loopgate-path': '/a' } }],
    ['a property name with spaces', { 'a b': { type: 'string' } }],
    ['no properties', {}],
  ])('refuses %s', (_name, properties) => {
    expect(formSchema.safeParse({ type: 'object', properties }).success).toBe(false);
  });

  test('refuses a required name that is not a property', () => {
    const result = formSchema.safeParse({ type: 'object', properties: { a: { type: 'string' } }, required: ['b'] });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['required']);
  });

  test(`bounds the size: at most ${MAX_FORM_PROPERTIES} properties, bounded titles`, () => {
    const many = (n: number) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, { type: 'string' as const }]));
    expect(formSchema.safeParse({ type: 'object', properties: many(MAX_FORM_PROPERTIES) }).success).toBe(true);
    expect(formSchema.safeParse({ type: 'object', properties: many(MAX_FORM_PROPERTIES + 1) }).success).toBe(false);
    const longTitle = { a: { type: 'string', title: 'x'.repeat(201) } };
    expect(formSchema.safeParse({ type: 'object', properties: longTitle }).success).toBe(false);
  });
});

describe('parsePointer', () => {
  test('decodes RFC 6901 escapes, ~1 before ~0', () => {
    expect(parsePointer('/a~1b/c~0d/~01')).toEqual(['a/b', 'c~d', '~1']);
    expect(parsePointer('/')).toEqual(['']);
    expect(parsePointer('')).toBeNull();
  });
});

describe('formFields', () => {
  test('lists fields in order with values read at their pointers, else defaults', () => {
    const fields = formFields(refundForm, payload);
    expect(fields.map((field) => field.name)).toEqual(['amount', 'reason', 'quantity', 'notify', 'note', 'customer']);
    expect(fields[0]).toEqual({
      name: 'amount',
      path: '/refund/amount',
      title: 'Refund amount',
      description: null,
      type: 'number',
      required: true,
      readOnly: false,
      value: 480,
      options: null,
      min: 0,
      max: 1000,
      minLength: null,
      maxLength: null,
      format: null,
    });
    expect(fields[1]?.options).toEqual([
      { value: 'damaged', label: 'Arrived damaged' },
      { value: 'late', label: 'Arrived late' },
      { value: 'other', label: 'Something else' },
    ]);
    expect(fields[1]?.value).toBe('late');
    expect(fields[2]).toMatchObject({ path: '/quantity', title: 'quantity', value: 2, min: 1, max: null });
    expect(fields[3]).toMatchObject({ value: true, required: false });
    expect(fields[4]).toMatchObject({ value: undefined, maxLength: 20, description: 'Shown to the customer' });
    expect(fields[5]).toMatchObject({ readOnly: true, value: 'ada@example.com' });
  });

  test('a value of the wrong type at the pointer is not shown as the field value', () => {
    const fields = formFields(refundForm, { refund: { amount: '480' }, quantity: 1.5 });
    expect(fields[0]?.value).toBeUndefined();
    expect(fields[2]?.value).toBeUndefined();
  });

  test('hostile strings come back as the same data, unchanged', () => {
    const form = formSchema.parse({
      type: 'object',
      properties: { text: { type: 'string', title: HOSTILE[0], description: HOSTILE[1], enum: HOSTILE } },
    });
    for (const evil of HOSTILE) {
      const [field] = formFields(form, { text: evil });
      expect(field?.value).toBe(evil);
      expect(field?.options?.map((option) => option.label)).toEqual(HOSTILE);
      expect(field?.title).toBe(HOSTILE[0]);
    }
  });
});

describe('parseFormValues', () => {
  test('numbers and integers become JSON numbers, checkboxes booleans, enums their values', () => {
    const result = parseFormValues(refundForm, {
      amount: ' 100.50 ',
      reason: 'damaged',
      quantity: '3',
      notify: 'on',
      note: 'Sorry!',
      customer: 'mallory@example.com',
    });
    expect(result).toEqual({
      ok: true,
      value: { amount: 100.5, reason: 'damaged', quantity: 3, notify: true, note: 'Sorry!' },
    });
  });

  test('an absent checkbox is false; an empty optional field is left out', () => {
    const result = parseFormValues(refundForm, { amount: '0', reason: 'late', quantity: '', note: '' });
    expect(result).toEqual({ ok: true, value: { amount: 0, reason: 'late', notify: false } });
  });

  test('names each field that is wrong', () => {
    const result = parseFormValues(refundForm, {
      amount: '1e3x',
      reason: 'because',
      quantity: '2.5',
      notify: 'maybe',
      note: 'x'.repeat(21),
    });
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems).toEqual([
      { path: 'amount', message: 'Must be a number' },
      { path: 'notify', message: 'Must be yes or no' },
      { path: 'reason', message: 'Must be one of: damaged, late, other' },
      { path: 'quantity', message: 'Must be a whole number' },
      { path: 'note', message: 'Must be at most 20 characters' },
    ]);
  });

  test('bounds and required fields', () => {
    const result = parseFormValues(refundForm, { amount: '1000.01', quantity: '0' });
    expect(result.ok ? [] : result.problems).toEqual([
      { path: 'amount', message: 'Must be at most 1000' },
      { path: 'reason', message: 'Required' },
      { path: 'quantity', message: 'Must be at least 1' },
    ]);
  });

  test('a repeated field is refused', () => {
    const result = parseFormValues(refundForm, { amount: ['1', '2'], reason: 'late' });
    expect(result.ok ? [] : result.problems).toEqual([{ path: 'amount', message: 'Give one value' }]);
  });

  test('hostile text is kept as text', () => {
    for (const evil of HOSTILE) {
      const result = parseFormValues(refundForm, { amount: '1', reason: 'other', note: evil.slice(0, 20) });
      expect(result).toEqual({ ok: true, value: expect.objectContaining({ note: evil.slice(0, 20) }) });
    }
  });
});

describe('payloadFromForm', () => {
  test('writes each editable value at its pointer into a new payload', () => {
    const values = { amount: 100, reason: 'damaged', quantity: 3, notify: false, note: 'Sorry' };
    const result = payloadFromForm(refundForm, payload, values);
    expect(result).toEqual({
      ok: true,
      value: {
        refund: { amount: 100, reason: 'damaged', currency: 'EUR' },
        quantity: 3,
        notify: false,
        note: 'Sorry',
        customer: { email: 'ada@example.com' },
        untouched: [1, 2, 3],
      },
    });
    expect(payload.refund.amount).toBe(480);
    expect(payload).not.toHaveProperty('note');
  });

  test('read-only fields are never written', () => {
    const result = payloadFromForm(refundForm, payload, { amount: 1, reason: 'late', customer: 'mallory@example.com' });
    expect(result.ok && (result.value as typeof payload).customer.email).toBe('ada@example.com');
  });

  test('creates intermediate objects', () => {
    const form = formSchema.parse({
      type: 'object',
      properties: { city: { type: 'string', 'x-loopgate-path': '/ship~1to/address/city' } },
    });
    expect(payloadFromForm(form, {}, { city: 'Köln' })).toEqual({
      ok: true,
      value: { 'ship/to': { address: { city: 'Köln' } } },
    });
  });

  test('a cleared field removes its value; an empty string stays', () => {
    const form = formSchema.parse({ type: 'object', properties: { a: { type: 'integer' }, b: { type: 'string' } } });
    expect(payloadFromForm(form, { a: 5, b: '', c: 1 }, {})).toEqual({ ok: true, value: { b: '', c: 1 } });
  });

  test.each([
    [
      'through a list',
      { refund: [{ amount: 1 }] },
      '/refund/amount cannot be followed: /refund is a list, not an object',
    ],
    ['through a number', { refund: 5 }, '/refund/amount cannot be followed: /refund is a number, not an object'],
    ['through null', { refund: null }, '/refund/amount cannot be followed: /refund is null, not an object'],
    ['onto an object', { refund: { amount: { cents: 1 } } }, '/refund/amount holds an object, not a single value'],
    ['into a list payload', [1], '/refund/amount cannot be followed: the payload is a list, not an object'],
  ])('refuses a pointer %s', (_name, bad, message) => {
    const form = formSchema.parse({
      type: 'object',
      properties: { amount: { type: 'number', 'x-loopgate-path': '/refund/amount' } },
    });
    const result = payloadFromForm(form, bad, { amount: 1 });
    expect(result.ok).toBe(false);
    const [problem] = result.ok ? [] : result.problems;
    expect(problem?.path).toBe('amount');
    expect(problem?.message).toBe(message);
    expect(formPathProblems(form, bad)).toHaveLength(1);
  });

  test('hostile values are written as data', () => {
    const form = formSchema.parse({ type: 'object', properties: { text: { type: 'string' } } });
    for (const evil of HOSTILE) {
      expect(payloadFromForm(form, {}, { text: evil })).toEqual({ ok: true, value: { text: evil } });
    }
  });
});

describe('validateResponse', () => {
  const responseForm = formSchema.parse({
    type: 'object',
    properties: {
      code: { type: 'string', enum: ['ok', 'fraud'] },
      reply: { type: 'string', minLength: 2, maxLength: 10 },
      email: { type: 'string', format: 'email' },
      site: { type: 'string', format: 'uri' },
      day: { type: 'string', format: 'date' },
      at: { type: 'string', format: 'date-time' },
      score: { type: 'integer', minimum: 1, maximum: 5 },
      agree: { type: 'boolean' },
      shown: { type: 'string', readOnly: true },
    },
    required: ['code', 'agree'],
  });

  test('accepts typed answers', () => {
    const answers = {
      code: 'fraud',
      reply: 'Hi there',
      email: 'a@example.com',
      site: 'https://example.com/x',
      day: '2026-12-02',
      at: '2026-12-02T09:30:00+01:00',
      score: 5,
      agree: false,
    };
    expect(validateResponse(responseForm, answers)).toEqual({ ok: true, value: answers });
  });

  test('names every problem: required, types, bounds, enum, format, unknown and read-only', () => {
    const result = validateResponse(responseForm, {
      reply: 'x',
      email: 'not-an-address',
      site: 'example',
      day: '2026-02-30',
      at: 'yesterday',
      score: '5',
      shown: 'x',
      extra: 1,
    });
    expect(result.ok ? [] : result.problems).toEqual([
      { path: 'shown', message: 'Is read-only' },
      { path: 'extra', message: 'Is not a field of this form' },
      { path: 'code', message: 'Required' },
      { path: 'reply', message: 'Must be at least 2 characters' },
      { path: 'email', message: 'Must be an e-mail address' },
      { path: 'site', message: 'Must be a web address (URL)' },
      { path: 'day', message: 'Must be a date (YYYY-MM-DD)' },
      { path: 'at', message: 'Must be a date and time such as 2026-12-02T09:30:00Z' },
      { path: 'score', message: 'Must be a number' },
      { path: 'agree', message: 'Required' },
    ]);
  });

  test('integers must be whole; answers must be an object', () => {
    expect(validateResponse(responseForm, { code: 'ok', agree: true, score: 2.5 })).toEqual({
      ok: false,
      problems: [{ path: 'score', message: 'Must be a whole number' }],
    });
    expect(validateResponse(responseForm, ['ok']).ok).toBe(false);
    expect(validateResponse(responseForm, null).ok).toBe(false);
  });
});
