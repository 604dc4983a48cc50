import type { DataSource } from 'typeorm';
import type { Principal } from '../../domain/kernel/access.js';
import { hashPassword, hashToken } from '../../domain/kernel/secrets.js';
import { acceptInvitation, listInvitations, openInvitation } from '../../domain/reviewers/invitations.js';
import { listMembers } from '../../domain/reviewers/members.js';
import type { Store } from '../../domain/store.js';
import { createTestDatabase, DATABASES, type TestDatabaseHandle } from '../../test-support/databases.js';
import { FakeAttemptLimiter } from '../../test-support/fake-attempt-limiter.js';
import { rawDataSource } from '../../test-support/raw-data-source.js';
import { openStore } from '../open-store.js';
import { InvitationsCarryAddressAndRole1764700000000 } from './1764700000000-invitations-carry-address-and-role.js';
import { MIGRATIONS } from './index.js';

const PASSWORD = 'correct horse battery';
const NOW = Date.UTC(2026, 0, 5, 9, 0, 0);
const DAY = 24 * 60 * 60 * 1000;
const LIVE_TOKEN = 'legacy-live-invitation-token-000000000000';
const EXPIRED_TOKEN = 'legacy-expired-invitation-token-00000000';
const USED_TOKEN = 'legacy-used-invitation-token-0000000000000';

/**
 * A database as invitations before the fix left it: inviting created the account (no password) and
 * its membership, and an accepted invitation left a member with a password.
 */
async function seedLegacy(source: DataSource): Promise<void> {
  const password = await hashPassword(PASSWORD);
  const rows: [string, unknown[]][] = [
    ["INSERT INTO workspaces (id, slug, name, created_at) VALUES ('wsp_legacy', 'legacy', 'Legacy', ?)", [NOW]],
    [
      "INSERT INTO users (id, email, name, password_hash, created_at) VALUES ('usr_admin', 'admin@example.com', 'Ada', ?, ?)",
      [password, NOW],
    ],
    [
      "INSERT INTO users (id, email, name, password_hash, created_at) VALUES ('usr_pending', 'pending@example.com', 'Pat', NULL, ?)",
      [NOW],
    ],
    [
      "INSERT INTO users (id, email, name, password_hash, created_at) VALUES ('usr_lapsed', 'lapsed@example.com', NULL, NULL, ?)",
      [NOW],
    ],
    [
      "INSERT INTO users (id, email, name, password_hash, created_at) VALUES ('usr_joined', 'joined@example.com', NULL, ?, ?)",
      [password, NOW],
    ],
  ];
  for (const [userId, role] of [
    ['usr_admin', 'admin'],
    ['usr_pending', 'reviewer'],
    ['usr_lapsed', 'viewer'],
    ['usr_joined', 'reviewer'],
  ]) {
    rows.push([
      "INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ('wsp_legacy', ?, ?, ?)",
      [userId, role, NOW],
    ]);
  }
  for (const [token, userId, expiresAt, usedAt] of [
    [LIVE_TOKEN, 'usr_pending', NOW + 7 * DAY, null],
    [EXPIRED_TOKEN, 'usr_lapsed', NOW - DAY, null],
    [USED_TOKEN, 'usr_joined', NOW + 7 * DAY, NOW - DAY],
  ] as const) {
    rows.push([
      `INSERT INTO invitations (token_hash, workspace_id, user_id, invited_by, created_at, expires_at, used_at, revoked_at)
       VALUES (?, 'wsp_legacy', ?, 'usr_admin', ?, ?, ?, NULL)`,
      [hashToken(token), userId, NOW - 2 * DAY, expiresAt, usedAt],
    ]);
  }
  for (const [text, params] of rows) await source.query(text, params);
}

for (const database of DATABASES) {
  describe(`${database}: migrating invitations to offers that carry address and role`, () => {
    let db: TestDatabaseHandle;
    let store: Store;
    const clock = () => NOW;
    const admin: Principal = {
      workspaceId: 'wsp_legacy',
      role: 'admin',
      actor: { type: 'user', id: 'usr_admin', name: 'Ada' },
    };

    beforeAll(async () => {
      db = await createTestDatabase(database);
      const before = await rawDataSource(
        db,
        MIGRATIONS.slice(0, MIGRATIONS.indexOf(InvitationsCarryAddressAndRole1764700000000)),
      );
      await before.runMigrations();
      await seedLegacy(before);
      await before.destroy();
      store = await openStore(db.config);
      storeOpen = true;
    });
    let storeOpen = false;
    afterAll(async () => {
      if (storeOpen) await store.close();
      await db.drop();
    });

    test('open invitations keep working with their role; accounts without a password are members no more', async () => {
      expect((await listMembers({ store, clock }, admin)).map((m) => [m.email, m.role])).toEqual([
        ['admin@example.com', 'admin'],
        ['joined@example.com', 'reviewer'],
      ]);
      expect(await listInvitations({ store, clock }, admin)).toEqual([
        {
          email: 'lapsed@example.com',
          role: 'viewer',
          name: null,
          createdAt: NOW - 2 * DAY,
          expiresAt: NOW - DAY,
          expired: true,
        },
        {
          email: 'pending@example.com',
          role: 'reviewer',
          name: 'Pat',
          createdAt: NOW - 2 * DAY,
          expiresAt: NOW + 7 * DAY,
          expired: false,
        },
      ]);
      expect(await openInvitation({ store, clock }, LIVE_TOKEN)).toMatchObject({
        email: 'pending@example.com',
        role: 'reviewer',
        hasPassword: false,
      });
      await expect(openInvitation({ store, clock }, USED_TOKEN)).rejects.toMatchObject({ code: 'invitation_invalid' });

      await acceptInvitation({ store, clock, limiter: new FakeAttemptLimiter() }, LIVE_TOKEN, PASSWORD, 'x');
      expect(await store.read.users.findMembership('wsp_legacy', 'usr_pending')).toMatchObject({ role: 'reviewer' });
    });

    test('down restores the old shape: user ids back, and the membership of the invited account without a password', async () => {
      await store.close();
      storeOpen = false;
      const source = await rawDataSource(db, MIGRATIONS);
      try {
        // Undo every migration from the last down to this one (later ones ran after it at open).
        const laterAndThis = MIGRATIONS.length - MIGRATIONS.indexOf(InvitationsCarryAddressAndRole1764700000000);
        for (let i = 0; i < laterAndThis; i++) await source.undoLastMigration();
        const invitations = await source.query('SELECT token_hash, user_id FROM invitations ORDER BY user_id');
        expect(invitations.map((row: { user_id: string }) => row.user_id)).toEqual([
          'usr_joined',
          'usr_lapsed',
          'usr_pending',
        ]);
        const lapsed = await source.query("SELECT role FROM memberships WHERE user_id = 'usr_lapsed'");
        // Only open (unused, unrevoked) invitations had a membership; the lapsed one was expired but never revoked.
        expect(lapsed.map((row: { role: string }) => row.role)).toEqual(['viewer']);
        await source.runMigrations();
        // The address is required and has no default (MariaDB once turned a copied NULL default into the text 'NULL').
        await expect(
          source.query(
            "INSERT INTO invitations (token_hash, workspace_id, role, created_at, expires_at) VALUES ('x', 'wsp_legacy', 'viewer', 1, 2)",
          ),
        ).rejects.toThrow();
      } finally {
        await source.destroy();
      }
      store = await openStore(db.config);
      storeOpen = true;
      expect((await listInvitations({ store, clock }, admin)).map((i) => i.email)).toEqual(['lapsed@example.com']);
    });
  });
}
