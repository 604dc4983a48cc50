import type { Role } from '@loopgate/shared';
import type { Express } from 'express';
import pino from 'pino';
import { type AppDeps, createApp } from '../app.js';
import { createApiKey } from '../domain/admin/api-keys.js';
import { ApiKeyAuthenticator } from '../domain/admin/authenticate.js';
import { createWorkspace } from '../domain/admin/workspaces.js';
import type { Store } from '../domain/store.js';
import { InProcessTaskEventBus } from '../events/in-process-bus.js';

export interface TestApp {
  app: Express;
  bus: InProcessTaskEventBus;
  authenticator: ApiKeyAuthenticator;
  keys: Record<Role, string> & { otherWorkspaceAdmin: string };
}

/** The real Express app over a real store, with one key per role plus an admin key of a second workspace. */
export async function buildTestApp(
  store: Store,
  clock: () => number = Date.now,
  /** Extra app dependencies, e.g. decision delivery's hook, URL check and bus. */
  overrides: Partial<AppDeps> = {},
): Promise<TestApp> {
  const deps = { store, clock };
  const keys = {
    admin: (await createApiKey(deps, { name: 'admin', role: 'admin' })).key,
    reviewer: (await createApiKey(deps, { name: 'reviewer', role: 'reviewer' })).key,
    viewer: (await createApiKey(deps, { name: 'viewer', role: 'viewer' })).key,
    otherWorkspaceAdmin: '',
  };
  const other = await createWorkspace(deps, 'other');
  keys.otherWorkspaceAdmin = (
    await createApiKey(deps, { name: 'other', role: 'admin', workspaceSlug: other.slug })
  ).key;
  const bus = new InProcessTaskEventBus();
  const authenticator = new ApiKeyAuthenticator({ ...deps, bus: overrides.bus ?? bus });
  const app = anotherTestApp(store, clock, { bus, authenticator, ...overrides });
  return { app, bus, authenticator, keys };
}

/**
 * One more app over a store buildTestApp already set up (its keys work here too): another server
 * process, as far as anything held in process memory is concerned, such as attempt limits.
 */
export function anotherTestApp(
  store: Store,
  clock: () => number = Date.now,
  overrides: Partial<AppDeps> = {},
): Express {
  const bus = overrides.bus ?? new InProcessTaskEventBus();
  return createApp({
    store,
    bus,
    clock,
    logger: pino({ level: 'silent' }),
    authenticator: new ApiKeyAuthenticator({ store, clock, bus }),
    publicUrl: 'http://localhost:3000',
    bodyLimit: '64kb',
    ...overrides,
  });
}
