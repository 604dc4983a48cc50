import type { Store } from '../store.js';
import type { AuditActor } from './audit-ports.js';
import { recordAudit } from './record-audit.js';
import { prunedThrough } from './verify-audit-log.js';

/** Retention acts on its own: the system, holding no role. */
export const RETENTION_ACTOR: AuditActor = { type: 'system', id: null, name: 'audit-retention', role: null };

export interface AuditPruneOptions {
  now: number;
  /** Entries older than this go (whole prefixes only); null: keep everything. */
  retentionMs: number | null;
  /** Rows per delete statement. */
  batchSize: number;
  signal?: AbortSignal;
}

/**
 * Retention for the audit log: in each workspace, the prefix of entries older than the retention is
 * declared in an `audit.pruned` checkpoint (appended to the chain, naming the last pruned seq and its
 * hash), then deleted in small batches. The checkpoint comes first, so a run that stops half-way leaves
 * a log that still verifies and a next run that finishes the job. A prefix only: the entry that
 * vouches for the rest (its hash is in the checkpoint) is the one just before the first kept, so the
 * chain after it stays whole. This is the only code in the application that deletes audit rows.
 */
export async function pruneAuditLogs(
  deps: { store: Pick<Store, 'read' | 'transaction'> },
  options: AuditPruneOptions,
): Promise<{ entries: number; checkpoints: number }> {
  const result = { entries: 0, checkpoints: 0 };
  if (options.retentionMs === null) return result;
  const cutoff = options.now - options.retentionMs;
  const { store } = deps;
  for (const workspace of await store.read.workspaces.list()) {
    if (options.signal?.aborted) break;
    const older = await store.read.audit.lastSeqBefore(workspace.id, cutoff);
    const latest = await store.read.audit.latestPruneCheckpoint(workspace.id);
    const declared = latest ? (prunedThrough(latest)?.seq ?? 0) : 0;
    if (older > declared) {
      const wrote = await store.transaction(async (tx) => {
        const last = await tx.audit.findBySeq(workspace.id, older);
        if (!last) return false;
        await recordAudit(tx, {
          workspaceId: workspace.id,
          at: options.now,
          actor: RETENTION_ACTOR,
          action: 'audit.pruned',
          target: { type: 'audit_log', id: workspace.id },
          data: {
            lastPrunedSeq: last.seq,
            lastPrunedHash: last.hash,
            prunedBefore: new Date(cutoff).toISOString(),
          },
          requestId: null,
        });
        return true;
      });
      if (wrote) result.checkpoints += 1;
    }
    const through = Math.max(older, declared);
    for (;;) {
      const removed = await store.transaction((tx) => tx.audit.prunePrefix(workspace.id, through, options.batchSize));
      result.entries += removed;
      if (removed < options.batchSize || options.signal?.aborted) break;
    }
  }
  return result;
}
