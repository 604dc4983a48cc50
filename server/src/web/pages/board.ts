import { exportTasksQuerySchema, listTasksQuerySchema, riskLevelSchema, taskStatusSchema } from '@loopgate/shared';
import type { Router } from 'express';
import { z } from 'zod';
import { boardFilterOptions, loadBoard } from '../../domain/reviewers/board.js';
import type { SessionPrincipal } from '../../domain/reviewers/sessions.js';
import { exportTasks } from '../../domain/tasks/export-tasks.js';
import { listTasks, taskListFilter } from '../../domain/tasks/read-tasks.js';
import { streamTaskChanges } from '../../http-common/task-change-stream.js';
import { streamTaskExport } from '../../http-common/task-export-stream.js';
import { queryText, readForm } from '../kit/forms.js';
import type { PageKit } from '../kit/page-kit.js';
import { sendFragment } from '../kit/send.js';
import { TEMPLATES } from '../kit/templates.js';
import { type BoardFilterForm, boardColumnsView, signedIn } from '../kit/view-models.js';

/** The board's query string: filters, order, the list view's paging, and the live board's fragment request. */
const boardQuery = z.object({
  queue: queryText(64),
  risk: riskLevelSchema.optional().catch(undefined),
  status: taskStatusSchema.optional().catch(undefined),
  source: queryText(64),
  tag: queryText(64),
  assignee: queryText(64),
  breached: queryText(1),
  q: queryText(200),
  sort: z.enum(['newest', 'urgency']).optional().catch(undefined),
  view: queryText(200),
  cursor: queryText(200),
  fragment: queryText(200),
  show: queryText(200),
});
type BoardQuery = z.output<typeof boardQuery>;

/** The filter fields of the query, as the form shows them again and links carry them on. */
const FILTER_KEYS = ['queue', 'risk', 'status', 'source', 'tag', 'assignee', 'breached', 'q'] as const;

function filterParams(query: BoardQuery): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = query[key];
    if (value) params.set(key, value);
  }
  return params;
}

function filterForm(query: BoardQuery): BoardFilterForm {
  const form = {} as BoardFilterForm;
  for (const key of FILTER_KEYS) form[key] = query[key] ?? '';
  return form;
}

/** The page's filters as the task list's query: "mine" is the signed-in user. */
function taskQuery(query: BoardQuery, web: SessionPrincipal) {
  return {
    queue: query.queue,
    riskLevel: query.risk,
    status: query.status,
    source: query.source,
    tag: query.tag,
    assignee: query.assignee === 'mine' ? (web.principal.actor.id ?? undefined) : query.assignee,
    breached: query.breached === '1' ? ('true' as const) : undefined,
    q: query.q,
  };
}

/**
 * `show=pending:100,fraud:150`: how many cards a column (by its configured id) shows after "Show
 * more". Kept in the URL, so the live board's refresh (the same URL with fragment=1) keeps what the
 * user opened. Ids no column has are ignored by the board.
 */
function parseShown(show: string | undefined): Partial<Record<string, number>> {
  const shown: Partial<Record<string, number>> = {};
  for (const part of (show ?? '').split(',')) {
    const [id, count] = part.split(':');
    if (/^[a-z0-9][a-z0-9_-]{0,39}$/.test(id ?? '') && /^\d{1,5}$/.test(count ?? '')) {
      shown[id as string] = Number(count);
    }
  }
  return shown;
}

function moreHrefFor(query: BoardQuery, shown: Partial<Record<string, number>>) {
  return (id: string, count: number): string => {
    const params = filterParams(query);
    const next = { ...shown, [id]: count };
    params.set(
      'show',
      Object.entries(next)
        .map(([s, n]) => `${s}:${n}`)
        .join(','),
    );
    return `/board?${params}#column-${id}`;
  };
}

/** The queue board (columns, or a paged list) and its live feed. Moves and claims are task.ts. */
export function register(router: Router, kit: PageKit): void {
  const { deps } = kit;

  router.get(
    '/board',
    kit.page(async (req, res, web) => {
      const query = readForm(boardQuery, req.query);
      const now = deps.clock();
      const asTasks = taskQuery(query, web);
      const params = filterParams(query);
      const common = {
        ...signedIn(web),
        form: filterForm(query),
        options: await boardFilterOptions(deps, web.principal),
        filtered: params.size > 0,
        exportHref: (format: 'csv' | 'jsonl') => {
          const exportParams = new URLSearchParams(params);
          exportParams.set('format', format);
          if (query.view === 'list' && query.sort) exportParams.set('sort', query.sort);
          return `/board/export?${exportParams}`;
        },
      };
      if (query.view === 'list') {
        const sort = query.sort ?? 'newest';
        const listQuery = listTasksQuerySchema.parse({ ...asTasks, sort, cursor: query.cursor, limit: 50 });
        const { tasks, nextCursor } = await listTasks(deps, web.principal, listQuery);
        const next = new URLSearchParams(params);
        next.set('view', 'list');
        next.set('sort', sort);
        if (nextCursor) next.set('cursor', nextCursor);
        kit.send(res, TEMPLATES.board, {
          ...common,
          view: 'list',
          sort,
          now,
          tasks,
          nextCursor,
          nextHref: `/board?${next}`,
        });
        return;
      }
      const shown = parseShown(query.show);
      const columns = boardColumnsView({
        columns: await loadBoard(deps, web.principal, taskListFilter(asTasks, now), shown),
        principal: web.principal,
        csrf: web.session.csrfToken,
        now,
        moreHref: moreHrefFor(query, shown),
      });
      if (query.fragment === '1') {
        sendFragment(res, TEMPLATES.boardColumns, columns);
        return;
      }
      kit.send(res, TEMPLATES.board, { ...common, view: 'board', ...columns });
    }),
  );

  // The list's Export: the API's export (same filters, same streaming) for a signed-in user.
  router.get(
    '/board/export',
    kit.page(async (req, res, web) => {
      const query = readForm(boardQuery.extend({ format: z.enum(['csv', 'jsonl']).catch('csv') }), req.query);
      const { sort, format } = query;
      const exportQuery = exportTasksQuerySchema.parse({ ...taskQuery(query, web), sort, format });
      const { format: _format, ...filters } = exportQuery;
      await streamTaskExport(res, exportTasks(deps, web.principal, filters), format);
    }),
  );

  // The board's live feed: the same task.changed events as GET /api/v1/events, authenticated by session.
  router.get(
    '/board/events',
    kit.page(async (req, res, web) => {
      streamTaskChanges(req, res, deps.bus, { workspaceId: web.principal.workspaceId });
    }),
  );
}
