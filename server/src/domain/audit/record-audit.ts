import type { Principal } from '../kernel/access.js';
import { newId } from '../kernel/ids.js';
import type { Repositories } from '../store.js';
import { entryHash } from './audit-chain.js';
import type { AuditActor, AuditEntry, AuditRecord } from './audit-ports.js';

/** The operator running the `loopgate` CLI: they hold the database itself, not a role in a workspace. */
export const OPERATOR: AuditActor = { type: 'system', id: null, name: 'operator-cli', role: null };

export function auditActorOf(principal: Principal): AuditActor {
  return { ...principal.actor, role: principal.role };
}

/**
 * Writes one audit entry inside the transaction that makes the change, so there is no change without
 * its entry and no entry without its change. Call it last in the transaction: taking the sequence
 * number locks the workspace's log head, and holding that lock briefly (and after every other row
 * lock) keeps concurrent writers from waiting long or deadlocking on each other.
 */
export async function recordAudit(tx: Pick<Repositories, 'audit'>, entry: AuditEntry): Promise<AuditRecord> {
  const { seq, prevHash } = await tx.audit.nextSeq(entry.workspaceId);
  const unhashed = { ...entry, id: newId('audit', entry.at), seq, prevHash };
  const record: AuditRecord = { ...unhashed, hash: entryHash(unhashed) };
  await tx.audit.append(record);
  return record;
}
