import {
  exportTasksQuerySchema,
  listTasksQuerySchema,
  riskLevelSchema,
  TASK_SORTS,
  type TaskColumnSort,
  taskStatusSchema,
} from '@loopgate/shared';
import express, { type Response, type Router } from 'express';
import { z } from 'zod';
import { can } from '../../domain/kernel/access.js';
import { AppError } from '../../domain/kernel/errors.js';
import { boardFilterOptions, loadBoard } from '../../domain/reviewers/board.js';
import { BULK_ACTIONS, BULK_MAX, bulkMove } from '../../domain/reviewers/bulk-moves.js';
import {
  deleteSavedView,
  listSavedViews,
  SAVED_VIEW_NAME_MAX,
  savedViewQuery,
  saveView,
} from '../../domain/reviewers/saved-views.js';
import type { SessionPrincipal } from '../../domain/reviewers/sessions.js';
import { columnOrder, isColumnSort } from '../../domain/tasks/column-sort.js';
import { exportTasks } from '../../domain/tasks/export-tasks.js';
import { listTasks, taskListFilter } from '../../domain/tasks/read-tasks.js';
import { toAppError } from '../../http-common/problem.js';
import { streamTaskChanges } from '../../http-common/task-change-stream.js';
import { streamTaskExport } from '../../http-common/task-export-stream.js';
import { formText, queryText, readForm } from '../kit/forms.js';
import type { PageKit } from '../kit/page-kit.js';
import { sendFragment } from '../kit/send.js';
import { TEMPLATES } from '../kit/templates.js';
import { type BoardFilterForm, boardColumnsView, type ListHeader, signedIn } from '../kit/view-models.js';

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
  sort: z.enum(TASK_SORTS).optional().catch(undefined),
  dir: z.enum(['asc', 'desc']).optional().catch(undefined),
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

/** The list's sortable headers, in the order the table shows them. */
const SORTABLE: readonly (readonly [TaskColumnSort, string])[] = [
  ['title', 'Title'],
  ['status', 'Status'],
  ['queue', 'Queue'],
  ['risk', 'Risk'],
  ['priority', 'Priority'],
  ['created', 'Created'],
  ['due', 'Due'],
];

/**
 * Each header links to the list sorted by its column: the active one the other way round, the
 * others in their default direction. Filters carry on; the cursor does not (a new order starts at
 * its first page).
 */
function listHeaders(query: BoardQuery): Record<string, ListHeader> {
  const active = query.sort && isColumnSort(query.sort) ? columnOrder(query.sort, query.dir) : null;
  const headers: Record<string, ListHeader> = {};
  for (const [key, label] of SORTABLE) {
    const isActive = active?.column === key;
    const dir = isActive ? (active.dir === 'asc' ? 'desc' : 'asc') : columnOrder(key, undefined).dir;
    const params = filterParams(query);
    params.set('view', 'list');
    params.set('sort', key);
    params.set('dir', dir);
    headers[key] = {
      key,
      label,
      href: `/board?${params}`,
      sort: isActive ? (active.dir === 'asc' ? 'ascending' : 'descending') : null,
    };
  }
  return headers;
}

/** The query a saved view keeps of this page: its filters, the view, and the list's order. */
function viewQueryOf(query: BoardQuery): string {
  const params = filterParams(query);
  params.set('view', query.view === 'list' ? 'list' : 'board');
  if (query.view === 'list' && query.sort) params.set('sort', query.sort);
  if (query.view === 'list' && query.sort && isColumnSort(query.sort))
    params.set('dir', columnOrder(query.sort, query.dir).dir);
  return savedViewQuery(params.toString());
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

const saveViewForm = z.object({
  name: formText,
  query: formText,
  replace: queryText(10),
});

/** Ticked rows: none, one (a string) or several (an array). */
const bulkForm = z.object({
  action: z.enum(BULK_ACTIONS, { error: `Choose one of: ${BULK_ACTIONS.join(', ')}` }),
  ids: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]))
    .catch([]),
  back: formText,
});

/** Only back to the board or the list: a form field never sends the user elsewhere. */
function boardHref(back: string): string {
  return /^\/board(\?[^#\\]*)?$/.test(back) ? back : '/board?view=list';
}

/** The queue board (columns, or a paged list) and its live feed. Moves and claims are task.ts. */
export function register(router: Router, kit: PageKit): void {
  const { deps } = kit;

  async function sendBoard(
    res: Response,
    web: SessionPrincipal,
    query: BoardQuery,
    extra: { notice?: string; error?: string; viewName?: string; status?: number } = {},
  ): Promise<void> {
    const now = deps.clock();
    const asTasks = taskQuery(query, web);
    const params = filterParams(query);
    const viewQuery = viewQueryOf(query);
    const { status = 200, ...messages } = extra;
    const common = {
      ...signedIn(web),
      ...messages,
      form: filterForm(query),
      options: await boardFilterOptions(deps, web.principal),
      filtered: params.size > 0,
      // The live board's redraw (fragment=1) shows no filter bar: it needs no saved views.
      views: (query.fragment === '1' ? [] : await listSavedViews(deps, web.principal)).map((view) => ({
        id: view.id,
        name: view.name,
        href: `/board?${view.query}`,
        current: view.query === viewQuery,
      })),
      viewQuery,
      exportHref: (format: 'csv' | 'jsonl') => {
        const exportParams = new URLSearchParams(params);
        exportParams.set('format', format);
        if (query.view === 'list' && query.sort) exportParams.set('sort', query.sort);
        if (query.view === 'list' && query.dir) exportParams.set('dir', query.dir);
        return `/board/export?${exportParams}`;
      },
    };
    if (query.view === 'list') {
      const sort = query.sort ?? 'newest';
      const dir = isColumnSort(sort) ? columnOrder(sort, query.dir).dir : null;
      const listQuery = listTasksQuerySchema.parse({
        ...asTasks,
        sort,
        dir: dir ?? undefined,
        cursor: query.cursor,
        limit: 50,
      });
      const { tasks, nextCursor } = await listTasks(deps, web.principal, listQuery);
      const here = new URLSearchParams(params);
      here.set('view', 'list');
      here.set('sort', sort);
      if (dir) here.set('dir', dir);
      const next = new URLSearchParams(here);
      if (nextCursor) next.set('cursor', nextCursor);
      if (query.cursor) here.set('cursor', query.cursor);
      const mayMove = can(web.principal.role, 'task:decide');
      kit.send(
        res,
        TEMPLATES.board,
        {
          ...common,
          view: 'list',
          sort,
          dir,
          headers: listHeaders(query),
          bulk: {
            allowed: mayMove,
            reason: mayMove ? null : 'Your role can read tasks but not claim, release or escalate them.',
            backHref: `/board?${here}`,
          },
          now,
          tasks,
          nextCursor,
          nextHref: `/board?${next}`,
        },
        status,
      );
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
    kit.send(res, TEMPLATES.board, { ...common, view: 'board', ...columns }, status);
  }

  router.get(
    '/board',
    kit.page(async (req, res, web) => {
      await sendBoard(res, web, readForm(boardQuery, req.query));
    }),
  );

  // "Save view": the filters the page shows, under a name, for this user. A refusal (a bad or taken
  // name) shows the same page again with the reason and what was typed.
  router.post(
    '/board/views',
    kit.form,
    kit.page(async (req, res, web) => {
      const form = readForm(saveViewForm, req.body);
      const query = savedViewQuery(form.query);
      try {
        await saveView(deps, web.principal, { name: form.name, query, replace: form.replace === '1' });
      } catch (error) {
        const appError = toAppError(error);
        if (!['conflict', 'validation_failed'].includes(appError.code)) throw error;
        await sendBoard(res, web, readForm(boardQuery, Object.fromEntries(new URLSearchParams(query))), {
          error: appError.message,
          viewName: form.name.slice(0, SAVED_VIEW_NAME_MAX + 20),
          status: appError.status,
        });
        return;
      }
      res.redirect(303, `/board?${query}`);
    }),
  );

  router.post(
    '/board/views/:id/delete',
    kit.form,
    kit.page(async (req, res, web) => {
      await deleteSavedView(deps, web.principal, String(req.params.id));
      res.redirect(303, boardHref(readForm(z.object({ back: formText }), req.body).back));
    }),
  );

  // Bulk claim/release/escalate from the list's ticked rows: the one-task use cases per task, and a
  // page saying what happened to each. A page of the list is 50 rows, more fields than kit.form allows.
  router.post(
    '/tasks/bulk',
    express.urlencoded({ extended: false, limit: deps.bodyLimit, parameterLimit: BULK_MAX + 10 }),
    kit.page(async (req, res, web) => {
      const form = readForm(bulkForm, req.body);
      const backHref = boardHref(form.back);
      if (form.ids.length === 0) {
        throw new AppError('validation_failed', 'Select at least one task (tick its row), then choose the action.');
      }
      const result = await bulkMove(deps, web.principal, form.action, form.ids);
      const verb = { claim: 'Claim', release: 'Release', escalate: 'Escalate' }[form.action];
      kit.send(res, TEMPLATES.bulkResult, {
        ...signedIn(web),
        heading: `${verb} selected tasks`,
        summary: result.summary,
        outcomes: result.outcomes,
        backHref,
      });
    }),
  );

  // The list's Export: the API's export (same filters, same streaming) for a signed-in user.
  router.get(
    '/board/export',
    kit.page(async (req, res, web) => {
      const query = readForm(boardQuery.extend({ format: z.enum(['csv', 'jsonl']).catch('csv') }), req.query);
      const { sort, dir, format } = query;
      const exportQuery = exportTasksQuerySchema.parse({ ...taskQuery(query, web), sort, dir, format });
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
