import { createHash } from 'node:crypto';
import { canonicalJson } from '@loopgate/shared';
import type { AuditRecord } from './audit-ports.js';

/**
 * The hash chain over a workspace's audit log (docs/governance.md, "The hash"). Each entry's `hash`
 * is SHA-256 (lower-case hex) over the previous entry's hash followed by the entry's RFC 8785
 * canonical JSON, so changing, removing or reordering any entry changes every hash after it.
 */

/** The `prev_hash` of a log's first entry: there is nothing before it. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Exactly what the hash covers: every field of the entry except `hash` itself. `prevHash` is not in
 * this object because it is the prefix the canonical text is hashed after.
 */
export function hashedFields(record: Omit<AuditRecord, 'hash' | 'prevHash'>) {
  return {
    id: record.id,
    workspaceId: record.workspaceId,
    seq: record.seq,
    at: record.at,
    actor: {
      type: record.actor.type,
      id: record.actor.id,
      name: record.actor.name,
      role: record.actor.role,
    },
    action: record.action,
    target: { type: record.target.type, id: record.target.id },
    data: record.data,
    requestId: record.requestId,
  };
}

/** SHA-256 hex of `prevHash` + canonical JSON of the entry's hashed fields. */
export function entryHash(record: Omit<AuditRecord, 'hash'>): string {
  // Node's synchronous hash, not WebCrypto: verification hashes every entry of a log in turn, and
  // a million awaited digests cost more than the hashing itself.
  return createHash('sha256')
    .update(record.prevHash, 'utf8')
    .update(canonicalJson(hashedFields(record)), 'utf8')
    .digest('hex');
}
