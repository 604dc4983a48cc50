import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { exportTasksQuerySchema } from '@loopgate/shared';
import { stringify } from 'csv-stringify';
import type { Store } from '../domain/store.js';
import { EXPORT_COLUMNS, exportTasks } from '../domain/tasks/export-tasks.js';
import { problemResponses } from './problem-responses.js';
import { type AnyRouteSpec, defineRoute } from './route.js';

const CONTENT_TYPES = { csv: 'text/csv; charset=utf-8', jsonl: 'application/jsonl; charset=utf-8' } as const;

/**
 * GET /api/v1/tasks/export: every task the filters match, as CSV or JSON Lines, streamed with the
 * client's pace (backpressure through the pipeline), so a 100k-task export holds one page of rows
 * in memory, not the file. Declared before GET /api/v1/tasks/{id}, which would read "export" as an id.
 */
export function taskExportRoutes(deps: { store: Store }): AnyRouteSpec[] {
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
        const rows = Readable.from(exportTasks(deps, principal, filters));
        const encode =
          format === 'csv'
            ? stringify({ header: true, columns: [...EXPORT_COLUMNS], escape_formulas: true })
            : new Transform({
                writableObjectMode: true,
                transform(row, _encoding, done) {
                  done(null, `${JSON.stringify(row)}\n`);
                },
              });
        const stamp = new Date().toISOString().slice(0, 10);
        res.status(200);
        res.setHeader('Content-Type', CONTENT_TYPES[format]);
        res.setHeader('Content-Disposition', `attachment; filename="loopgate-tasks-${stamp}.${format}"`);
        try {
          await pipeline(rows, encode, res);
        } catch (error) {
          // The status line is gone: a failure mid-export can only cut the stream, which the client
          // sees as an incomplete body. A client that hung up is no failure at all.
          if (!res.destroyed) res.destroy(error as Error);
        }
        return undefined;
      },
    }),
  ];
}
