import { AsyncLocalStorage } from 'node:async_hooks';
import type { Actor, Role } from '@loopgate/shared';
import type { Principal } from '../kernel/access.js';

/**
 * Who is asking, for the audit entries a request's task changes write. Admin use cases take the
 * request id as an argument; task changes are committed by one module (task-transition.ts) that a
 * dozen use cases reach through the SLA sweeper, votes, claims, e-mail links, Slack and MCP alike, so
 * instead of threading the request through each of them the HTTP layer opens a context per request
 * and notes the principal once it is authenticated. Outside a request (jobs, the CLI) there is none:
 * those entries carry no request id, and a role only when the actor is the principal.
 */
interface AuditContext {
  requestId: string | null;
  principal: Principal | null;
}

const storage = new AsyncLocalStorage<AuditContext>();

/** Runs `work` (the rest of a request's handling) with a context for its audit entries. */
export function runWithAuditContext<T>(requestId: string | null, work: () => T): T {
  return storage.run({ requestId, principal: null }, work);
}

/** Records who the request authenticated as; a no-op outside a request. */
export function noteAuditPrincipal(principal: Principal): void {
  const context = storage.getStore();
  if (context) context.principal = principal;
}

export function currentRequestId(): string | null {
  return storage.getStore()?.requestId ?? null;
}

/**
 * The role `actor` held at this moment: the request's principal's, when the actor is that principal.
 * Policies, the system and guests (e-mail links) hold no role in the workspace, so theirs is null.
 */
export function currentRoleOf(actor: Actor): Role | null {
  const principal = storage.getStore()?.principal;
  if (!principal || actor.type === 'system' || actor.type === 'policy') return null;
  const same = principal.actor.type === actor.type && principal.actor.id === actor.id;
  return same ? principal.role : null;
}
