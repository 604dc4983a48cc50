import type { Store } from '../store.js';
import type { AuditSigner } from './checkpoint-signer.js';
import { signCheckpoint } from './checkpoint-signer.js';

/** A head with any entry newer than this and no checkpoint is signed, however few entries it has. */
export const CHECKPOINT_MAX_AGE_MS = 60 * 60 * 1000;

export interface CheckpointOptions {
  now: number;
  /** Sign once this many entries are past the last checkpoint. */
  every: number;
  /** Sign anyway once the oldest entry past the last checkpoint is this old (default an hour). */
  maxAgeMs?: number;
  signal?: AbortSignal;
}

/**
 * Signs each workspace's head when `every` entries have been written since its last checkpoint, or
 * when the oldest of them is an hour old: so no entry waits much more than an hour (plus the job's
 * interval) to be anchored, and a quiet log gets no checkpoints at all. The signed hash is read from
 * the entry itself, not from the head row, so it is the hash verification will compare against. Any
 * number of processes may run this at once: a checkpoint is keyed by workspace and seq, and the second
 * one to sign a head is dropped.
 */
export async function writeAuditCheckpoints(
  deps: { store: Pick<Store, 'read' | 'transaction'>; signer: AuditSigner },
  options: CheckpointOptions,
): Promise<{ written: number }> {
  const { store, signer } = deps;
  const maxAgeMs = options.maxAgeMs ?? CHECKPOINT_MAX_AGE_MS;
  let written = 0;
  for (const workspace of await store.read.workspaces.list()) {
    if (options.signal?.aborted) break;
    const head = await store.read.audit.head(workspace.id);
    if (!head || head.lastSeq === 0) continue;
    const latest = await store.read.auditCheckpoints.latest(workspace.id);
    const signedThrough = latest?.seq ?? 0;
    if (head.lastSeq <= signedThrough) continue;
    if (head.lastSeq - signedThrough < options.every) {
      // Retention may have pruned past the last checkpoint; the oldest entry still there stands for it.
      const [oldestUnsigned] = await store.read.audit.list(workspace.id, signedThrough, 1);
      if (!oldestUnsigned || options.now - oldestUnsigned.at < maxAgeMs) continue;
    }
    const entry = await store.read.audit.findBySeq(workspace.id, head.lastSeq);
    if (!entry) continue;
    const checkpoint = signCheckpoint(signer, {
      workspaceId: workspace.id,
      seq: entry.seq,
      hash: entry.hash,
      at: options.now,
    });
    if (await store.transaction((tx) => tx.auditCheckpoints.insert(checkpoint))) written += 1;
  }
  return { written };
}
