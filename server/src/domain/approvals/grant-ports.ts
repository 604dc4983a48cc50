import type { Actor, GrantScope } from '@loopgate/shared';

/** A standing approval: a reviewer's "and the same for the next N hours", given with an approval. */
export interface GrantRecord {
  id: string;
  workspaceId: string;
  queue: string;
  agentId: string;
  scope: GrantScope;
  /** What a matching task carries: its payload's digest (scope payload) or its title's (scope title). */
  matchKey: string;
  payloadDigest: string | null;
  title: string | null;
  fromTaskId: string;
  createdBy: Actor;
  createdAt: number;
  expiresAt: number;
  revokedBy: Actor | null;
  revokedAt: number | null;
  revokeReason: string | null;
  uses: number;
}

/** What a new task offers a grant to match against. */
export interface GrantProbe {
  queue: string;
  agentId: string;
  /** scope → match key: the task's payload digest and title digest. */
  keys: Record<GrantScope, string>;
}

export interface GrantRepository {
  insert(grant: GrantRecord): Promise<void>;
  findById(workspaceId: string, id: string): Promise<GrantRecord | null>;
  /** The oldest grant that is unrevoked and unexpired at `now` and matches `probe` in either scope. */
  findMatch(workspaceId: string, probe: GrantProbe, now: number): Promise<GrantRecord | null>;
  /** Grants given by approving `taskId`, oldest first. */
  listFromTask(workspaceId: string, taskId: string): Promise<GrantRecord[]>;
  /** Active grants first (soonest to expire first), then the latest ended ones, up to `limit`. */
  list(workspaceId: string, now: number, limit: number): Promise<GrantRecord[]>;
  /**
   * Compare-and-set: counts one use while the grant is still active at `now`; false when it was
   * revoked or expired since it was matched, so the task goes to review instead.
   */
  recordUse(workspaceId: string, id: string, now: number): Promise<boolean>;
  /** Compare-and-set: revokes while unrevoked; false when it was revoked already. */
  revoke(workspaceId: string, id: string, by: Actor, at: number, reason: string | null): Promise<boolean>;
}
