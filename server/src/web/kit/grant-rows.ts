import type { Actor } from '@loopgate/shared';
import type { GrantRecord } from '../../domain/approvals/grant-ports.js';
import { isGrantActive, mayRevokeGrant } from '../../domain/approvals/grants.js';
import type { Principal } from '../../domain/kernel/access.js';
import { iso } from '../../domain/kernel/iso-time.js';
import type { GrantRow } from './view-models.js';

const nameOf = (actor: Actor) => actor.name ?? actor.id ?? actor.type;

const SCOPE_LABELS = {
  payload: 'same agent + identical payload',
  title: 'same agent + same title',
} as const;

/** One grant as the task page and /settings/grants show it. */
export function toGrantRow(
  grant: GrantRecord,
  principal: Principal,
  now: number,
  revokeAction: (id: string) => string,
): GrantRow {
  const active = isGrantActive(grant, now);
  const state =
    grant.revokedAt !== null
      ? `revoked by ${nameOf(grant.revokedBy ?? grant.createdBy)}${grant.revokeReason ? `: ${grant.revokeReason}` : ''}`
      : active
        ? 'active'
        : 'expired';
  return {
    id: grant.id,
    scope: SCOPE_LABELS[grant.scope],
    queue: grant.queue,
    agentId: grant.agentId,
    match: grant.title ?? `payload ${grant.payloadDigest?.slice(0, 12) ?? ''}…`,
    by: nameOf(grant.createdBy),
    fromTaskId: grant.fromTaskId,
    createdAt: iso(grant.createdAt),
    expiresAt: iso(grant.expiresAt),
    uses: grant.uses,
    state,
    active,
    revokeAction: active && mayRevokeGrant(principal, grant) ? revokeAction(grant.id) : null,
  };
}
