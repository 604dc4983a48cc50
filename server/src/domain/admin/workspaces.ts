import { AppError, notFound } from '../kernel/errors.js';
import { newId } from '../kernel/ids.js';
import type { Store } from '../store.js';
import type { WorkspaceRecord } from './admin-ports.js';

/**
 * Workspace, user and API key administration by the operator: the CLI, and the server at start-up.
 * The operator holds the database itself, so these take no principal; the admin API's key use cases,
 * which authorise a principal, are in api-keys.ts.
 */
export interface AdminDeps {
  store: Store;
  clock: () => number;
}

export const DEFAULT_WORKSPACE_SLUG = 'default';

export async function createWorkspace(deps: AdminDeps, slug: string, name?: string): Promise<WorkspaceRecord> {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug)) {
    throw new AppError('validation_failed', 'Workspace slugs use lower-case letters, digits and "-" (at most 63)', [
      { path: 'slug', message: 'invalid slug' },
    ]);
  }
  const workspace: WorkspaceRecord = { id: newId('workspace'), slug, name: name ?? slug, createdAt: deps.clock() };
  await deps.store.transaction(async (tx) => {
    if (await tx.workspaces.findBySlug(slug)) throw new AppError('conflict', `Workspace "${slug}" already exists`);
    await tx.workspaces.insert(workspace);
    await tx.audit.startLog(workspace.id);
  });
  return workspace;
}

/** The workspace a slug names; without one, the default workspace, created on first use. */
export async function resolveWorkspace(deps: AdminDeps, slug?: string): Promise<WorkspaceRecord> {
  const wanted = slug ?? DEFAULT_WORKSPACE_SLUG;
  const existing = await deps.store.read.workspaces.findBySlug(wanted);
  if (existing) return existing;
  if (slug !== undefined && slug !== DEFAULT_WORKSPACE_SLUG) throw notFound(`Workspace "${slug}"`);
  try {
    return await createWorkspace(deps, DEFAULT_WORKSPACE_SLUG, 'Default workspace');
  } catch (error) {
    // Another process created it first.
    const created = await deps.store.read.workspaces.findBySlug(DEFAULT_WORKSPACE_SLUG);
    if (created) return created;
    throw error;
  }
}
