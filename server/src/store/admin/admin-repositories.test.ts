import type { ApiKeyRecord } from '../../domain/admin/admin-ports.js';
import type { Store } from '../../domain/store.js';
import { DATABASES, openTestStore } from '../../test-support/databases.js';

const apiKey = (id: string, extra: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
  id,
  workspaceId: 'wsp_admin_a',
  name: `key ${id}`,
  role: 'reviewer',
  prefix: `lg_${id.slice(-4)}`,
  keyHash: `hash_${id}`,
  createdAt: 1_000,
  revokedAt: null,
  lastUsedAt: null,
  createdBy: null,
  ...extra,
});

for (const database of DATABASES) {
  describe(`${database}: admin repositories`, () => {
    let store: Store;
    let close: () => Promise<void>;
    const a = { id: 'wsp_admin_a', slug: 'admin-a', name: 'Admin "A"', createdAt: 1_764_000_000_000 };
    const b = { id: 'wsp_admin_b', slug: 'admin-b', name: 'B', createdAt: 1_764_000_000_000 };

    beforeAll(async () => {
      ({ store, close } = await openTestStore(database));
      await store.transaction(async (tx) => {
        await tx.workspaces.insert(b);
        await tx.workspaces.insert(a);
      });
    });
    afterAll(async () => close());

    test('workspaces come back as written, by id, by slug and listed oldest first', async () => {
      expect(await store.read.workspaces.findById(a.id)).toEqual(a);
      expect(await store.read.workspaces.findBySlug('admin-b')).toEqual(b);
      expect(await store.read.workspaces.findBySlug('nope')).toBeNull();
      expect(await store.read.workspaces.list()).toEqual([a, b]);
    });

    test('users: a taken address is refused, the first password is set once, a reset always', async () => {
      const user = { id: 'usr_a', email: 'ann@example.com', name: null, passwordHash: null, createdAt: 5 };
      expect(await store.transaction((tx) => tx.users.insert(user))).toBe(true);
      expect(await store.transaction((tx) => tx.users.insert({ ...user, id: 'usr_other' }))).toBe(false);
      expect(await store.read.users.findById('usr_a')).toEqual(user);
      expect(await store.read.users.findByEmail('ann@example.com')).toEqual(user);
      expect(await store.transaction((tx) => tx.users.setFirstPassword('usr_a', 'h1'))).toBe(true);
      expect(await store.transaction((tx) => tx.users.setFirstPassword('usr_a', 'h2'))).toBe(false);
      expect(await store.read.users.findById('usr_a')).toEqual({ ...user, passwordHash: 'h1' });
      expect(await store.transaction((tx) => tx.users.setPassword('usr_a', 'h3'))).toBe(true);
      expect(await store.transaction((tx) => tx.users.setPassword('usr_missing', 'h3'))).toBe(false);
      expect((await store.read.users.findById('usr_a'))?.passwordHash).toBe('h3');
    });

    test('memberships: add keeps an existing role, upsert replaces it', async () => {
      const user = { id: 'usr_m', email: 'mo@example.com', name: 'Mo', passwordHash: 'h', createdAt: 5 };
      await store.transaction((tx) => tx.users.insert(user));
      const membership = {
        workspaceId: a.id,
        userId: 'usr_m',
        role: 'reviewer' as const,
        createdAt: 6,
        deactivatedAt: null,
      };
      expect(await store.transaction((tx) => tx.users.addMembership(membership))).toBe(true);
      expect(await store.transaction((tx) => tx.users.addMembership({ ...membership, role: 'admin' }))).toBe(false);
      expect(await store.read.users.findMembership(a.id, 'usr_m')).toEqual(membership);
      await store.transaction((tx) => tx.users.upsertMembership({ ...membership, role: 'admin', createdAt: 9 }));
      expect(await store.read.users.findMembership(a.id, 'usr_m')).toEqual({ ...membership, role: 'admin' });
      await store.transaction((tx) => tx.users.upsertMembership({ ...membership, workspaceId: b.id }));
      expect(await store.read.users.findMembership(b.id, 'usr_m')).toEqual({ ...membership, workspaceId: b.id });
      expect(await store.read.users.findMembership(b.id, 'usr_a')).toBeNull();
    });

    test('memberships: deactivate and reactivate are compare-and-set; removal keeps the account; admins and workspaces counted', async () => {
      const user = { id: 'usr_d', email: 'dee@example.com', name: 'Dee', passwordHash: 'h', createdAt: 5 };
      await store.transaction((tx) => tx.users.insert(user));
      const membership = { workspaceId: a.id, userId: 'usr_d', role: 'admin' as const, createdAt: 6 };
      await store.transaction(async (tx) => {
        await tx.users.addMembership(membership);
        await tx.users.addMembership({ ...membership, workspaceId: b.id, role: 'viewer' });
      });
      const admins = await store.read.users.countActiveAdmins(a.id);
      expect(await store.read.users.countMemberships('usr_d')).toBe(2);
      expect(await store.transaction((tx) => tx.users.setMembershipDeactivated(a.id, 'usr_d', 50))).toBe(true);
      expect(await store.transaction((tx) => tx.users.setMembershipDeactivated(a.id, 'usr_d', 60))).toBe(false);
      expect((await store.read.users.findMembership(a.id, 'usr_d'))?.deactivatedAt).toBe(50);
      expect((await store.read.users.findMembership(b.id, 'usr_d'))?.deactivatedAt).toBeNull();
      expect(await store.read.users.countActiveAdmins(a.id)).toBe(admins - 1);
      // A deactivated membership is not one a login lands in.
      expect((await store.read.members.workspacesOf('usr_d')).map((w) => w.workspaceId)).toEqual([b.id]);
      expect(await store.transaction((tx) => tx.users.setMembershipDeactivated(a.id, 'usr_d', null))).toBe(true);
      expect(await store.transaction((tx) => tx.users.setMembershipDeactivated(a.id, 'usr_d', null))).toBe(false);
      expect(await store.read.users.countActiveAdmins(a.id)).toBe(admins);
      expect(await store.transaction((tx) => tx.users.setName('usr_d', 'Dee Renamed'))).toBe(true);
      expect(await store.transaction((tx) => tx.users.removeMembership(a.id, 'usr_d'))).toBe(true);
      expect(await store.transaction((tx) => tx.users.removeMembership(a.id, 'usr_d'))).toBe(false);
      expect(await store.read.users.findMembership(a.id, 'usr_d')).toBeNull();
      expect((await store.read.users.findById('usr_d'))?.name).toBe('Dee Renamed');
      expect(await store.read.users.countMemberships('usr_d')).toBe(1);
    });

    test('API keys come back as written, with and without a recorded creator', async () => {
      const creator = { type: 'user' as const, id: 'usr_a', name: 'Ann' };
      const keys = [
        apiKey('key_one1', { createdBy: creator, lastUsedAt: 1_500 }),
        apiKey('key_two2', { createdAt: 2_000 }),
        apiKey('key_thr3', { workspaceId: b.id, createdAt: 1_500, role: 'admin' }),
      ];
      await store.transaction(async (tx) => {
        for (const key of keys) await tx.apiKeys.insert(key);
      });
      expect(await store.read.apiKeys.findById(a.id, 'key_one1')).toEqual(keys[0]);
      expect(await store.read.apiKeys.findById(b.id, 'key_one1')).toBeNull();
      expect(await store.read.apiKeys.findByHash('hash_key_two2')).toEqual(keys[1]);
      expect(await store.read.apiKeys.listActive(a.id)).toEqual([keys[0], keys[1]]);
      expect(await store.read.apiKeys.listActive(null)).toEqual([keys[0], keys[2], keys[1]]);
      expect(await store.read.apiKeys.findActiveByRef('lg_one1')).toEqual([keys[0]]);
      expect(await store.read.apiKeys.findActiveByRef('key_thr3')).toEqual([keys[2]]);
    });

    test('API keys: revoke once, and the last use moves only when it is stale', async () => {
      await store.transaction((tx) => tx.apiKeys.insert(apiKey('key_rev1')));
      expect(await store.transaction((tx) => tx.apiKeys.touchLastUsed('key_rev1', 100, 40))).toBe(true);
      expect(await store.transaction((tx) => tx.apiKeys.touchLastUsed('key_rev1', 120, 90))).toBe(false);
      expect(await store.transaction((tx) => tx.apiKeys.touchLastUsed('key_rev1', 200, 100))).toBe(true);
      expect(await store.transaction((tx) => tx.apiKeys.revoke(b.id, 'key_rev1', 300))).toBe(false);
      expect(await store.transaction((tx) => tx.apiKeys.revoke(a.id, 'key_rev1', 300))).toBe(true);
      expect(await store.transaction((tx) => tx.apiKeys.revoke(a.id, 'key_rev1', 400))).toBe(false);
      expect(await store.read.apiKeys.findById(a.id, 'key_rev1')).toEqual(
        apiKey('key_rev1', { lastUsedAt: 200, revokedAt: 300 }),
      );
      expect((await store.read.apiKeys.listActive(a.id)).map((key) => key.id)).not.toContain('key_rev1');
    });
  });
}
