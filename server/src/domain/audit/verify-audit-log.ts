import type { Store } from '../store.js';
import { entryHash, GENESIS_HASH } from './audit-chain.js';
import type { AuditRecord } from './audit-ports.js';
import { type CheckpointBreak, verifyAuditCheckpoints } from './verify-audit-checkpoints.js';

/** Why an entry fails verification. */
export type AuditBreak =
  /** The entry's stored hash is not the hash of its prev_hash and content: it, or its hash, was edited. */
  | 'hash_mismatch'
  /** The entry's prev_hash is not the previous entry's hash: an entry before it was replaced or reordered. */
  | 'broken_link'
  /** The entry is not numbered one after the previous one: entries in between are missing. */
  | 'gap'
  /** The log ends before (or differs from) what its head says it wrote: entries at the end are missing. */
  | 'head_mismatch'
  /** A signed checkpoint does not hold, or the log no longer matches it (verify-audit-checkpoints.ts). */
  | CheckpointBreak;

export type AuditVerification =
  | {
      ok: true;
      workspaceId: string;
      checked: number;
      firstSeq: number | null;
      lastSeq: number | null;
      /** Signed checkpoints checked, and how many of them a key other than the current one signed. */
      checkpoints: { checked: number; otherKeys: number };
    }
  | { ok: false; workspaceId: string; checked: number; seq: number; reason: AuditBreak; message: string };

export interface VerifyOptions {
  /** Start at this seq (default: the first entry there is). Its link is checked against the entry before it. */
  fromSeq?: number;
  /** Entries read per query; memory stays at one page whatever the log's length. */
  pageSize?: number;
  /** The id of the key this server signs checkpoints with, if any: checkpoints by other keys are counted. */
  currentKeyId?: string | null;
}

/**
 * Walks a workspace's log in seq order, a page at a time, and answers ok or the first entry that is
 * wrong and why. The log may start after seq 1 only if retention pruned that prefix: the newest
 * `audit.pruned` entry must name the seq just before the first one, and the first one must link to
 * the hash it names (the checkpoint is itself in the chain, so it cannot be forged without a break).
 */
export async function verifyAuditLog(
  deps: { store: Pick<Store, 'read'> },
  workspaceId: string,
  options: VerifyOptions = {},
): Promise<AuditVerification> {
  const audit = deps.store.read.audit;
  const pageSize = options.pageSize ?? 1000;
  const fromSeq = Math.max(1, options.fromSeq ?? 1);
  let checked = 0;
  const fail = (seq: number, reason: AuditBreak, message: string): AuditVerification => ({
    ok: false,
    workspaceId,
    checked,
    seq,
    reason,
    message: `seq ${seq}: ${message}`,
  });

  // What the first entry checked must link to.
  let previous: Pick<AuditRecord, 'seq' | 'hash'> | null = null;
  if (fromSeq > 1) previous = await audit.findBySeq(workspaceId, fromSeq - 1);
  let page = await audit.list(workspaceId, fromSeq - 1, pageSize);
  const first = page[0];
  // A checkpoint's last pruned entry, when pruning has not deleted up to it yet: the walk must pass
  // through it with the hash the checkpoint names.
  let anchor: { seq: number; hash: string } | null = null;
  if (first && !previous) {
    if (first.seq === 1) previous = { seq: 0, hash: GENESIS_HASH };
    else {
      const checkpoint = await audit.latestPruneCheckpoint(workspaceId);
      const pruned = checkpoint ? prunedThrough(checkpoint) : null;
      if (pruned && pruned.seq === first.seq - 1) previous = pruned;
      else if (pruned && pruned.seq >= first.seq) {
        // Pruning is under way (or stopped half-way): what is left of the declared prefix is checked
        // link by link, and must arrive at the hash the checkpoint names.
        previous = { seq: first.seq - 1, hash: first.prevHash };
        anchor = pruned;
      } else if (fromSeq === 1) {
        return fail(
          first.seq,
          'gap',
          `the log starts at seq ${first.seq}, and no pruning checkpoint accounts for the entries before it`,
        );
      } else previous = { seq: fromSeq - 1, hash: first.prevHash }; // before --from is not ours to judge
    }
  }

  let firstSeq: number | null = null;
  while (page.length > 0) {
    for (const record of page) {
      if (previous && record.seq !== previous.seq + 1) {
        return fail(previous.seq + 1, 'gap', `missing (the next entry there is seq ${record.seq})`);
      }
      const { hash, ...unhashed } = record;
      if (entryHash(unhashed) !== hash) {
        return fail(
          record.seq,
          'hash_mismatch',
          'its hash does not match its content: the entry or its hash was changed',
        );
      }
      if (previous && record.prevHash !== previous.hash) {
        return fail(record.seq, 'broken_link', `its prev_hash is not the hash of seq ${previous.seq}`);
      }
      if (anchor && record.seq === anchor.seq && record.hash !== anchor.hash) {
        return fail(record.seq, 'hash_mismatch', 'its hash is not the one the pruning checkpoint names');
      }
      firstSeq ??= record.seq;
      previous = record;
      checked += 1;
    }
    page = await audit.list(workspaceId, previous?.seq ?? 0, pageSize);
  }

  const head = await audit.head(workspaceId);
  if (head && head.lastSeq > 0) {
    const lastSeq = previous?.seq ?? fromSeq - 1;
    if (head.lastSeq > lastSeq) {
      return fail(lastSeq + 1, 'head_mismatch', `missing (the log's head says it wrote up to seq ${head.lastSeq})`);
    }
    if (previous && head.lastSeq === previous.seq && head.lastHash !== previous.hash) {
      return fail(previous.seq, 'head_mismatch', "its hash is not the one the log's head recorded when it was written");
    }
  }
  // The chain holds together; the checkpoints say whether it is still the chain that was signed.
  const checkpoints = await verifyAuditCheckpoints(deps, workspaceId, {
    fromSeq,
    currentKeyId: options.currentKeyId,
    pageSize,
  });
  if (!checkpoints.ok) return { ...checkpoints, workspaceId, checked };
  return {
    ok: true,
    workspaceId,
    checked,
    firstSeq,
    lastSeq: previous && checked > 0 ? previous.seq : null,
    checkpoints: { checked: checkpoints.checked, otherKeys: checkpoints.otherKeys },
  };
}

/** The last pruned entry an `audit.pruned` checkpoint names, or null if its data is not that shape. */
export function prunedThrough(checkpoint: AuditRecord): { seq: number; hash: string } | null {
  const data = checkpoint.data;
  if (!data || typeof data !== 'object' || Array.isArray(data)) return null;
  const { lastPrunedSeq, lastPrunedHash } = data as { lastPrunedSeq?: unknown; lastPrunedHash?: unknown };
  if (typeof lastPrunedSeq !== 'number' || typeof lastPrunedHash !== 'string') return null;
  return { seq: lastPrunedSeq, hash: lastPrunedHash };
}
