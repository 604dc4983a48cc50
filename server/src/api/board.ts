import { boardConfigInputSchema, boardConfigViewSchema } from '@loopgate/shared';
import { isoOrNull } from '../domain/kernel/iso-time.js';
import { type BoardConfigView, getBoardConfig, saveBoardConfig } from '../domain/reviewers/board-config.js';
import type { Store } from '../domain/store.js';
import { problemResponses } from './problem-responses.js';
import { type AnyRouteSpec, defineRoute } from './route.js';

const view = (config: BoardConfigView) => ({ ...config, updatedAt: isoOrNull(config.updatedAt) });

/** The queue board's columns: any member reads them, admins replace them (audited). */
export function boardRoutes(deps: { store: Store; clock: () => number }): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/board',
      summary: "The board's columns: built-in stages (renamed, reordered, hidden) and filter columns",
      tags: ['board'],
      permission: 'task:read',
      responses: {
        200: { description: 'The columns, in board order', schema: boardConfigViewSchema },
        ...problemResponses(401),
      },
      async handler({ principal }) {
        return { status: 200, body: view(await getBoardConfig(deps, principal)) };
      },
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/board',
      summary:
        "Replace the board's columns: every built-in stage exactly once (it may be hidden), ids unique, at most 12; a card shows in the first filter column it matches",
      tags: ['board'],
      permission: 'workspace:admin',
      body: boardConfigInputSchema,
      responses: {
        200: { description: 'The saved columns and their new version', schema: boardConfigViewSchema },
        ...problemResponses(400, 401, 403, 409, 415),
      },
      async handler({ principal, body, requestId }) {
        return { status: 200, body: view(await saveBoardConfig(deps, principal, body, requestId)) };
      },
    }),
  ];
}
