import { canonicalJson, findJsonShapeProblem, MAX_JSON_DEPTH, payloadDigest } from './json.js';

describe('findJsonShapeProblem', () => {
  test('depth counts containers, objects and arrays alike', () => {
    expect(findJsonShapeProblem(1, 0)).toBeNull();
    expect(findJsonShapeProblem({}, 1)).toBeNull();
    expect(findJsonShapeProblem({ a: [] }, 1)).toEqual({
      path: 'a',
      message: 'JSON may be nested at most 1 levels deep',
    });
    expect(findJsonShapeProblem({ a: [] }, 2)).toBeNull();
  });

  test('names the path of the first offending value', () => {
    expect(findJsonShapeProblem({ items: [{ note: 'ok' }, { note: 'bad \ud800' }] })).toEqual({
      path: 'items[1].note',
      message: expect.stringMatching(/lone UTF-16 surrogate/),
    });
    expect(findJsonShapeProblem({ ['\udfff']: 1 })?.path).toBe('\udfff');
  });

  test('whole surrogate pairs and ordinary text pass', () => {
    expect(findJsonShapeProblem({ emoji: '😀', text: 'Grüße', list: ['a', null, 2, true] })).toBeNull();
  });

  test('a very deep value is refused without recursion', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findJsonShapeProblem(deep)?.message).toBe(`JSON may be nested at most ${MAX_JSON_DEPTH} levels deep`);
  });
});

/** The IEEE 754 double with these 64 bits (RFC 8785 lists its number samples that way). */
function double(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

describe('canonicalJson (RFC 8785)', () => {
  // RFC 8785 Appendix B: IEEE 754 bit patterns and the text each must serialise to.
  const NUMBER_SAMPLES: [string, string][] = [
    ['0000000000000000', '0'],
    ['8000000000000000', '0'], // minus zero
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'], // round to even
  ];

  test.each(NUMBER_SAMPLES)('the double 0x%s serialises as %s', (hex, expected) => {
    expect(canonicalJson(double(hex))).toBe(expected);
    expect(canonicalJson([double(hex)])).toBe(`[${expected}]`);
  });

  test('NaN and Infinity (Appendix B: "must cause an error") are refused, where JSON.stringify writes null', () => {
    expect(JSON.stringify([double('7fffffffffffffff'), double('7ff0000000000000')])).toBe('[null,null]');
    expect(() => canonicalJson(double('7fffffffffffffff'))).toThrow(/the value is NaN/);
    expect(() => canonicalJson({ amount: double('7ff0000000000000') })).toThrow(/amount is Infinity/);
    expect(() => canonicalJson([-Infinity])).toThrow(/\[0\] is -Infinity/);
  });

  test('§3.2.3: members are sorted by UTF-16 code units, not code points or locale', () => {
    const input = JSON.parse(
      '{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One",' +
        '"\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control","\\u00f6":"Latin Small Letter O With Diaeresis"}',
    );
    // U+1F600 is above U+FB33 as a code point, but its first UTF-16 unit (0xD83D) sorts before 0xFB33.
    expect(canonicalJson(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis",' +
        '"€":"Euro Sign","😀":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  test('§3.2.4: the RFC example, with its number forms and string escapes', () => {
    const input = JSON.parse(`{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\"\\/",
      "literals": [null, true, false]
    }`);
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  // The RFC authors' test data (cyberphone/json-canonicalization, testdata/input → output).
  test.each([
    ['arrays', '[56, {"d": true, "10": null, "1": [ ]}]', '[56,{"1":[],"10":null,"d":true}]'],
    [
      'french',
      '{"peach": "This sorting order", "péché": "is wrong according to French", "pêche": "but canonicalization MUST", "sin": "ignore locale"}',
      '{"peach":"This sorting order","péché":"is wrong according to French","pêche":"but canonicalization MUST","sin":"ignore locale"}',
    ],
    [
      'structures',
      '{"1": {"f": {"f": "hi","F": 5} ,"\\n": 56.0}, "10": { }, "": "empty", "a": { }, "111": [ {"e": "yes","E": "no" } ], "A": {"b": "123"}}',
      '{"":"empty","1":{"\\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{"E":"no","e":"yes"}],"A":{"b":"123"},"a":{}}',
    ],
    [
      'weird',
      '{"€": "Euro Sign", "1": "One", "\\u0080": "Control", "\\ud83d\\ude02": "Smiley", "ö": "Latin Small Letter O With Diaeresis", "\\ufb33": "Hebrew Letter Dalet With Dagesh", "</script>": "Browser Challenge"}',
      '{"1":"One","</script>":"Browser Challenge","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign","😂":"Smiley","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    ],
  ])('test data %s', (_name, input, expected) => {
    expect(canonicalJson(JSON.parse(input))).toBe(expected);
  });

  test('control characters are escaped as JSON.stringify does (short forms, else lower-case \\u00xx)', () => {
    expect(canonicalJson('\b\t\n\f\r\u0000\u001f\u007f"\\')).toBe('"\\b\\t\\n\\f\\r\\u0000\\u001f\u007f\\"\\\\"');
  });

  test('what JSON cannot hold is refused with its path instead of being dropped or nulled', () => {
    expect(() => canonicalJson({ a: { b: undefined } })).toThrow('Cannot canonicalise JSON: a.b is of type undefined');
    expect(() => canonicalJson([() => 1])).toThrow('[0] is of type function');
    expect(() => canonicalJson({ big: 1n })).toThrow('big is of type bigint');
    expect(() => canonicalJson({ note: 'half \ud83d' })).toThrow('note contains a lone UTF-16 surrogate');
    expect(() => canonicalJson({ ['\udc00']: 1 })).toThrow('has a name with a lone UTF-16 surrogate');
  });

  test('a very deep value is written without recursion', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    expect(canonicalJson(deep)).toHaveLength(100_000 * 6 + 1);
  });

  // The function API idempotency keys hashed request bodies with before RFC 8785 (server/src/api/tasks.ts):
  // a replay with a key stored then must still hash the same.
  function canonicalJsonBefore(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(canonicalJsonBefore).join(',')}]`;
    if (value && typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJsonBefore(v)}`).join(',')}}`;
    }
    return JSON.stringify(value);
  }

  test('gives the same text as the earlier sorted-keys serialisation for every parsed JSON body', () => {
    const bodies = [
      '{"title":"Refund","payload":{"amount":12.5,"items":[{"sku":"a","qty":1}],"note":null},"tags":["x"]}',
      '{"b":1,"a":{"d":[true,false,null],"c":"\\u00e9\\n\\"quoted\\""},"":0,"A":-0,"Z":1e21,"z":5e-7}',
      '{"\\ud83d\\ude00":1,"\\ufb33":2,"\\u20ac":3,"1":4,"10":5,"2":6}',
      '[0.1,0.2,0.30000000000000004,123456789012345680000,1.7976931348623157e308,5e-324]',
      ...NUMBER_SAMPLES.map(([hex]) => `{"n":${canonicalJson(double(hex))}}`),
    ];
    for (const body of bodies) {
      const parsed = JSON.parse(body);
      expect(canonicalJson(parsed)).toBe(canonicalJsonBefore(parsed));
    }
  });
});

describe('payloadDigest', () => {
  test('is the SHA-256 of the canonical JSON, so member order and whitespace do not change it', async () => {
    // sha256('{"amount":40,"orderId":1234}'), computed outside this code.
    const expected = '1d6479e384fb7b76d5234ca0d4c5a6875dd47c7b55089d28127fd603a816f709';
    await expect(payloadDigest({ orderId: 1234, amount: 40 })).resolves.toBe(expected);
    await expect(payloadDigest(JSON.parse('{ "amount": 40,\n "orderId": 1234 }'))).resolves.toBe(expected);
    await expect(payloadDigest({ orderId: 1234, amount: 41 })).resolves.not.toBe(expected);
  });

  test('refuses what JSON cannot carry instead of hashing a lossy rendering', async () => {
    await expect(payloadDigest({ amount: Number.NaN })).rejects.toThrow(/amount is NaN/);
  });
});
