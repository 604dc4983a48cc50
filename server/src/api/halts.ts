import { createHaltInputSchema, haltListSchema, haltSchema } from '@loopgate/shared';
import { z } from 'zod';
import { type HaltDeps, haltTarget, listHalts, resumeHalt, toHaltView } from '../domain/halts/halts.js';
import { problemResponses } from './problem-responses.js';
import { type AnyRouteSpec, defineRoute } from './route.js';

const idParams = z.strictObject({ id: z.string().min(1).max(64) });

/** The stop button over the API, for admins: halt, list, resume. */
export function haltRoutes(deps: HaltDeps): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/halts',
      summary: 'Halts: the active ones first (oldest first), then the latest resumed ones',
      tags: ['halts'],
      permission: 'workspace:admin',
      responses: { 200: { description: 'The halts', schema: haltListSchema }, ...problemResponses(401, 403) },
      async handler({ principal }) {
        return { status: 200, body: { data: (await listHalts(deps, principal)).map(toHaltView) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/halts',
      summary:
        'Halt new tasks from the workspace, a queue, a source or an agent: creating one is refused with 423 `halted`, and nothing it covers is auto-approved',
      tags: ['halts'],
      permission: 'workspace:admin',
      body: createHaltInputSchema,
      responses: {
        201: { description: 'Halted', schema: haltSchema },
        200: { description: 'Halted already: the active halt', schema: haltSchema },
        ...problemResponses(400, 401, 403, 415),
      },
      async handler({ principal, body, requestId }) {
        const { halt, created } = await haltTarget(deps, principal, body, requestId);
        return { status: created ? 201 : 200, body: toHaltView(halt) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/halts/{id}/resume',
      summary: 'Resume a halt: new tasks it refused are accepted again',
      tags: ['halts'],
      permission: 'workspace:admin',
      params: idParams,
      responses: {
        200: { description: 'Resumed', schema: haltSchema },
        ...problemResponses(401, 403, 404, 409),
      },
      async handler({ principal, params, requestId }) {
        return { status: 200, body: toHaltView(await resumeHalt(deps, principal, params.id, requestId)) };
      },
    }),
  ];
}
