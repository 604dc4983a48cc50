import { authorize, type Principal } from '../kernel/access.js';
import type { Store } from '../store.js';
import type { AuditCheckpoint } from './checkpoint-ports.js';

/** Checkpoints read per query when a whole workspace's list is written out. */
const CHECKPOINT_PAGE = 1000;

/** The public half of the key a server signs checkpoints with; the private half stays in its config. */
export interface AuditSigningKey {
  keyId: string;
  publicKey: string;
}

/** Every checkpoint of a workspace, oldest first, a keyset page at a time (`loopgate audit checkpoints`). */
export async function* exportAuditCheckpoints(
  deps: { store: Pick<Store, 'read'> },
  workspaceId: string,
): AsyncGenerator<AuditCheckpoint> {
  for (let afterSeq = 0; ; ) {
    const page = await deps.store.read.auditCheckpoints.list(workspaceId, afterSeq, CHECKPOINT_PAGE);
    yield* page;
    const last = page.at(-1);
    if (!last || page.length < CHECKPOINT_PAGE) return;
    afterSeq = last.seq;
  }
}

/** The admin's page of their workspace's checkpoints (GET /api/v1/audit/checkpoints), with the key to check them. */
export async function listWorkspaceAuditCheckpoints(
  deps: { store: Pick<Store, 'read'>; signingKey: AuditSigningKey | null },
  principal: Principal,
  page: { after: number; limit: number },
): Promise<{ signing: AuditSigningKey | null; checkpoints: AuditCheckpoint[]; nextAfter: number | null }> {
  authorize(principal, 'workspace:admin');
  // One more than asked tells whether there is a next page without a second query.
  const rows = await deps.store.read.auditCheckpoints.list(principal.workspaceId, page.after, page.limit + 1);
  const checkpoints = rows.slice(0, page.limit);
  return {
    signing: deps.signingKey,
    checkpoints,
    nextAfter: rows.length > page.limit ? (checkpoints.at(-1)?.seq ?? null) : null,
  };
}
