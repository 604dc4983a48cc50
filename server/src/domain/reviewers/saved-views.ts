import { authorize, type Principal } from '../kernel/access.js';
import { AppError, notFound } from '../kernel/errors.js';
import { newId } from '../kernel/ids.js';
import type { Store } from '../store.js';
import type { SavedViewRecord } from './reviewer-ports.js';

/** The parameters a saved view keeps: the board's filters and the list's order. Never paging or a fragment request. */
export const SAVED_VIEW_PARAMS = [
  'view',
  'queue',
  'risk',
  'status',
  'source',
  'tag',
  'assignee',
  'breached',
  'q',
  'sort',
  'dir',
] as const;

export const SAVED_VIEW_NAME_MAX = 60;
const QUERY_MAX = 1000;

/** Saved views are a signed-in user's own; an API key has no board to keep them for. */
function ownerOf(principal: Principal): string {
  authorize(principal, 'task:read');
  if (principal.actor.type !== 'user' || principal.actor.id === null) {
    throw new AppError('forbidden', 'Only a signed-in user has saved views');
  }
  return principal.actor.id;
}

/** The query with only the kept parameters, empty values dropped, in a fixed order. */
export function savedViewQuery(query: string): string {
  const given = new URLSearchParams(query);
  const kept = new URLSearchParams();
  for (const key of SAVED_VIEW_PARAMS) {
    const value = given.get(key);
    if (value) kept.set(key, value);
  }
  return kept.toString();
}

/**
 * Saves the current filter under a name, for this user only. A name the user already has is
 * refused unless `replace` says to point it at the new filter.
 */
export async function saveView(
  deps: { store: Store; clock: () => number },
  principal: Principal,
  input: { name: string; query: string; replace: boolean },
): Promise<SavedViewRecord> {
  const userId = ownerOf(principal);
  const name = input.name.trim().replace(/\s+/g, ' ');
  if (name.length < 1 || name.length > SAVED_VIEW_NAME_MAX) {
    throw new AppError('validation_failed', `A view's name is 1 to ${SAVED_VIEW_NAME_MAX} characters`, [
      { path: 'name', message: `1 to ${SAVED_VIEW_NAME_MAX} characters` },
    ]);
  }
  const query = savedViewQuery(input.query);
  if (query.length > QUERY_MAX) {
    throw new AppError('validation_failed', 'These filters are too long to save as a view', [
      { path: 'query', message: `at most ${QUERY_MAX} characters` },
    ]);
  }
  const now = deps.clock();
  const view: SavedViewRecord = {
    id: newId('savedView', now),
    workspaceId: principal.workspaceId,
    userId,
    name,
    query,
    createdAt: now,
  };
  return deps.store.transaction(async (tx) => {
    if (await tx.savedViews.insert(view)) return view;
    if (!input.replace) {
      throw new AppError(
        'conflict',
        `You already have a view named "${name}". Tick "replace" to point it at these filters.`,
        [{ path: 'name', message: 'taken' }],
      );
    }
    await tx.savedViews.replaceQuery(principal.workspaceId, userId, name, query);
    const saved = (await tx.savedViews.listForUser(principal.workspaceId, userId)).find((v) => v.name === name);
    if (!saved) throw notFound(`View "${name}"`);
    return saved;
  });
}

export async function listSavedViews(deps: { store: Store }, principal: Principal): Promise<SavedViewRecord[]> {
  if (principal.actor.type !== 'user') return [];
  return deps.store.read.savedViews.listForUser(principal.workspaceId, ownerOf(principal));
}

/** Deletes one of the user's own views; someone else's is "not found", as if it did not exist. */
export async function deleteSavedView(deps: { store: Store }, principal: Principal, id: string): Promise<void> {
  const userId = ownerOf(principal);
  const deleted = await deps.store.transaction((tx) => tx.savedViews.delete(principal.workspaceId, userId, id));
  if (!deleted) throw notFound('That saved view');
}
