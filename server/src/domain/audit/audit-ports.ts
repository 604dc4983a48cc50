import type { Actor, Role } from '@loopgate/shared';
import type { JsonValue } from '../tasks/task-record.js';

/**
 * The workspace's audit log: one append-only row per change to configuration and access, written in
 * the change's own transaction. Issue 16 chains the rows by hash; the columns here are the ones that
 * chain covers, filled from the first entry on.
 */

/** Every action the log records; each name is `<target type>.<past-tense verb>`. */
export type AuditAction =
  | 'api_key.created'
  | 'api_key.revoked'
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
  | 'halt.created'
  | 'halt.resumed'
  | 'task.revoked';

export type AuditTargetType = 'api_key' | 'user' | 'reviewer_group' | 'invitation' | 'board' | 'halt' | 'task';

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
}

export interface AuditRepository {
  /** Creates a workspace's empty log; called in the transaction that creates the workspace. */
  startLog(workspaceId: string): Promise<void>;
  /**
   * Takes the next sequence number of the workspace's log and holds the log's head locked until the
   * transaction ends, so concurrent writers to one workspace queue here and never share a number.
   */
  nextSeq(workspaceId: string): Promise<number>;
  append(record: AuditRecord): Promise<void>;
  /** Entries after `afterSeq`, oldest first. */
  list(workspaceId: string, afterSeq: number, limit: number): Promise<AuditRecord[]>;
}
