import type { Store } from '../store.js';
import type { AuditCheckpoint } from './checkpoint-ports.js';
import { checkpointSignatureProblem } from './checkpoint-signer.js';

/** Why a checkpoint fails verification. */
export type CheckpointBreak =
  /** Its signature, key id or public key does not hold: the checkpoint was changed, or forged. */
  | 'checkpoint_signature'
  /** It is sound, but the log disagrees: the entry at its seq has another hash, or the log ends before it. */
  | 'checkpoint_mismatch';

export type CheckpointVerification =
  | {
      ok: true;
      checked: number;
      /** Of those, signed by a key other than the one this server holds now (an earlier key, after a change). */
      otherKeys: number;
    }
  | { ok: false; checked: number; seq: number; reason: CheckpointBreak; message: string };

/**
 * Checks every checkpoint of a workspace at or after `fromSeq`, oldest first, and names the first bad
 * one: its signature must verify with the public key it carries, and the entry it names, while
 * retention keeps it, must still have the hash it signed. A checkpoint past the log's head means
 * entries at the end were removed. Call it once the chain itself verified: then an entry that
 * matches its checkpoint vouches for every entry before it.
 */
export async function verifyAuditCheckpoints(
  deps: { store: Pick<Store, 'read'> },
  workspaceId: string,
  options: { fromSeq?: number; currentKeyId?: string | null; pageSize?: number } = {},
): Promise<CheckpointVerification> {
  const { audit, auditCheckpoints } = deps.store.read;
  const pageSize = options.pageSize ?? 1000;
  let head = await audit.head(workspaceId);
  let checked = 0;
  let otherKeys = 0;
  const fail = (checkpoint: AuditCheckpoint, reason: CheckpointBreak, message: string): CheckpointVerification => ({
    ok: false,
    checked,
    seq: checkpoint.seq,
    reason,
    message: `checkpoint at seq ${checkpoint.seq}: ${message}`,
  });
  for (let afterSeq = Math.max(0, (options.fromSeq ?? 1) - 1); ; ) {
    const page = await auditCheckpoints.list(workspaceId, afterSeq, pageSize);
    for (const checkpoint of page) {
      const problem = checkpointSignatureProblem(checkpoint);
      if (problem) return fail(checkpoint, 'checkpoint_signature', problem);
      if (checkpoint.workspaceId !== workspaceId)
        return fail(checkpoint, 'checkpoint_signature', 'it names another workspace');
      // On a live log, entries and their checkpoint may have been written since the head was read.
      if (!head || checkpoint.seq > head.lastSeq) head = await audit.head(workspaceId);
      if (!head || checkpoint.seq > head.lastSeq) {
        return fail(
          checkpoint,
          'checkpoint_mismatch',
          `the log ends at seq ${head?.lastSeq ?? 0}: entries after it were removed`,
        );
      }
      const entry = await audit.findBySeq(workspaceId, checkpoint.seq);
      if (entry && entry.hash !== checkpoint.hash) {
        return fail(
          checkpoint,
          'checkpoint_mismatch',
          'the entry at its seq has another hash: the log was rewritten after it was signed',
        );
      }
      if (options.currentKeyId && checkpoint.keyId !== options.currentKeyId) otherKeys += 1;
      checked += 1;
    }
    const last = page.at(-1);
    if (!last || page.length < pageSize) return { ok: true, checked, otherKeys };
    afterSeq = last.seq;
  }
}
