import { buildFormFromRows } from './form-builder.js';
import { formSchema } from './forms.js';

describe('buildFormFromRows', () => {
  test('rows become a form the server accepts: types, enum labels, required, paths, read-only', () => {
    const built = buildFormFromRows(
      [
        { name: 'amount', label: 'Refund amount', type: 'number', required: true, path: '/refund/amount' },
        { name: 'reason', label: 'Reason', type: 'enum', options: 'damaged=Arrived damaged, late=Arrived late' },
        { name: 'count', type: 'integer' },
        { name: 'notify', label: 'Tell the customer', type: 'boolean' },
        { name: 'customer', type: 'string', readOnly: true },
        { name: '', label: '' },
      ],
      'Form Fields',
      true,
    );
    expect(built).toEqual({
      ok: true,
      form: {
        type: 'object',
        properties: {
          amount: { type: 'number', title: 'Refund amount', 'x-loopgate-path': '/refund/amount' },
          reason: {
            type: 'string',
            title: 'Reason',
            enum: ['damaged', 'late'],
            enumNames: ['Arrived damaged', 'Arrived late'],
          },
          count: { type: 'integer' },
          notify: { type: 'boolean', title: 'Tell the customer' },
          customer: { type: 'string', readOnly: true },
        },
        required: ['amount'],
      },
    });
    expect(built.ok && formSchema.safeParse(built.form).success).toBe(true);
  });

  test('no rows (or only empty ones) is no form; plain enum options have no labels', () => {
    expect(buildFormFromRows(undefined, 'x', true)).toEqual({ ok: true, form: undefined });
    expect(buildFormFromRows([{}], 'x', true)).toEqual({ ok: true, form: undefined });
    const built = buildFormFromRows([{ name: 'code', type: 'enum', options: 'a\nb' }], 'x', false);
    expect(built.ok && built.form?.properties.code).toEqual({ type: 'string', enum: ['a', 'b'] });
  });

  test.each([
    [[{ name: '1st' }], true, /name must start/],
    [[{ name: 'a' }, { name: 'a' }], true, /used twice/],
    [[{ name: 'a', type: 'date' }], true, /type must be one of/],
    [[{ name: 'a', type: 'enum' }], true, /needs options/],
    [[{ name: 'a', type: 'enum', options: 'x, x' }], true, /listed twice/],
    [[{ name: 'a', path: 'refund' }], true, /JSON Pointer/],
    [[{ name: 'a', path: '/a' }], false, /no payload path/],
    [[{ name: 'a', readOnly: true }], false, /cannot be read-only/],
  ])('refuses %j (editable %s) naming the field', (rows, editable, message) => {
    const built = buildFormFromRows(rows, 'Response Fields', editable);
    expect(built.ok).toBe(false);
    expect(built.ok ? '' : built.message).toMatch(message);
    expect(built.ok ? '' : built.message).toMatch(/^Response Fields, field \d/);
  });
});
