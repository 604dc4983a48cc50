import { type Condition, type FieldCondition, policyRuleSchema, queueConfigSchema } from '@loopgate/shared';
import type { JsonValue } from '../tasks/task-record.js';
import { describeCondition, evaluateCondition, jsonEqual, resolvePointer } from './field-rules.js';
import { evaluatePolicy, type RoutableTask } from './routing-policy.js';

const payload: { [key: string]: JsonValue } = {
  amount: 50000,
  amountText: '10000',
  currency: 'EUR',
  note: null,
  tags: ['urgent', 'vip'],
  lines: [{ sku: 'A-1', qty: 2 }, { sku: 'B-2' }],
  'a/b': 'slash',
  'm~n': 'tilde',
  customer: { tier: 'gold', since: '2019-04-01' },
  iban: 'DE89370400440532013000',
};
const documents = { payload, context: { region: 'eu', customer: { flagged: true } } };

const field = (
  path: string,
  op: FieldCondition['op'],
  value?: FieldCondition['value'],
  extra = {},
): FieldCondition => ({
  type: 'field',
  path,
  op,
  ...(value === undefined ? {} : { value }),
  ...extra,
});
const matches = (condition: Condition) => evaluateCondition(condition, documents).matched;
const reason = (condition: Condition) => evaluateCondition(condition, documents).reason;

describe('resolvePointer', () => {
  test.each([
    ['/amount', { found: true, value: 50000 }],
    ['/customer/tier', { found: true, value: 'gold' }],
    ['/lines/0/sku', { found: true, value: 'A-1' }],
    ['/lines/1/qty', { found: false }],
    ['/lines/2', { found: false }],
    ['/lines/01', { found: false }],
    ['/lines/-', { found: false }],
    ['/a~1b', { found: true, value: 'slash' }],
    ['/m~0n', { found: true, value: 'tilde' }],
    ['/note', { found: true, value: null }],
    ['/note/deeper', { found: false }],
    ['/amount/0', { found: false }],
    ['/missing', { found: false }],
    ['/constructor', { found: false }],
    ['/toString', { found: false }],
  ])('%s', (pointer, expected) => {
    expect(resolvePointer(payload, pointer)).toEqual(expected);
  });

  test('a null context has no fields', () => {
    expect(resolvePointer(null, '/region')).toEqual({ found: false });
  });
});

describe('jsonEqual', () => {
  test('structural: member order does not matter, types do', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual('1', 1)).toBe(false);
    expect(jsonEqual(null, {})).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(jsonEqual([], {})).toBe(false);
  });
});

describe('field operators', () => {
  test.each<[string, FieldCondition, boolean]>([
    ['eq number', field('/amount', 'eq', 50000), true],
    ['eq 1.0 is 1', field('/lines/0/qty', 'eq', 2.0), true],
    ['eq object', field('/customer', 'eq', { since: '2019-04-01', tier: 'gold' }), true],
    ['eq null', field('/note', 'eq', null), true],
    ['eq string vs number', field('/amountText', 'eq', 10000), false],
    ['ne', field('/currency', 'ne', 'USD'), true],
    ['ne same', field('/currency', 'ne', 'EUR'), false],
    ['gt', field('/amount', 'gt', 10000), true],
    ['gt equal', field('/amount', 'gt', 50000), false],
    ['gte equal', field('/amount', 'gte', 50000), true],
    ['lt', field('/amount', 'lt', 50001), true],
    ['lte', field('/amount', 'lte', 49999), false],
    ['gt on a numeric string is typed', field('/amountText', 'gt', 9000), false],
    ['gt string with string', field('/customer/since', 'gt', '2018-12-31'), true],
    ['lt string with string', field('/customer/since', 'lt', '2019-01-01'), false],
    ['gt on null', field('/note', 'gt', 0), false],
    ['gt on a list', field('/tags', 'gt', 0), false],
    ['in', field('/currency', 'in', ['USD', 'EUR']), true],
    ['in, not there', field('/currency', 'in', ['USD', 'GBP']), false],
    ['in with objects', field('/lines/1', 'in', [{ sku: 'B-2' }]), true],
    ['nin', field('/currency', 'nin', ['USD', 'GBP']), true],
    ['nin, there', field('/currency', 'nin', ['EUR']), false],
    ['exists', field('/note', 'exists'), true],
    ['exists true', field('/customer/tier', 'exists', true), true],
    ['exists, missing', field('/customer/vat', 'exists'), false],
    ['exists false, missing', field('/customer/vat', 'exists', false), true],
    ['exists false, present', field('/amount', 'exists', false), false],
    ['contains substring', field('/iban', 'contains', '3704'), true],
    ['contains, case-sensitive', field('/currency', 'contains', 'eur'), false],
    ['contains element', field('/tags', 'contains', 'vip'), true],
    ['contains element, missing', field('/tags', 'contains', 'vi'), false],
    ['contains object element', field('/lines', 'contains', { sku: 'B-2' }), true],
    ['contains on a number', field('/amount', 'contains', '5'), false],
    ['matches', field('/iban', 'matches', '^DE\\d{20}$'), true],
    ['matches anywhere', field('/iban', 'matches', '0532'), true],
    ['matches, no', field('/iban', 'matches', '^FR'), false],
    ['matches case-insensitive flag', field('/currency', 'matches', '(?i)^eur$'), true],
    ['matches on a number', field('/amount', 'matches', '5'), false],
  ])('%s', (_name, condition, expected) => {
    expect(matches(condition)).toBe(expected);
  });

  test.each(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'nin', 'contains', 'matches'] as const)(
    'a missing field never matches %s',
    (op) => {
      const value = op === 'in' || op === 'nin' ? ['x'] : op === 'matches' ? '.*' : 'x';
      expect(matches(field('/missing', op, value))).toBe(false);
      expect(reason(field('/missing', op, value))).toBe('missing is missing');
    },
  );

  test('context is read with in: context', () => {
    expect(matches(field('/region', 'eq', 'eu', { in: 'context' }))).toBe(true);
    expect(matches(field('/region', 'eq', 'eu'))).toBe(false);
    expect(evaluateCondition(field('/region', 'exists', true, { in: 'context' }), { payload, context: null })).toEqual({
      matched: false,
      reason: 'context.region is missing',
    });
  });

  test('a pathological subject does not backtrack', () => {
    const bait = { text: `${'a'.repeat(50_000)}!` };
    const result = evaluateCondition(field('/text', 'matches', '^(a+)+$'), { payload: bait, context: null });
    expect(result.matched).toBe(false);
  });
});

describe('reasons name the field and the value', () => {
  test.each<[Condition, string]>([
    [field('/amount', 'gt', 10000), 'amount 50000 > 10000'],
    [field('/amount', 'lt', 10000), 'amount 50000 is not < 10000'],
    [field('/amountText', 'gt', 9000), 'amountText "10000" is not > 9000 (a string is not compared with a number)'],
    [field('/customer/tier', 'in', ['gold', 'platinum']), 'customer.tier "gold" is one of ["gold","platinum"]'],
    [field('/region', 'eq', 'eu', { in: 'context' }), 'context.region "eu" = "eu"'],
    [field('/iban', 'matches', '^DE'), 'iban "DE89370400440532013000" matches /^DE/'],
    [field('/a~1b', 'exists'), 'a/b is present'],
    [field('/vat', 'exists', false), 'vat is missing'],
  ])('%j', (condition, expected) => {
    expect(reason(condition)).toBe(expected);
  });

  test('long agent values are cut', () => {
    const long = { text: 'x'.repeat(500) };
    const text = evaluateCondition(field('/text', 'contains', 'x'), { payload: long, context: null }).reason;
    expect(text.length).toBeLessThan(100);
    expect(text).toContain('…');
  });
});

describe('combinators', () => {
  const big = field('/amount', 'gt', 10000);
  const eur = field('/currency', 'eq', 'EUR');
  const usd = field('/currency', 'eq', 'USD');

  test('all: every test, joined reasons; the first failure explains a miss', () => {
    expect(evaluateCondition({ type: 'all', rules: [big, eur] }, documents)).toEqual({
      matched: true,
      reason: 'amount 50000 > 10000 and currency "EUR" = "EUR"',
    });
    expect(evaluateCondition({ type: 'all', rules: [big, usd] }, documents)).toEqual({
      matched: false,
      reason: 'currency "EUR" is not = "USD"',
    });
  });

  test('any: the first match explains it', () => {
    expect(evaluateCondition({ type: 'any', rules: [usd, eur, big] }, documents)).toEqual({
      matched: true,
      reason: 'currency "EUR" = "EUR"',
    });
    expect(matches({ type: 'any', rules: [usd, field('/amount', 'lt', 1)] })).toBe(false);
  });

  test('not inverts, and says what it negated', () => {
    expect(evaluateCondition({ type: 'not', rule: usd }, documents)).toEqual({
      matched: true,
      reason: 'currency "EUR" is not = "USD"',
    });
    expect(evaluateCondition({ type: 'not', rule: eur }, documents)).toEqual({
      matched: false,
      reason: 'not (currency "EUR" = "EUR")',
    });
    expect(matches({ type: 'not', rule: field('/vat', 'exists') })).toBe(true);
  });

  test('nested', () => {
    const nested: Condition = { type: 'all', rules: [big, { type: 'any', rules: [usd, { type: 'not', rule: usd }] }] };
    expect(matches(nested)).toBe(true);
    expect(describeCondition(nested)).toBe('amount > 10000 and (currency = "USD" or not (currency = "USD"))');
  });
});

describe('the schema', () => {
  const problems = (rule: unknown) => {
    const parsed = policyRuleSchema.safeParse(rule);
    return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  };

  test('accepts the documented shapes', () => {
    expect(problems({ type: 'field', path: '/amount', op: 'gt', value: 10000, levels: 2 })).toEqual([]);
    expect(problems({ type: 'field', in: 'context', path: '/x', op: 'exists' })).toEqual([]);
    expect(
      problems({ type: 'all', rules: [{ type: 'field', path: '/a', op: 'eq', value: 1 }], outcome: 'auto_approve' }),
    ).toEqual([]);
    expect(problems({ type: 'not', rule: { type: 'field', path: '/a', op: 'exists', value: false } })).toEqual([]);
  });

  test.each<[string, unknown, string]>([
    ['gt without a value', { type: 'field', path: '/a', op: 'gt' }, 'value: gt compares with a number or a string'],
    [
      'gt with a list',
      { type: 'field', path: '/a', op: 'gt', value: [1] },
      'value: gt compares with a number or a string',
    ],
    [
      'in with a scalar',
      { type: 'field', path: '/a', op: 'in', value: 'x' },
      'value: in needs "value": a non-empty list',
    ],
    [
      'in with nothing',
      { type: 'field', path: '/a', op: 'nin', value: [] },
      'value: nin needs "value": a non-empty list',
    ],
    ['exists with a string', { type: 'field', path: '/a', op: 'exists', value: 'yes' }, 'value: exists takes'],
    ['eq without a value', { type: 'field', path: '/a', op: 'eq' }, 'value: eq needs "value"'],
    [
      'a backreference',
      { type: 'field', path: '/a', op: 'matches', value: '(a)\\1' },
      'value: not a pattern RE2 accepts',
    ],
    ['lookahead', { type: 'field', path: '/a', op: 'matches', value: 'a(?=b)' }, 'value: not a pattern RE2 accepts'],
    [
      'a long pattern',
      { type: 'field', path: '/a', op: 'matches', value: 'a'.repeat(257) },
      'value: patterns are at most 256',
    ],
    ['no leading slash', { type: 'field', path: 'amount', op: 'eq', value: 1 }, 'path: Must be a JSON Pointer'],
    ['the whole document', { type: 'field', path: '', op: 'eq', value: 1 }, 'path: Must be a JSON Pointer'],
    ['a bad escape', { type: 'field', path: '/a~2', op: 'eq', value: 1 }, 'path: Must be a JSON Pointer'],
    ['an unknown operator', { type: 'field', path: '/a', op: 'between', value: 1 }, 'op: '],
    ['an empty all', { type: 'all', rules: [] }, 'rules: '],
    [
      'levels inside a nested test',
      { type: 'any', rules: [{ type: 'field', path: '/a', op: 'exists', levels: 2 }] },
      'rules.0',
    ],
  ])('refuses %s', (_name, rule, expected) => {
    expect(problems(rule).join('\n')).toContain(expected);
  });

  test('refuses nesting deeper than 5', () => {
    let condition: unknown = { type: 'field', path: '/a', op: 'exists' };
    for (let i = 0; i < 5; i++) condition = { type: 'not', rule: condition };
    expect(problems(condition).join('\n')).toContain('nest at most 5 deep');
    expect(problems((condition as { rule: unknown }).rule)).toEqual([]);
  });
});

describe('field rules in a routing policy', () => {
  const config = queueConfigSchema.parse({
    levels: [{ name: 'finance' }, { name: 'cfo' }],
    policy: {
      rules: [
        { type: 'field', path: '/amount', op: 'gt', value: 10000, levels: 2 },
        { type: 'field', path: '/amount', op: 'lte', value: 100, outcome: 'auto_approve' },
        { type: 'field', path: '/currency', op: 'eq', value: 'EUR', levels: 1 },
      ],
      otherwise: 'review',
    },
  });
  const task = (amount: unknown, currency = 'EUR'): RoutableTask => ({
    id: 'tsk_field',
    confidence: 0.99,
    riskLevel: 'low',
    payload: { amount: amount as number, currency },
    context: null,
    tags: [],
  });

  test('the €50,000 wire needs two levels and says why', () => {
    expect(evaluatePolicy(config, task(50000))).toMatchObject({
      outcome: 'review',
      rule: 'rules[0]:field',
      reason: 'amount 50000 > 10000',
      levels: 2,
    });
  });

  test('the €5 refund is approved automatically', () => {
    expect(evaluatePolicy(config, task(5))).toMatchObject({
      outcome: 'auto_approve',
      rule: 'rules[1]:field',
      reason: 'Auto-approved: amount 5 ≤ 100',
      levels: 0,
    });
  });

  test('a rule that does not match lets the next decide; typed: "50000" as text is not > 10000', () => {
    expect(evaluatePolicy(config, task(500))).toMatchObject({ rule: 'rules[2]:field', levels: 1 });
    expect(evaluatePolicy(config, task('50000'))).toMatchObject({ rule: 'rules[2]:field', levels: 1 });
    expect(evaluatePolicy(config, task(500, 'CHF'))).toMatchObject({ rule: 'otherwise', levels: 2 });
  });
});
