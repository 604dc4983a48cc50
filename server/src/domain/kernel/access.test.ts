import { can } from './access.js';

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
