import { authorize, type Principal } from '../kernel/access.js';
import type { Store } from '../store.js';
import { hashedFields } from './audit-chain.js';
import type { AuditFilter, AuditRecord } from './audit-ports.js';
import { type AuditVerification, verifyAuditLog } from './verify-audit-log.js';

/** Entries read per query: round trips stay few, memory stays one page. */
const EXPORT_PAGE = 1000;

/**
 * One exported entry: exactly the fields the hash covers, plus `prevHash` and `hash`, so each line
 * of a JSON Lines export can be checked on its own: SHA-256(prevHash + RFC 8785 JSON of the line
 * without prevHash and hash) = hash (docs/governance.md).
 */
export type ExportedAuditEntry = ReturnType<typeof hashedFields> & { prevHash: string; hash: string };

export function exportedEntry(record: AuditRecord): ExportedAuditEntry {
  return { ...hashedFields(record), prevHash: record.prevHash, hash: record.hash };
}

/** Every entry of the workspace's log matching `filter`, oldest first, read a keyset page at a time. */
export async function* exportAuditLog(
  deps: { store: Pick<Store, 'read'> },
  workspaceId: string,
  filter: AuditFilter,
): AsyncGenerator<ExportedAuditEntry> {
  for (let afterSeq = 0; ; ) {
    const page = await deps.store.read.audit.listMatching(workspaceId, filter, afterSeq, EXPORT_PAGE);
    for (const record of page) yield exportedEntry(record);
    const last = page.at(-1);
    if (!last || page.length < EXPORT_PAGE) return;
    afterSeq = last.seq;
  }
}

/** The admin's export of their workspace's log (GET /api/v1/audit). */
export function exportWorkspaceAuditLog(
  deps: { store: Pick<Store, 'read'> },
  principal: Principal,
  filter: AuditFilter,
): AsyncGenerator<ExportedAuditEntry> {
  authorize(principal, 'workspace:admin');
  return exportAuditLog(deps, principal.workspaceId, filter);
}

/** The admin's check of their workspace's chain (GET /api/v1/audit/verify). */
export function verifyWorkspaceAuditLog(
  deps: { store: Pick<Store, 'read'>; signingKeyId?: string | null },
  principal: Principal,
  fromSeq?: number,
): Promise<AuditVerification> {
  authorize(principal, 'workspace:admin');
  return verifyAuditLog(deps, principal.workspaceId, { fromSeq, currentKeyId: deps.signingKeyId });
}

/** CSV columns, in order; `data` is the entry's JSON text. */
export const AUDIT_CSV_COLUMNS = [
  'seq',
  'id',
  'at',
  'time',
  'actorType',
  'actorId',
  'actorName',
  'actorRole',
  'action',
  'targetType',
  'targetId',
  'data',
  'requestId',
  'prevHash',
  'hash',
] as const;

export function auditCsvRow(
  entry: ExportedAuditEntry,
): Record<(typeof AUDIT_CSV_COLUMNS)[number], string | number | null> {
  return {
    seq: entry.seq,
    id: entry.id,
    at: entry.at,
    time: new Date(entry.at).toISOString(),
    actorType: entry.actor.type,
    actorId: entry.actor.id,
    actorName: entry.actor.name,
    actorRole: entry.actor.role,
    action: entry.action,
    targetType: entry.target.type,
    targetId: entry.target.id,
    data: entry.data === null ? null : JSON.stringify(entry.data),
    requestId: entry.requestId,
    prevHash: entry.prevHash,
    hash: entry.hash,
  };
}
