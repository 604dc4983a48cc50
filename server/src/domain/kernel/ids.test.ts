import { newApiKeySecret, newId } from './ids.js';
import { hashToken } from './secrets.js';

describe('ids and secrets', () => {
  test('ids carry their prefix and sort by creation time', () => {
    const early = newId('task', 1_000_000);
    const late = newId('task', 2_000_000);
    expect(early).toMatch(/^tsk_[0-9a-z]{25}$/);
    expect(early < late).toBe(true);
    expect(newId('workspace')).toMatch(/^wsp_/);
  });

  test('API keys show a public prefix and hash deterministically', () => {
    const { key, prefix } = newApiKeySecret();
    expect(key.startsWith(`${prefix}_`)).toBe(true);
    expect(hashToken(key)).toBe(hashToken(key));
    expect(hashToken(key)).not.toBe(hashToken(newApiKeySecret().key));
  });
});
