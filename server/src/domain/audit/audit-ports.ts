import type { Actor, Role } from '@loopgate/shared';
import type { JsonValue } from '../tasks/task-record.js';

/**
 * The workspace's audit log: the ledger. One append-only row per change to a task, to configuration
 * or to access, written in the change's own transaction and chained by hash (audit-chain.ts), so a
 * change, removal or reordering of any row is found by `verifyAuditLog`.
 */

/**
 * Every action the log records; each name is `<target type>.<past-tense verb>`.
 *
 * Issue 16 asks for every change to the workspace's configuration and access. A member's own
 * preferences are neither: their mail settings (time zone, digest mode, cap) and their saved board
 * views change only what that member sees and receives, grant no one anything and route no task, so
 * they stay out of the ledger. A workspace's settings (its fallback time zone, delivery settings,
 * queues, hooks, Slack) change what everyone gets, and are in it.
 */
export type AuditAction =
  | 'api_key.created'
  | 'api_key.revoked'
  /** The operator gave someone a role in the workspace (`loopgate user create`, the bootstrap admin). */
  | 'member.added'
  | 'member.role_changed'
  | 'member.deactivated'
  | 'member.reactivated'
  | 'member.removed'
  | 'member.renamed'
  | 'reviewer_group.created'
  | 'reviewer_group.members_changed'
  | 'reviewer_group.renamed'
  | 'invitation.sent'
  | 'invitation.withdrawn'
  | 'board.configured'
  /** Data: the queue's version and whole config (created), or the version and the fields that changed. */
  | 'queue.created'
  | 'queue.updated'
  /** Webhook subscriptions: the URL's origin and the events, never the URL's path or the secret. */
  | 'webhook.created'
  | 'webhook.deleted'
  | 'webhook.secret_rotated'
  /** Delivery settings: private callbacks and the allow list (from → to); the callback secret's rotation. */
  | 'delivery_settings.updated'
  | 'delivery_settings.callback_secret_rotated'
  /** Slack: the incoming webhook's origin and queue, never its URL or signing secret; who a Slack user decides as. */
  | 'slack_integration.created'
  | 'slack_integration.deleted'
  | 'slack_integration.user_linked'
  /** The operator set the time zone the workspace's members fall back to. */
  | 'workspace.time_zone_changed'
  /** An admin changed who may be named as an external (guest) reviewer (from → to). */
  | 'workspace.external_reviewers_changed'
  | 'halt.created'
  | 'halt.resumed'
  /** Standing approvals: given with an approval, used by a task it approved, revoked. */
  | 'grant.created'
  | 'grant.used'
  | 'grant.revoked'
  /** Every task change: `task.` and the task event's type (created, claimed, vote, decided, revoked, …). */
  | `task.${string}`
  /** Retention pruned a prefix of the log; the entry names the last pruned seq and hash. */
  | 'audit.pruned';

export type AuditTargetType =
  | 'api_key'
  | 'user'
  | 'reviewer_group'
  | 'invitation'
  | 'board'
  | 'queue'
  | 'webhook'
  | 'delivery_settings'
  | 'slack_integration'
  | 'workspace'
  | 'halt'
  | 'grant'
  | 'task'
  | 'audit_log';

/** Who did it, and the role they held at that moment (null for the operator, who acts outside any role). */
export interface AuditActor extends Actor {
  role: Role | null;
}

export interface AuditEntry {
  workspaceId: string;
  at: number;
  actor: AuditActor;
  action: AuditAction;
  target: { type: AuditTargetType; id: string };
  /** What changed, as the entry's reader needs it (names, roles); never a secret. */
  data: JsonValue | null;
  /** The X-Request-Id of the HTTP request that made the change; null for the CLI and jobs. */
  requestId: string | null;
}

export interface AuditRecord extends AuditEntry {
  id: string;
  /** 1, 2, 3, … per workspace, without gaps: a missing number means a missing row. */
  seq: number;
  /** The previous entry's `hash` (GENESIS_HASH for seq 1). */
  prevHash: string;
  /** SHA-256 hex over `prevHash` and this entry's canonical JSON (`entryHash`). */
  hash: string;
}

/** Where a workspace's log stands: the last number given out and the hash of that entry. */
export interface AuditHead {
  lastSeq: number;
  lastHash: string;
}

/** What an export selects; every field narrows, none is required. */
export interface AuditFilter {
  /** Entries at or after this time (ms). */
  from?: number;
  /** Entries before this time (ms). */
  to?: number;
  /** The actor's id (usr_…, key_…). */
  actorId?: string;
  taskId?: string;
}

export interface AuditRepository {
  /** Creates a workspace's empty log; called in the transaction that creates the workspace. */
  startLog(workspaceId: string): Promise<void>;
  /**
   * Takes the next sequence number of the workspace's log, with the hash of the entry before it, and
   * holds the log's head locked until the transaction ends, so concurrent writers to one workspace
   * queue here and never share a number or a previous hash.
   */
  nextSeq(workspaceId: string): Promise<{ seq: number; prevHash: string }>;
  /** Stores the entry and moves the head's last hash to it. */
  append(record: AuditRecord): Promise<void>;
  /** Entries after `afterSeq`, oldest first. */
  list(workspaceId: string, afterSeq: number, limit: number): Promise<AuditRecord[]>;
  /** Entries after `afterSeq` that match `filter`, oldest first: one keyset page of an export. */
  listMatching(workspaceId: string, filter: AuditFilter, afterSeq: number, limit: number): Promise<AuditRecord[]>;
  /** The entry numbered `seq`, if it is there. */
  findBySeq(workspaceId: string, seq: number): Promise<AuditRecord | null>;
  /** The head as stored, or null for a workspace without one. */
  head(workspaceId: string): Promise<AuditHead | null>;
  /** The newest `audit.pruned` entry: what vouches for the log starting after seq 1. */
  latestPruneCheckpoint(workspaceId: string): Promise<AuditRecord | null>;
  /** The highest seq written before `before` (ms), or 0: how far retention may prune. */
  lastSeqBefore(workspaceId: string, before: number): Promise<number>;
  /**
   * Deletes entries numbered at most `throughSeq`, at most `limit` of them, oldest first; returns how
   * many went. Retention's pruning is the only caller: nothing else in the application deletes or
   * updates an audit row (server/src/store/audit/audit-append-only.test.ts checks it).
   */
  prunePrefix(workspaceId: string, throughSeq: number, limit: number): Promise<number>;
}
