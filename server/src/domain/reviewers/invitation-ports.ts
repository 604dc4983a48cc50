import type { Role } from '@loopgate/shared';

/**
 * Storage for e-mail invitations. An invitation is an offer to one address: it names the workspace,
 * the role and the name the admin typed, and changes no account until the invitee accepts it.
 */
export interface InvitationRecord {
  /** SHA-256 of the link's token; the token itself is never stored. */
  tokenHash: string;
  workspaceId: string;
  /** Lower case; whoever holds this address's mailbox (and so the link) may accept. */
  email: string;
  /** The role the membership gets when the invitation is accepted. */
  role: Role;
  /** The name the admin typed; becomes the account's name only if accepting creates the account. */
  name: string | null;
  /** The admin who sent it. */
  invitedBy: string | null;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  /** Set when a newer invitation replaced this one, an admin withdrew it, or another one to the same workspace was accepted. */
  revokedAt: number | null;
}

export interface InvitationRepository {
  insert(invitation: InvitationRecord): Promise<void>;
  findByHash(tokenHash: string): Promise<InvitationRecord | null>;
  /** Ends the unused invitations of this address to this workspace; returns how many. */
  revokeUnused(workspaceId: string, email: string, now: number): Promise<number>;
  /** The workspace's invitations that are neither used nor revoked (expired ones too), newest first. */
  listOpen(workspaceId: string): Promise<InvitationRecord[]>;
  /**
   * Compare-and-set: marks the invitation used if it is still unused, not revoked and not expired at
   * `now`; true when this call did it, so of two concurrent accepts exactly one gets true.
   */
  use(tokenHash: string, now: number): Promise<boolean>;
  /** Housekeeping: up to `limit` invitations whose link stopped working before `cutoff`; returns how many. */
  deleteExpiredBefore(cutoff: number, limit: number): Promise<number>;
}
