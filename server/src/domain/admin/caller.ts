import type { Caller } from '@loopgate/shared';
import type { Principal } from '../kernel/access.js';
import { notFound } from '../kernel/errors.js';
import type { Store } from '../store.js';

export interface CallerServiceDeps {
  store: Pick<Store, 'read'>;
}

/** The caller's workspace, role and identity: what an integration shows as its connection label. */
export async function describeCaller(deps: CallerServiceDeps, principal: Principal): Promise<Caller> {
  const workspace = await deps.store.read.workspaces.findById(principal.workspaceId);
  // A key outliving its workspace cannot happen through the API; answer as for any missing resource.
  if (!workspace) throw notFound('The workspace');
  return {
    workspace: { id: workspace.id, slug: workspace.slug, name: workspace.name },
    role: principal.role,
    actor: principal.actor,
  };
}
