import type { Role } from '@loopgate/shared';
import type {
  MailMode,
  MembershipRecord,
  UserMailSettings,
  UserRecord,
  UserRepository,
} from '../../domain/admin/admin-ports.js';
import { insertRow, type Sql } from '../sql.js';

/** A `users` row. */
export interface UserRow {
  id: string;
  email: string;
  name: string | null;
  /** NULL for an account that has never had a password. */
  password_hash: string | null;
  created_at: number;
}

/** The mail-settings columns of a `users` row (NULL: the default). */
interface UserMailSettingsRow {
  time_zone: string | null;
  mail_mode: MailMode | null;
  mails_per_hour: number | null;
}

/** A `memberships` row: a user's role in a workspace. */
export interface MembershipRow {
  workspace_id: string;
  user_id: string;
  role: Role;
  created_at: number;
  /** NULL while active. */
  deactivated_at: number | null;
}

function rowToUser(row: UserRow): UserRecord {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    passwordHash: row.password_hash,
    createdAt: row.created_at,
  };
}

function membershipRow(membership: MembershipRecord): MembershipRow {
  return {
    workspace_id: membership.workspaceId,
    user_id: membership.userId,
    role: membership.role,
    created_at: membership.createdAt,
    deactivated_at: membership.deactivatedAt ?? null,
  };
}

export class SqlUserRepository implements UserRepository {
  constructor(private readonly sql: Sql) {}

  async insert(user: UserRecord): Promise<boolean> {
    const row: UserRow = {
      id: user.id,
      email: user.email,
      name: user.name,
      password_hash: user.passwordHash,
      created_at: user.createdAt,
    };
    return insertRow(this.sql, 'users', row, { ignore: true });
  }

  async findByEmail(email: string): Promise<UserRecord | null> {
    const { rows } = await this.sql.query<UserRow>('SELECT * FROM users WHERE email = ?', [email]);
    return rows[0] ? rowToUser(rows[0]) : null;
  }

  async findById(id: string): Promise<UserRecord | null> {
    const { rows } = await this.sql.query<UserRow>('SELECT * FROM users WHERE id = ?', [id]);
    return rows[0] ? rowToUser(rows[0]) : null;
  }

  async setFirstPassword(userId: string, passwordHash: string): Promise<boolean> {
    const { affected } = await this.sql.query(
      'UPDATE users SET password_hash = ? WHERE id = ? AND password_hash IS NULL',
      [passwordHash, userId],
    );
    return affected === 1;
  }

  async findMailSettings(userId: string): Promise<UserMailSettings | null> {
    const { rows } = await this.sql.query<UserMailSettingsRow>(
      'SELECT time_zone, mail_mode, mails_per_hour FROM users WHERE id = ?',
      [userId],
    );
    const row = rows[0];
    return row
      ? {
          timeZone: row.time_zone,
          mailMode: row.mail_mode,
          mailsPerHour: row.mails_per_hour === null ? null : Number(row.mails_per_hour),
        }
      : null;
  }

  async setMailSettings(userId: string, settings: UserMailSettings): Promise<boolean> {
    const { affected } = await this.sql.query(
      'UPDATE users SET time_zone = ?, mail_mode = ?, mails_per_hour = ? WHERE id = ?',
      [settings.timeZone, settings.mailMode, settings.mailsPerHour, userId],
    );
    return affected === 1;
  }

  async setPassword(userId: string, passwordHash: string): Promise<boolean> {
    const { affected } = await this.sql.query('UPDATE users SET password_hash = ? WHERE id = ?', [
      passwordHash,
      userId,
    ]);
    return affected === 1;
  }

  async upsertMembership(membership: MembershipRecord): Promise<void> {
    // Insert-or-keep first, then set the role: correct whether or not the driver counts unchanged rows as affected.
    await insertRow(this.sql, 'memberships', membershipRow(membership), { ignore: true });
    await this.sql.query('UPDATE memberships SET role = ? WHERE workspace_id = ? AND user_id = ?', [
      membership.role,
      membership.workspaceId,
      membership.userId,
    ]);
  }

  async addMembership(membership: MembershipRecord): Promise<boolean> {
    return insertRow(this.sql, 'memberships', membershipRow(membership), { ignore: true });
  }

  async findMembership(workspaceId: string, userId: string): Promise<MembershipRecord | null> {
    const { rows } = await this.sql.query<MembershipRow>(
      'SELECT * FROM memberships WHERE workspace_id = ? AND user_id = ?',
      [workspaceId, userId],
    );
    const row = rows[0];
    return row
      ? {
          workspaceId: row.workspace_id,
          userId: row.user_id,
          role: row.role,
          createdAt: row.created_at,
          deactivatedAt: row.deactivated_at ?? null,
        }
      : null;
  }

  async setMembershipDeactivated(workspaceId: string, userId: string, at: number | null): Promise<boolean> {
    const { affected } = await this.sql.query(
      at === null
        ? 'UPDATE memberships SET deactivated_at = NULL WHERE workspace_id = ? AND user_id = ? AND deactivated_at IS NOT NULL'
        : 'UPDATE memberships SET deactivated_at = ? WHERE workspace_id = ? AND user_id = ? AND deactivated_at IS NULL',
      at === null ? [workspaceId, userId] : [at, workspaceId, userId],
    );
    return affected > 0;
  }

  async removeMembership(workspaceId: string, userId: string): Promise<boolean> {
    const { affected } = await this.sql.query('DELETE FROM memberships WHERE workspace_id = ? AND user_id = ?', [
      workspaceId,
      userId,
    ]);
    return affected > 0;
  }

  async countActiveAdmins(workspaceId: string): Promise<number> {
    const { rows } = await this.sql.query<{ n: number | string }>(
      "SELECT COUNT(*) AS n FROM memberships WHERE workspace_id = ? AND role = 'admin' AND deactivated_at IS NULL",
      [workspaceId],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async countMemberships(userId: string): Promise<number> {
    const { rows } = await this.sql.query<{ n: number | string }>(
      'SELECT COUNT(*) AS n FROM memberships WHERE user_id = ?',
      [userId],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async setName(userId: string, name: string | null): Promise<boolean> {
    const { affected } = await this.sql.query('UPDATE users SET name = ? WHERE id = ?', [name, userId]);
    return affected > 0;
  }
}
