import { decodeCursor, encodeCursor } from '../tasks/task-cursor.js';
import { can } from './access.js';
import { newApiKeySecret, newId } from './ids.js';
import { hashPassword, hashToken, verifyPassword } from './secrets.js';

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

  test('passwords hash with scrypt, verify, and reject a wrong password', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('correct horse batterY', stored)).toBe(false);
    expect(await verifyPassword('x', 'bcrypt$whatever')).toBe(false);
  });
});

describe('roles', () => {
  test.each([
    ['viewer', 'task:read', true],
    ['viewer', 'task:decide', false],
    ['viewer', 'task:create', false],
    ['reviewer', 'task:decide', true],
    ['reviewer', 'workspace:admin', false],
    ['admin', 'workspace:admin', true],
  ] as const)('%s may %s: %s', (role, permission, allowed) => {
    expect(can(role, permission)).toBe(allowed);
  });
});

describe('cursors', () => {
  test('round-trip, and anything else is a validation error', () => {
    const cursor = { createdAt: 1_700_000_000_000, id: 'tsk_abc' };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    expect(() => decodeCursor('bogus')).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });
});
