import { exportTasksQuerySchema } from '@loopgate/shared';
import type { Store } from '../domain/store.js';
import { EXPORT_COLUMNS, exportTasks } from '../domain/tasks/export-tasks.js';
import { streamTaskExport } from '../http-common/task-export-stream.js';
import { problemResponses } from './problem-responses.js';
import { type AnyRouteSpec, defineRoute } from './route.js';

/**
 * GET /api/v1/tasks/export: every task the filters match, as CSV or JSON Lines, streamed
 * (http-common/task-export-stream.ts). Declared before GET /api/v1/tasks/{id}, which would read
 * "export" as an id.
 */
export function taskExportRoutes(deps: { store: Store; clock: () => number }): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/tasks/export',
      summary: 'Export the filtered tasks as CSV or JSON Lines (streamed)',
      tags: ['tasks'],
      permission: 'task:read',
      query: exportTasksQuerySchema,
      responses: {
        200: {
          description: `One row per task with the columns ${EXPORT_COLUMNS.join(', ')}; CSV has a header row, and a cell starting with = + - @ (or tab, CR) is prefixed with ' so a spreadsheet does not run it as a formula`,
          contentType: 'text/csv',
        },
        ...problemResponses(400, 401),
      },
      async handler({ res, principal, query }) {
        const { format, ...filters } = query;
        await streamTaskExport(res, exportTasks(deps, principal, filters), format);
        return undefined;
      },
    }),
  ];
}
