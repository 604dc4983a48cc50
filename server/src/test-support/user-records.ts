import type { UserRecord } from '../domain/admin/admin-ports.js';

/** A user row as the store holds it, for tests that write accounts without the service: nameless, with a password. */
export function userRecord(id: string, email: string, extra: Partial<UserRecord> = {}): UserRecord {
  return { id, email, name: null, passwordHash: 'hash', createdAt: 1, ...extra };
}
