import { applyPatch } from 'diff';
import {
  fieldChanges,
  lineDiff,
  parseEditedPayload,
  payloadText,
  samePayload,
  unifiedDiffLines,
  unifiedPayloadDiff,
} from './payload-diff.js';

describe('payload diffs', () => {
  test('a JSON edit is stored as a unified diff that applies to the original to give the modified payload', () => {
    const original = { order: 1234, lines: Array.from({ length: 20 }, (_, i) => ({ sku: `A${i}`, qty: 1 })) };
    const modified = { ...original, lines: original.lines.map((l, i) => (i === 10 ? { ...l, qty: 3 } : l)) };
    const diff = unifiedPayloadDiff(original, modified);
    expect(diff.startsWith('--- original\n+++ modified\n@@ ')).toBe(true);
    expect(diff).toContain('-      "qty": 1\n+      "qty": 3\n');
    // Three lines of context, not the whole payload.
    expect(diff.split('\n').length).toBeLessThan(15);
    expect(applyPatch(`${payloadText(original)}\n`, diff)).toBe(`${payloadText(modified)}\n`);
  });

  test('a text payload is compared line by line as written', () => {
    const diff = unifiedPayloadDiff(
      'Dear customer,\nyour refund is 50 EUR.\nRegards',
      'Dear customer,\nyour refund is 40 EUR.\nRegards',
    );
    expect(unifiedDiffLines(diff)).toEqual([
      { kind: 'header', text: '--- original' },
      { kind: 'header', text: '+++ modified' },
      { kind: 'hunk', text: '@@ -1,3 +1,3 @@' },
      { kind: 'same', text: 'Dear customer,' },
      { kind: 'remove', text: 'your refund is 50 EUR.' },
      { kind: 'add', text: 'your refund is 40 EUR.' },
      { kind: 'same', text: 'Regards' },
    ]);
  });

  test('an edit too large to diff in bounded time falls back to all-removed, all-added, which still applies', () => {
    const before = Array.from({ length: 12_000 }, (_, i) => `line ${i}`).join('\n');
    const after = Array.from({ length: 12_000 }, (_, i) => `other ${i}`).join('\n');
    const diff = unifiedPayloadDiff(before, after);
    expect(diff.startsWith('--- original\n+++ modified\n@@ -1,12000 +1,12000 @@\n-line 0\n')).toBe(true);
    expect(applyPatch(`${before}\n`, diff)).toBe(`${after}\n`);
    const preview = lineDiff(before, after);
    expect(preview.filter((line) => line.op === 'remove')).toHaveLength(12_000);
    expect(preview.filter((line) => line.op === 'add')).toHaveLength(12_000);
    expect(preview.some((line) => line.op === 'same')).toBe(false);
  });

  test('the preview marks every line of both texts', () => {
    expect(lineDiff('a\nb\nc', 'a\nB\nc')).toEqual([
      { op: 'same', text: 'a' },
      { op: 'remove', text: 'b' },
      { op: 'add', text: 'B' },
      { op: 'same', text: 'c' },
    ]);
  });

  test('an edited payload deeper than the API allows, or with a lone surrogate, is refused in words', () => {
    const deep = `${'['.repeat(65)}${']'.repeat(65)}`;
    expect(parseEditedPayload({ a: 1 }, deep)).toEqual({
      ok: false,
      error: expect.stringMatching(/at most 64 levels deep/),
    });
    expect(parseEditedPayload({ a: 1 }, '{"note":"\\ud800"}')).toEqual({
      ok: false,
      error: expect.stringMatching(/^The payload at note contains a lone UTF-16 surrogate/),
    });
    expect(parseEditedPayload({ a: 1 }, '{"note":"\\ud83d\\ude00"}')).toEqual({ ok: true, value: { note: '😀' } });
  });
});

describe('field changes', () => {
  test('each changed leaf is named by its path, in payload order, with its value before and after', () => {
    const original = { refund: { amount: 480, currency: 'EUR' }, lines: [{ qty: 1 }, { qty: 2 }], 'odd key': true };
    const modified = { refund: { amount: 100, currency: 'EUR', note: 'cap' }, lines: [{ qty: 3 }], 'odd key': false };
    expect(fieldChanges(original, modified)).toEqual([
      { path: 'refund.amount', op: 'changed', before: '480', after: '100' },
      { path: 'refund.note', op: 'added', after: '"cap"' },
      { path: 'lines[0].qty', op: 'changed', before: '1', after: '3' },
      { path: 'lines[1]', op: 'removed', before: '{"qty":2}' },
      { path: '["odd key"]', op: 'changed', before: 'true', after: 'false' },
    ]);
  });

  test('a text payload or a changed type is one change; reordered keys are none', () => {
    expect(fieldChanges('Dear a', 'Dear b')).toEqual([
      { path: '', op: 'changed', before: '"Dear a"', after: '"Dear b"' },
    ]);
    expect(fieldChanges({ a: [1] }, { a: { 0: 1 } })).toEqual([
      { path: 'a', op: 'changed', before: '[1]', after: '{"0":1}' },
    ]);
    expect(samePayload({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(samePayload({ a: 1 }, { a: '1' })).toBe(false);
  });
});
