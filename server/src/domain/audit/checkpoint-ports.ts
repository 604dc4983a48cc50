/**
 * Signed checkpoints of a workspace's audit log (issue 16 item 2): now and then the log's head — its
 * last seq and that entry's hash — is signed with the operator's Ed25519 key, so a copy of the
 * checkpoints kept outside Loopgate anchors the chain: whoever rewrites the database can recompute
 * every hash, but cannot sign a new head without the key.
 */
export interface AuditCheckpoint {
  workspaceId: string;
  /** The entry the checkpoint vouches for, and through its hash every entry before it. */
  seq: number;
  /** That entry's `hash`. */
  hash: string;
  /** When the checkpoint was signed (ms). */
  at: number;
  /** Ed25519 over `checkpointMessage` (checkpoint-signer.ts), base64. */
  signature: string;
  /** SHA-256 hex of the signing key's public key (SPKI DER): which key signed it. */
  keyId: string;
  /** That public key as SPKI PEM, so each checkpoint can be checked on its own, after a key change too. */
  publicKey: string;
}

export interface AuditCheckpointRepository {
  /**
   * Stores a checkpoint unless the workspace has one at that seq already (two processes signing the
   * same head); true when this one went in.
   */
  insert(checkpoint: AuditCheckpoint): Promise<boolean>;
  /** The workspace's checkpoint with the highest seq, or null. */
  latest(workspaceId: string): Promise<AuditCheckpoint | null>;
  /** Checkpoints after `afterSeq`, oldest first: one keyset page. */
  list(workspaceId: string, afterSeq: number, limit: number): Promise<AuditCheckpoint[]>;
}
