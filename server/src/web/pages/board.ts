import { listTasksQuerySchema, riskLevelSchema } from '@loopgate/shared';
import type { Router } from 'express';
import { z } from 'zod';
import { BOARD_STAGES, type BoardStage, loadBoard } from '../../domain/reviewers/board.js';
import { listMembers } from '../../domain/reviewers/members.js';
import type { BoardFilter } from '../../domain/reviewers/reviewer-ports.js';
import { listTasks } from '../../domain/tasks/read-tasks.js';
import { streamTaskChanges } from '../../http-common/task-change-stream.js';
import { queryText, readForm } from '../kit/forms.js';
import type { PageKit } from '../kit/page-kit.js';
import { sendFragment } from '../kit/send.js';
import { TEMPLATES } from '../kit/templates.js';
import { boardColumnsView, signedIn } from '../kit/view-models.js';

/** The board's query string: filters, the list view's paging, and the live board's fragment request. */
const boardQuery = z.object({
  queue: queryText(64),
  risk: riskLevelSchema.optional().catch(undefined),
  source: queryText(64),
  assignee: queryText(64),
  q: queryText(200),
  view: queryText(200),
  cursor: queryText(200),
  fragment: queryText(200),
  show: queryText(200),
});

/**
 * `show=pending:100,escalated:150`: how many cards a column shows after "Show more". Kept in the
 * URL, so the live board's refresh (the same URL with fragment=1) keeps what the user opened.
 */
function parseShown(show: string | undefined): Partial<Record<BoardStage, number>> {
  const shown: Partial<Record<BoardStage, number>> = {};
  for (const part of (show ?? '').split(',')) {
    const [stage, count] = part.split(':');
    if ((BOARD_STAGES as readonly string[]).includes(stage ?? '') && /^\d{1,5}$/.test(count ?? '')) {
      shown[stage as BoardStage] = Number(count);
    }
  }
  return shown;
}

function moreHrefFor(query: z.output<typeof boardQuery>, shown: Partial<Record<BoardStage, number>>) {
  return (stage: BoardStage, count: number): string => {
    const params = new URLSearchParams();
    for (const key of ['queue', 'risk', 'source', 'assignee', 'q'] as const) {
      const value = query[key];
      if (value) params.set(key, value);
    }
    const next = { ...shown, [stage]: count };
    params.set(
      'show',
      Object.entries(next)
        .map(([s, n]) => `${s}:${n}`)
        .join(','),
    );
    return `/board?${params}#column-${stage}`;
  };
}

/** The queue board (columns, or a paged list) and its live feed. Moves and claims are task.ts. */
export function register(router: Router, kit: PageKit): void {
  const { deps } = kit;

  router.get(
    '/board',
    kit.page(async (req, res, web) => {
      const query = readForm(boardQuery, req.query);
      const filter: BoardFilter = {
        queue: query.queue,
        riskLevel: query.risk,
        source: query.source,
        assigneeId: query.assignee,
        search: query.q,
      };
      const now = deps.clock();
      if (query.view === 'list') {
        const listQuery = listTasksQuerySchema.parse({
          queue: filter.queue,
          riskLevel: filter.riskLevel,
          source: filter.source,
          cursor: query.cursor,
          limit: 50,
        });
        const { tasks, nextCursor } = await listTasks(deps, web.principal, listQuery);
        const next = new URLSearchParams({ view: 'list', ...(nextCursor ? { cursor: nextCursor } : {}) });
        for (const [key, value] of Object.entries({
          queue: filter.queue,
          risk: filter.riskLevel,
          source: filter.source,
        })) {
          if (value) next.set(key, value);
        }
        const members = await listMembers(deps, web.principal);
        kit.send(res, TEMPLATES.board, {
          ...signedIn(web),
          filter,
          members,
          view: 'list',
          tasks,
          nextCursor,
          nextHref: `/board?${next}`,
        });
        return;
      }
      const shown = parseShown(query.show);
      const columns = boardColumnsView({
        columns: await loadBoard(deps, web.principal, filter, shown),
        principal: web.principal,
        csrf: web.session.csrfToken,
        now,
        moreHref: moreHrefFor(query, shown),
      });
      if (query.fragment === '1') {
        sendFragment(res, TEMPLATES.boardColumns, columns);
        return;
      }
      const members = await listMembers(deps, web.principal);
      kit.send(res, TEMPLATES.board, { ...signedIn(web), filter, members, view: 'board', ...columns });
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
