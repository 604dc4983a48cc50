import type { Actor, Role } from '@loopgate/shared';
import { AppError } from './errors.js';

/** Who is calling, in which workspace, with which role: the result of authenticating a key or a session. */
export interface Principal {
  workspaceId: string;
  role: Role;
  actor: Actor;
}

export const PERMISSIONS = [
  'task:read',
  'task:create',
  'task:decide',
  'task:cancel',
  'workspace:admin',
  // Subscribe/unsubscribe REST hooks: Zapier does it with the key an automation already holds.
  'webhook:subscribe',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/**
 * Viewer reads; Reviewer also creates, decides and cancels tasks (automations authenticate with
 * reviewer keys); Admin may do everything, including workspace configuration.
 */
const GRANTS: Record<Role, ReadonlySet<Permission>> = {
  viewer: new Set(['task:read']),
  reviewer: new Set(['task:read', 'task:create', 'task:decide', 'task:cancel', 'webhook:subscribe']),
  admin: new Set(PERMISSIONS),
};

export function can(role: Role, permission: Permission): boolean {
  return GRANTS[role].has(permission);
}

export function authorize(principal: Principal, permission: Permission): void {
  if (!can(principal.role, permission)) {
    throw new AppError('forbidden', `The ${principal.role} role may not ${permission.replace(':', ' ')}`);
  }
}
