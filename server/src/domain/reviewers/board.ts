import {
  BOARD_STAGES,
  type BoardColumnConfig,
  type BoardColumnFilter,
  type BoardStage,
  FINAL_TASK_STATUSES,
  OPEN_TASK_STATUSES,
} from '@loopgate/shared';
import { DEFAULT_QUEUE_NAME } from '../approvals/queue-config.js';
import { authorize, type Principal } from '../kernel/access.js';
import type { Store } from '../store.js';
import type { TaskRecord } from '../tasks/task-record.js';
import { workflowOf } from '../tasks/task-transition.js';
import { type DetailedCard, detailCards } from './board-cards.js';
import { type CardState, stageOf } from './board-stage.js';
import type { BoardColumnQuery, BoardFilter } from './reviewer-ports.js';

export { BOARD_STAGES, type BoardStage, type CardState, stageOf };

/**
 * The board's columns as queries over task state. An escalated task shows under Escalated whatever
 * else is true of it; a claimed one under In Progress; one with votes in (or on a later level) under
 * Needs Approval. Completed shows the last day only. A workspace may rename, reorder and hide them
 * and add filter columns (board-config.ts); these are the stages underneath.
 */
const STAGES: Record<BoardStage, { title: string; query: (now: number) => BoardColumnQuery }> = {
  pending: {
    title: 'Pending Review',
    query: () => ({ statuses: ['pending_review'], escalated: false, claimed: false, order: 'urgency' }),
  },
  in_progress: {
    title: 'In Progress',
    query: () => ({ statuses: OPEN_TASK_STATUSES, escalated: false, claimed: true, order: 'urgency' }),
  },
  needs_approval: {
    title: 'Needs Approval',
    query: () => ({ statuses: ['in_review'], escalated: false, claimed: false, order: 'urgency' }),
  },
  escalated: {
    title: 'Escalated',
    query: () => ({ statuses: OPEN_TASK_STATUSES, escalated: true, order: 'urgency' }),
  },
  completed: {
    title: 'Completed',
    query: (now) => ({
      statuses: FINAL_TASK_STATUSES,
      closedAfter: now - 24 * 60 * 60 * 1000,
      order: 'recently_closed',
    }),
  },
};

/** A task's card state, with a fresh task's workflow defaults where none is stored. */
export function cardStateOf(task: TaskRecord): CardState {
  const flow = workflowOf(task);
  return { status: task.status, escalated: flow.escalated, claimed: flow.claimed };
}

export const STAGE_TITLES: Readonly<Record<BoardStage, string>> = Object.fromEntries(
  BOARD_STAGES.map((stage) => [stage, STAGES[stage].title]),
) as Record<BoardStage, string>;

/**
 * The stages' titles as this workspace's board shows them (an admin may have renamed them), so a
 * message about a move names the columns the reviewer sees; a hidden stage keeps its built-in title.
 */
export async function stageTitles(
  deps: { store: Store },
  principal: Principal,
): Promise<Readonly<Record<BoardStage, string>>> {
  authorize(principal, 'task:read');
  const config = await deps.store.read.boardConfigs.find(principal.workspaceId);
  const titles: Record<BoardStage, string> = { ...STAGE_TITLES };
  for (const column of config?.columns ?? []) {
    if (column.kind === 'stage') titles[column.stage] = column.title;
  }
  return titles;
}

/**
 * Drag and drop: where a reviewer may move a card by hand. Claiming moves it to In Progress;
 * releasing a claim moves it back to the column its votes put it in; escalating moves it to
 * Escalated. Completed is reached by a decision only (the task page), and an escalated card stays
 * put until it is decided.
 */
export function movesFrom(card: CardState): BoardStage[] {
  switch (stageOf(card)) {
    case 'pending':
    case 'needs_approval':
      return ['in_progress', 'escalated'];
    case 'in_progress':
      return [card.status === 'in_review' ? 'needs_approval' : 'pending', 'escalated'];
    default:
      return [];
  }
}

export type BoardMove = 'claim' | 'release' | 'escalate';

/** The action behind a move `movesFrom` allows. */
export function moveAction(to: BoardStage): BoardMove {
  if (to === 'in_progress') return 'claim';
  if (to === 'escalated') return 'escalate';
  return 'release';
}

/** The board a workspace sees until an admin configures it: the five stages in their order. */
export const DEFAULT_BOARD_COLUMNS: readonly BoardColumnConfig[] = BOARD_STAGES.map((stage) => ({
  id: stage,
  title: STAGES[stage].title,
  kind: 'stage' as const,
  stage,
}));

export interface BoardColumn {
  /** The column's id in the configuration (a stage's name for the built-in ones by default). */
  id: string;
  /** The stage a stage column shows; null for a filter column (its cards are in any open stage). */
  stage: BoardStage | null;
  title: string;
  /** With the queue's card fields and what the viewer can do to each (board-cards.ts). */
  cards: DetailedCard[];
  total: number;
}

/** Cards a column shows at first, and how many more each "Show more" adds. */
export const BOARD_COLUMN_LIMIT = 50;

/** Past this a column sends people to the list view: a page of thousands of cards helps nobody. */
export const BOARD_COLUMN_MAX = 1000;

/** How many cards a column shows when the page asks for `requested` (none: the first page). */
export function columnLimit(requested: number | undefined): number {
  if (requested === undefined || !Number.isFinite(requested)) return BOARD_COLUMN_LIMIT;
  return Math.min(BOARD_COLUMN_MAX, Math.max(BOARD_COLUMN_LIMIT, Math.trunc(requested)));
}

/**
 * What each shown column selects. A card shows in the first filter column it matches (filter columns
 * take open tasks only, each excluding what the filter columns before it took); the open tasks no
 * filter column took show in their stage's column. Hidden columns show nothing and take nothing.
 */
export function columnQueries(
  columns: readonly BoardColumnConfig[],
  now: number,
): { column: BoardColumnConfig; query: BoardColumnQuery }[] {
  const shown = columns.filter((column) => !column.hidden);
  const filters: BoardColumnFilter[] = [];
  for (const column of shown) if (column.kind === 'filter') filters.push(column.filter);
  let earlier = 0;
  return shown.map((column) => {
    if (column.kind === 'filter') {
      const exclude = filters.slice(0, earlier);
      earlier += 1;
      return { column, query: { statuses: OPEN_TASK_STATUSES, order: 'urgency', match: column.filter, exclude } };
    }
    const query = STAGES[column.stage].query(now);
    return { column, query: column.stage === 'completed' ? query : { ...query, exclude: filters } };
  });
}

/**
 * The board: each column's first cards in its order (open work by urgency, so the most overdue
 * never falls off) and its real count, in the columns the workspace configured (the five stages
 * when it never did). `limit` is one number for every column, or a number per column id ("Show
 * more" on one column).
 */
export async function loadBoard(
  deps: { store: Store; clock: () => number },
  principal: Principal,
  filter: BoardFilter,
  limit: number | Partial<Record<string, number>> = BOARD_COLUMN_LIMIT,
): Promise<BoardColumn[]> {
  authorize(principal, 'task:read');
  const now = deps.clock();
  const config = await deps.store.read.boardConfigs.find(principal.workspaceId);
  const columns = await Promise.all(
    columnQueries(config?.columns ?? DEFAULT_BOARD_COLUMNS, now).map(async ({ column, query }) => {
      const { cards, total } = await deps.store.read.board.column(
        principal.workspaceId,
        query,
        filter,
        typeof limit === 'number' ? limit : columnLimit(Object.hasOwn(limit, column.id) ? limit[column.id] : undefined),
      );
      const stage = column.kind === 'stage' ? column.stage : null;
      return { id: column.id, stage, title: column.title, cards, total };
    }),
  );
  const detailed = await detailCards(
    deps,
    principal,
    columns.flatMap((column) => column.cards),
  );
  return columns.map((column) => ({
    ...column,
    cards: column.cards.map((card) => detailed.get(card.id) as DetailedCard),
  }));
}

/** What the board's filters offer: the workspace's queues, the sources its tasks came from, its members, tags in use. */
export async function boardFilterOptions(deps: { store: Store }, principal: Principal) {
  authorize(principal, 'task:read');
  const [queues, sources, members, tags] = await Promise.all([
    deps.store.read.queues.list(principal.workspaceId),
    deps.store.read.board.sources(principal.workspaceId, 100),
    deps.store.read.members.listForWorkspace(principal.workspaceId),
    deps.store.read.board.recentTags(principal.workspaceId, 100),
  ]);
  const queueNames = [...new Set([DEFAULT_QUEUE_NAME, ...queues.map((queue) => queue.name)])].sort();
  return { queues: queueNames, sources, members, tags };
}
