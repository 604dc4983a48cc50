/** Storage for e-mail invitations: an admin invites someone, who sets their own password through the link. */

export interface InvitationRecord {
  /** SHA-256 of the link's token; the token itself is never stored. */
  tokenHash: string;
  workspaceId: string;
  userId: string;
  /** The admin who sent it. */
  invitedBy: string | null;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  /** Set when a newer invitation to the same workspace replaced this one. */
  revokedAt: number | null;
}

export interface InvitationRepository {
  insert(invitation: InvitationRecord): Promise<void>;
  findByHash(tokenHash: string): Promise<InvitationRecord | null>;
  /** Ends this user's unused invitations to this workspace (a new one replaces them); returns how many. */
  revokeUnused(workspaceId: string, userId: string, now: number): Promise<number>;
  /**
   * Compare-and-set: marks the invitation used if it is still unused, not revoked and not expired at
   * `now`; true when this call did it, so of two concurrent accepts exactly one gets true.
   */
  use(tokenHash: string, now: number): Promise<boolean>;
  /** Housekeeping: up to `limit` invitations whose link stopped working before `cutoff`; returns how many. */
  deleteExpiredBefore(cutoff: number, limit: number): Promise<number>;
}
