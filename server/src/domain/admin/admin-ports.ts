import type { Actor, Role } from '@loopgate/shared';

export interface WorkspaceRecord {
  id: string;
  slug: string;
  name: string;
  createdAt: number;
}

export interface WorkspaceRepository {
  insert(workspace: WorkspaceRecord): Promise<void>;
  findBySlug(slug: string): Promise<WorkspaceRecord | null>;
  findById(id: string): Promise<WorkspaceRecord | null>;
  list(): Promise<WorkspaceRecord[]>;
  /** The time zone the workspace's members fall back to (IANA name); null: UTC. */
  findTimeZone(id: string): Promise<string | null>;
  setTimeZone(id: string, timeZone: string | null): Promise<boolean>;
  /** The external reviewers allowlist (lower-cased addresses and `@domain`s); empty: off. */
  findExternalReviewers(id: string): Promise<string[]>;
  setExternalReviewers(id: string, allow: readonly string[]): Promise<boolean>;
}

/** How review mail reaches a user: one mail per task, or an hourly or daily digest. */
export type MailMode = 'each' | 'hourly' | 'daily';
export const MAIL_MODES: readonly MailMode[] = ['each', 'hourly', 'daily'];
/** Mails an hour a user takes unless they chose otherwise; the rest wait for the next digest. */
export const DEFAULT_MAILS_PER_HOUR = 20;

/** A user's own mail settings; null fields mean the default. */
export interface UserMailSettings {
  timeZone: string | null;
  mailMode: MailMode | null;
  mailsPerHour: number | null;
}

export interface UserRecord {
  id: string;
  email: string;
  name: string | null;
  /**
   * Null for an account that has never had a password (created by an invitation before invitations
   * stopped creating accounts); such an account cannot log in, and only its own invitation link or
   * the operator's CLI gives it one.
   */
  passwordHash: string | null;
  createdAt: number;
}

export interface MembershipRecord {
  workspaceId: string;
  userId: string;
  role: Role;
  createdAt: number;
  /** When an admin deactivated it (no login, no sessions, no review links here); null or absent: active. */
  deactivatedAt?: number | null;
}

export interface UserRepository {
  /** False when the e-mail address is already taken (another request created the user first). */
  insert(user: UserRecord): Promise<boolean>;
  findByEmail(email: string): Promise<UserRecord | null>;
  findById(id: string): Promise<UserRecord | null>;
  /** Compare-and-set: sets the password of an account that has none yet; true when this call did it. */
  setFirstPassword(userId: string, passwordHash: string): Promise<boolean>;
  /** Replaces the password whatever it was (the operator's reset); true when the user exists. */
  setPassword(userId: string, passwordHash: string): Promise<boolean>;
  upsertMembership(membership: MembershipRecord): Promise<void>;
  /** Adds the membership unless the user is a member already (then their role stays); true when this call added it. */
  addMembership(membership: MembershipRecord): Promise<boolean>;
  findMembership(workspaceId: string, userId: string): Promise<MembershipRecord | null>;
  /** Null when there is no such user. */
  findMailSettings(userId: string): Promise<UserMailSettings | null>;
  /** True when the user exists. */
  setMailSettings(userId: string, settings: UserMailSettings): Promise<boolean>;
  /** Sets or clears (null) the membership's deactivation; true when the membership exists and changed. */
  setMembershipDeactivated(workspaceId: string, userId: string, at: number | null): Promise<boolean>;
  /** Ends the membership (the account and its history stay); true when there was one. */
  removeMembership(workspaceId: string, userId: string): Promise<boolean>;
  /** Active admins of the workspace: the last one may not be removed, deactivated or demoted. */
  countActiveAdmins(workspaceId: string): Promise<number>;
  /** How many workspaces the user belongs to (an account in several is not renamed by one's admin). */
  countMemberships(userId: string): Promise<number>;
  setName(userId: string, name: string | null): Promise<boolean>;
}

export interface ApiKeyRecord {
  id: string;
  workspaceId: string;
  name: string;
  role: Role;
  prefix: string;
  keyHash: string;
  createdAt: number;
  revokedAt: number | null;
  /** Moved at most once a minute (see ApiKeyAuthenticator), so it is accurate to the minute. */
  lastUsedAt: number | null;
  /** Null for keys created before Loopgate recorded who created them. */
  createdBy: Actor | null;
}

export interface ApiKeyRepository {
  insert(key: ApiKeyRecord): Promise<void>;
  findByHash(keyHash: string): Promise<ApiKeyRecord | null>;
  findById(workspaceId: string, id: string): Promise<ApiKeyRecord | null>;
  /** Keys not revoked, of one workspace or (for the operator) all, oldest first. */
  listActive(workspaceId: string | null): Promise<ApiKeyRecord[]>;
  /** Keys not revoked whose id or prefix is `ref`, in any workspace (the operator's CLI). */
  findActiveByRef(ref: string): Promise<ApiKeyRecord[]>;
  /** Compare-and-set: revokes the key if it is not revoked yet; true when this call did it. */
  revoke(workspaceId: string, id: string, now: number): Promise<boolean>;
  /** Sets last_used_at to `now` unless it is already later than `staleBefore`; true when it moved. */
  touchLastUsed(id: string, now: number, staleBefore: number): Promise<boolean>;
}
