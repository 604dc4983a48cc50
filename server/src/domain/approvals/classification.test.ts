import type { DetectorConfig } from '@loopgate/shared';
import {
  cardPrefixValid,
  classify,
  customFinder,
  findCards,
  findEmails,
  findIbans,
  findIps,
  findPhones,
  findSecrets,
  findSsns,
  highEntropy,
  luhnValid,
  MAX_SCAN_DEPTH,
  MAX_SCANNED_CHARS,
  MAX_SCANNED_LEAVES,
  maskDocument,
  maxRisk,
  stringLeaves,
} from './classification.js';

const found = (finder: (text: string) => { start: number; end: number }[], text: string) =>
  finder(text).map((span) => text.slice(span.start, span.end));

describe('e-mail addresses', () => {
  it('finds addresses in text', () => {
    expect(found(findEmails, 'Write to ada.lovelace+ops@example.co.uk today')).toEqual([
      'ada.lovelace+ops@example.co.uk',
    ]);
    expect(found(findEmails, 'a@b.io')).toEqual(['a@b.io']);
  });
  it('passes over near misses', () => {
    for (const text of ['user@localhost', '@handle', 'a@b.c1', 'name at example dot com', 'x@-y.com']) {
      expect(found(findEmails, text)).toEqual([]);
    }
  });
});

describe('phone numbers', () => {
  it('finds valid international numbers', () => {
    expect(found(findPhones, 'Call +44 20 7946 0958 after 5')).toEqual(['+44 20 7946 0958']);
    expect(found(findPhones, '+1 415-555-2671')).toEqual(['+1 415-555-2671']);
  });
  it('passes over amounts, dates, ids and national numbers', () => {
    for (const text of [
      '1234567890',
      '2024-05-01',
      'EUR 12,500.00',
      '+12',
      '+1 000 000 0000',
      '415 555 2671',
      '1700000000000',
    ]) {
      expect(found(findPhones, text)).toEqual([]);
    }
  });
});

describe('IBANs', () => {
  it('finds valid IBANs, grouped or not, in any case', () => {
    expect(found(findIbans, 'DE89370400440532013000')).toEqual(['DE89370400440532013000']);
    expect(found(findIbans, 'Pay to DE89 3704 0044 0532 0130 00 by Friday')).toEqual(['DE89 3704 0044 0532 0130 00']);
    expect(found(findIbans, 'gb82west12345698765432')).toEqual(['gb82west12345698765432']);
  });
  it('passes over a bad checksum, a wrong length and unknown countries', () => {
    for (const text of [
      'DE89370400440532013001',
      'DE8937040044053201300',
      'XX89370400440532013000',
      'DE89370400440532013000123',
    ]) {
      expect(found(findIbans, text)).toEqual([]);
    }
  });
});

describe('payment card numbers', () => {
  it('finds Luhn-valid numbers with a network prefix, grouped or not', () => {
    expect(found(findCards, '4111111111111111')).toEqual(['4111111111111111']);
    expect(found(findCards, 'card 4111 1111 1111 1111 exp 12/29')).toEqual(['4111 1111 1111 1111']);
    expect(found(findCards, '5500-0000-0000-0004')).toEqual(['5500-0000-0000-0004']);
    expect(found(findCards, '378282246310005')).toEqual(['378282246310005']);
  });
  it('passes over a 16-digit number failing Luhn, a Luhn-valid number without a network, and longer digit runs', () => {
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(found(findCards, '4111111111111112')).toEqual([]);
    expect(luhnValid('1234567812345670')).toBe(true);
    expect(cardPrefixValid('1234567812345670')).toBe(false);
    expect(found(findCards, '1234567812345670')).toEqual([]);
    expect(found(findCards, '41111111111111110000000')).toEqual([]);
    expect(found(findCards, '4111-1111 1111-1111')).toEqual([]);
    expect(found(findCards, '378282246310005'.slice(0, 14))).toEqual([]);
  });
});

describe('US SSNs', () => {
  it('finds dashed numbers in issued ranges', () => {
    expect(found(findSsns, 'SSN 123-45-6789.')).toEqual(['123-45-6789']);
  });
  it('passes over the ranges the SSA never issues and undashed or longer runs', () => {
    for (const text of [
      '000-12-3456',
      '666-12-3456',
      '912-34-5678',
      '123-00-4567',
      '123-45-0000',
      '123456789',
      '2024-01-12-3456',
      '123-45-6789-0',
    ]) {
      expect(found(findSsns, text)).toEqual([]);
    }
  });
});

describe('IP addresses', () => {
  it('finds v4 and v6 addresses', () => {
    expect(found(findIps, 'from 192.168.1.20, then')).toEqual(['192.168.1.20']);
    expect(found(findIps, 'host 2001:db8::8a2e:370:7334 up')).toEqual(['2001:db8::8a2e:370:7334']);
    expect(found(findIps, 'fe80::1:2')).toEqual(['fe80::1:2']);
  });
  it('passes over versions, times, C++ names and out-of-range quads', () => {
    for (const text of [
      'v1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '01.2.3.4',
      '12:30:45',
      'std::vector',
      '00:1A:2B:3C:4D:5E',
    ]) {
      expect(found(findIps, text)).toEqual([]);
    }
  });
});

describe('secrets', () => {
  it('finds provider keys by prefix', () => {
    const keys = [
      'AKIAIOSFODNN7EXAMPLE',
      `ghp_${'a1B2c3D4e5'.repeat(3)}abcdef`,
      'xoxb-1234567890-abcdefghij',
      `sk_live_${'4eC39HqLyjWDarjtT1zdp7dc'}`,
      `sk-proj-${'abcDEF123_'.repeat(3)}`,
      `AIza${'SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY'}`,
      '-----BEGIN RSA PRIVATE KEY-----',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
    ];
    for (const key of keys) expect(found(findSecrets, `token: ${key} end`)).toEqual([key]);
  });
  it('finds high-entropy tokens', () => {
    expect(found(findSecrets, 'key: Q7fZ2kLp9XwR4mTb8VnC3yHs6JdG1aEu')).toEqual(['Q7fZ2kLp9XwR4mTb8VnC3yHs6JdG1aEu']);
  });
  it('passes over UUIDs, hex digests, identifiers, paths, short keys and blobs', () => {
    for (const token of [
      '550e8400-e29b-41d4-a716-446655440000',
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'ThisIsAVeryLongCamelCaseIdentifierName2024',
      'abc123ABC123abc123ABC123abc123AB',
      '/srv/data/Exports2024/Quarterly/ReportFinal9',
      'AKIAIOSFODNN7EXAMPL',
      'Q7fZ2kLp9XwR4mTb8VnC3yHs'.repeat(30),
    ]) {
      expect(highEntropy(token) && found(findSecrets, token).length > 0).toBe(false);
      expect(found(findSecrets, token)).toEqual([]);
    }
  });
});

describe('custom patterns', () => {
  it('matches with RE2, every occurrence', () => {
    const find = customFinder('EMP-[0-9]{6}');
    expect(found(find, 'EMP-123456 and EMP-654321, not EMP-12')).toEqual(['EMP-123456', 'EMP-654321']);
  });
});

const detectors: DetectorConfig[] = [
  { detector: 'iban', raiseTo: 'high' },
  { detector: 'email', raiseTo: 'medium' },
  { detector: 'custom', name: 'Employee id', pattern: 'EMP-[0-9]{6}', raiseTo: 'critical' },
];

describe('classify', () => {
  it('records detectors and paths, never values, and raises to the highest mapped level', () => {
    const result = classify(
      detectors,
      {
        payload: { account: { iban: 'DE89370400440532013000' }, to: ['x', 'ops@example.com'] },
        context: { note: 'EMP-000042' },
      },
      'low',
    );
    expect(result).toEqual({
      findings: [
        { detector: 'iban', name: null, paths: ['/payload/account/iban'] },
        { detector: 'email', name: null, paths: ['/payload/to/1'] },
        { detector: 'custom', name: 'Employee id', paths: ['/context/note'] },
      ],
      raisedTo: 'critical',
      raisedFrom: 'low',
      truncated: false,
    });
    expect(JSON.stringify(result)).not.toContain('DE89');
  });

  it('never lowers the agent level; null counts as lowest; no detectors: null', () => {
    const payload = { iban: 'DE89370400440532013000' };
    expect(classify(detectors, { payload, context: null }, 'critical')?.raisedTo).toBeNull();
    expect(classify(detectors, { payload, context: null }, null)).toMatchObject({ raisedTo: 'high', raisedFrom: null });
    expect(classify([], { payload, context: null }, null)).toBeNull();
    expect(classify(detectors, { payload: { iban: 'DE89370400440532013001' }, context: null }, 'low')).toEqual({
      findings: [],
      raisedTo: null,
      raisedFrom: null,
      truncated: false,
    });
    expect(maxRisk(null, 'low')).toBe('low');
    expect(maxRisk('high', 'medium')).toBe('high');
  });

  it('escapes pointer tokens', () => {
    const result = classify(detectors, { payload: { 'a/b': { '~x': 'ops@example.com' } }, context: null }, null);
    expect(result?.findings[0]?.paths).toEqual(['/payload/a~1b/~0x']);
  });

  it('stops at the caps and says so', () => {
    let deep: unknown = 'ops@example.com';
    for (let i = 0; i < MAX_SCAN_DEPTH + 5; i++) deep = { d: deep };
    expect(stringLeaves({ payload: deep as never, context: null }).truncated).toBe(true);
    const many = Array.from({ length: MAX_SCANNED_LEAVES + 1 }, () => 'x');
    expect(stringLeaves({ payload: many, context: null }).truncated).toBe(true);
    const long = ['y'.repeat(MAX_SCANNED_CHARS), 'ops@example.com'];
    const result = classify(detectors, { payload: long, context: null }, null);
    expect(result).toMatchObject({ findings: [], truncated: true });
  });

  it('a payload of phone-shaped windows spends a bounded budget, then says truncated', () => {
    const started = performance.now();
    const result = classify(
      [{ detector: 'phone', raiseTo: 'high' }],
      { payload: { s: '+12345678 '.repeat(20_000) }, context: null },
      null,
    );
    expect(performance.now() - started).toBeLessThan(1000);
    expect(result?.truncated).toBe(true);
  });

  it('gets through regex bait quickly', () => {
    const bait = {
      digits: '4'.repeat(80_000),
      at: `${'a'.repeat(60)}@`.repeat(1000),
      colons: ':'.repeat(40_000),
      plus: '+1 '.repeat(10_000),
      dashes: '123-'.repeat(10_000),
    };
    const started = performance.now();
    const result = classify(
      ['email', 'phone', 'iban', 'card', 'ssn', 'ip', 'secret'].map(
        (detector) => ({ detector, raiseTo: 'high' }) as DetectorConfig,
      ),
      { payload: bait, context: null },
      null,
    );
    expect(performance.now() - started).toBeLessThan(500);
    expect(result?.truncated).toBe(false);
  });
});

describe('maskDocument', () => {
  it('replaces the string fields a detector fired on, and nothing else', () => {
    const classification = classify(
      detectors,
      { payload: { iban: 'DE89370400440532013000', n: 'ok', list: ['ops@example.com'] }, context: null },
      null,
    );
    expect(
      maskDocument({ iban: 'DE89370400440532013000', n: 'ok', list: ['ops@example.com'] }, 'payload', classification),
    ).toEqual({
      iban: '•••• (IBAN)',
      n: 'ok',
      list: ['•••• (E-mail address)'],
    });
    expect(maskDocument({ a: 1 }, 'payload', null)).toEqual({ a: 1 });
  });
});
