import { callerSchema } from '@loopgate/shared';
import { type CallerServiceDeps, describeCaller } from '../domain/admin/caller.js';
import { problemResponses } from './problem-responses.js';
import { type AnyRouteSpec, defineRoute } from './route.js';

/** GET /api/v1/me: any valid key may ask who it is (connection tests and labels in n8n and Zapier). */
export function callerRoutes(deps: CallerServiceDeps): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/me',
      summary: "The calling key's workspace, role and identity",
      tags: ['auth'],
      // Every role holds task:read, so this answers for any valid key.
      permission: 'task:read',
      responses: { 200: { description: 'The caller', schema: callerSchema }, ...problemResponses(401) },
      async handler({ principal }) {
        return { status: 200, body: await describeCaller(deps, principal) };
      },
    }),
  ];
}
