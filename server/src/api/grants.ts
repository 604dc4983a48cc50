import { grantListSchema, grantSchema, revokeGrantInputSchema } from '@loopgate/shared';
import { z } from 'zod';
import { type GrantDeps, listGrants, revokeGrant, toGrantView } from '../domain/approvals/grants.js';
import { problemResponses } from './problem-responses.js';
import { type AnyRouteSpec, defineRoute } from './route.js';

const idParams = z.strictObject({ id: z.string().min(1).max(64) });

/** Standing approvals over the API: list them; revoke one (an admin, or the reviewer who gave it). */
export function grantRoutes(deps: GrantDeps): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/grants',
      summary:
        'Standing approvals: the active ones first (soonest to expire first), then the latest revoked or expired ones',
      tags: ['grants'],
      permission: 'task:read',
      responses: { 200: { description: 'The grants', schema: grantListSchema }, ...problemResponses(401, 403) },
      async handler({ principal }) {
        const now = deps.clock();
        return { status: 200, body: { data: (await listGrants(deps, principal)).map((g) => toGrantView(g, now)) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/grants/{id}/revoke',
      summary: 'Revoke a standing approval: from now on, matching tasks go to review again',
      tags: ['grants'],
      permission: 'task:decide',
      params: idParams,
      body: revokeGrantInputSchema,
      responses: {
        200: { description: 'Revoked', schema: grantSchema },
        ...problemResponses(400, 401, 403, 404, 409, 415),
      },
      async handler({ principal, params, body }) {
        const grant = await revokeGrant(deps, principal, params.id, body.reason || null);
        return { status: 200, body: toGrantView(grant, deps.clock()) };
      },
    }),
  ];
}
