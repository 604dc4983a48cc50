import {
  BOARD_MAX_COLUMNS,
  type BoardColumnConfig,
  type BoardColumnFilter,
  boardConfigInputSchema,
  type FieldError,
  riskLevelSchema,
} from '@loopgate/shared';
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { can } from '../../domain/kernel/access.js';
import { AppError } from '../../domain/kernel/errors.js';
import { boardFilterOptions, DEFAULT_BOARD_COLUMNS, STAGE_TITLES } from '../../domain/reviewers/board.js';
import { getBoardConfig, saveBoardConfig } from '../../domain/reviewers/board-config.js';
import type { SessionPrincipal } from '../../domain/reviewers/sessions.js';
import { fieldErrorsOf } from '../../http-common/field-errors.js';
import { toAppError } from '../../http-common/problem.js';
import { formText, readForm } from '../kit/forms.js';
import type { PageKit } from '../kit/page-kit.js';
import { TEMPLATES } from '../kit/templates.js';
import { type BoardSettingsColumn, type SettingsBoardView, signedIn } from '../kit/view-models.js';

/** One value or several (repeated fields), always as a list. */
const list = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]))
  .catch([]);

const versionField = z.coerce.number().int().min(0).catch(-1);

/** The columns form: the ids in board order, then `title:<id>` and `hidden:<id>` per column, and the button pressed. */
const columnsForm = z.looseObject({ version: versionField, order: list, op: formText });

const addForm = z.object({
  version: versionField,
  title: formText.transform((text) => text.trim()),
  tag: formText.transform((text) => text.trim()),
  queue: formText.transform((text) => text.trim()),
  source: formText.transform((text) => text.trim()),
  risk: formText,
  minLevel: formText.transform((text) => text.trim()),
});
type AddForm = z.output<typeof addForm>;

const noticeQuery = z.object({
  notice: z
    .string()
    .transform((text) => text.slice(0, 200))
    .optional()
    .catch(undefined),
});

const EMPTY_ADD: SettingsBoardView['add'] = { title: '', tag: '', queue: '', source: '', risk: '', minLevel: '' };

function requireAdmin(web: SessionPrincipal): void {
  if (!can(web.principal.role, 'workspace:admin')) throw new AppError('forbidden', 'Only admins configure the board');
}

const requestIdOf = (req: Request): string | null => (typeof req.id === 'string' ? req.id : null);

/** What a filter column selects, in words. */
export function describeFilter(filter: BoardColumnFilter): string {
  const parts: string[] = [];
  if (filter.tag !== undefined) parts.push(`tag ${filter.tag}`);
  if (filter.queue !== undefined) parts.push(`queue ${filter.queue}`);
  if (filter.source !== undefined) parts.push(`source ${filter.source}`);
  if (filter.riskLevel !== undefined) parts.push(`risk ${filter.riskLevel}`);
  if (filter.minLevel !== undefined) parts.push(`approval level ${filter.minLevel} or later`);
  return parts.join(' · ');
}

function describe(column: BoardColumnConfig): string {
  return column.kind === 'stage'
    ? `Built-in stage: ${STAGE_TITLES[column.stage]}`
    : `Open tasks with ${describeFilter(column.filter)}`;
}

/** A column id from a title: "Fraud flags" → "fraud-flags", made unique among `taken`. */
export function columnIdFor(title: string, taken: ReadonlySet<string>): string {
  const base =
    title
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 32) || 'column';
  let id = base;
  for (let n = 2; taken.has(id); n += 1) id = `${base}-${n}`;
  return id;
}

/** Problems by column index, and the ones about the board as a whole. */
function problemsByColumn(problems: FieldError[]): { byIndex: Map<number, Record<string, string>>; general: string[] } {
  const byIndex = new Map<number, Record<string, string>>();
  const general: string[] = [];
  for (const problem of problems) {
    const match = /^columns\.(\d+)(?:\.(.+))?$/.exec(problem.path);
    if (!match) {
      general.push(problem.message);
      continue;
    }
    const index = Number(match[1]);
    const field = match[2] ?? 'column';
    const forColumn = byIndex.get(index) ?? {};
    forColumn[field] ??= problem.message;
    byIndex.set(index, forColumn);
  }
  return { byIndex, general };
}

/** The proposed board checked by the API's schema; problems by path (columns.2.title). */
function check(columns: BoardColumnConfig[], version: number) {
  const parsed = boardConfigInputSchema.safeParse({ columns, version }, { reportInput: true });
  if (parsed.success) return { ok: true as const, input: parsed.data };
  return { ok: false as const, problems: fieldErrorsOf(parsed.error, (path) => path.map(String).join('.')) };
}

const FILTER_FIELDS: Record<string, keyof AddForm> = {
  title: 'title',
  'filter.tag': 'tag',
  'filter.queue': 'queue',
  'filter.source': 'source',
  'filter.riskLevel': 'risk',
  'filter.minLevel': 'minLevel',
  filter: 'tag',
};

/**
 * /settings/board: the workspace's board columns in order, each with its title, a Hide box and
 * Move up / Move down (Remove for filter columns), and a form adding a filter column. Plain forms
 * (no script needed), saved through the same use case as PUT /api/v1/board and checked by its
 * schema, so the page refuses what the API refuses, each problem beside its field.
 */
export function register(router: Router, kit: PageKit): void {
  const { deps } = kit;
  // A board of 12 columns sends ~40 fields; the kit's form parser allows 50, this a few more.
  const body = express.urlencoded({ extended: false, limit: kit.deps.bodyLimit, parameterLimit: 120 });

  async function send(
    res: Response,
    web: SessionPrincipal,
    state: {
      columns?: BoardColumnConfig[];
      version?: number;
      notice?: string;
      failed?: SettingsBoardView['failed'];
      problems?: FieldError[];
      add?: SettingsBoardView['add'];
      addProblems?: Record<string, string>;
    },
    status = 200,
  ): Promise<void> {
    const [saved, options] = await Promise.all([
      getBoardConfig(deps, web.principal),
      boardFilterOptions(deps, web.principal),
    ]);
    const columns = state.columns ?? saved.columns;
    const { byIndex, general } = problemsByColumn(state.failed === 'columns' ? (state.problems ?? []) : []);
    const rows: BoardSettingsColumn[] = columns.map((column, index) => ({
      id: column.id,
      title: column.title,
      hidden: column.hidden === true,
      kind: column.kind,
      describe: describe(column),
      problems: byIndex.get(index) ?? {},
    }));
    kit.send(
      res,
      TEMPLATES.settingsBoard,
      {
        ...signedIn(web),
        version: state.version ?? saved.version,
        columns: rows,
        maxColumns: BOARD_MAX_COLUMNS,
        queues: options.queues,
        notice: state.notice,
        failed: state.failed,
        errors: state.failed === 'add' ? (state.problems ?? []).map((p) => p.message) : general,
        add: state.add ?? EMPTY_ADD,
        addProblems: state.addProblems ?? {},
      },
      status,
    );
  }

  /** Saves `columns`; a refusal the admin can fix shows the page again with what they typed and why. */
  async function save(
    req: Request,
    res: Response,
    web: SessionPrincipal,
    columns: BoardColumnConfig[],
    version: number,
    notice: string,
    onProblems: (problems: FieldError[]) => Promise<void>,
  ): Promise<void> {
    const checked = check(columns, version);
    if (!checked.ok) {
      await onProblems(checked.problems);
      return;
    }
    try {
      await saveBoardConfig(deps, web.principal, checked.input, requestIdOf(req));
    } catch (error) {
      const appError = toAppError(error);
      if (appError.code !== 'conflict') throw error;
      await send(res, web, { notice: appError.message }, 409);
      return;
    }
    res.redirect(303, `/settings/board?notice=${encodeURIComponent(notice)}`);
  }

  router.get(
    '/settings/board',
    kit.page(async (req, res, web) => {
      requireAdmin(web);
      await send(res, web, { notice: readForm(noticeQuery, req.query).notice });
    }),
  );

  router.post(
    '/settings/board',
    body,
    kit.page(async (req, res, web) => {
      requireAdmin(web);
      const form = readForm(columnsForm, req.body) as z.output<typeof columnsForm> & Record<string, unknown>;
      const saved = await getBoardConfig(deps, web.principal);
      if (form.op === 'reset') {
        const defaults = DEFAULT_BOARD_COLUMNS.map((column) => ({ ...column }));
        await save(req, res, web, defaults, form.version, 'The board shows the built-in columns again', (problems) =>
          send(res, web, { failed: 'columns', problems }, 400),
        );
        return;
      }
      // The columns are the saved ones in the order the form lists them, with the titles and boxes
      // it sent; the form names columns by id, so a board changed meanwhile is caught by its version.
      const byId = new Map(saved.columns.map((column) => [column.id, column]));
      const sameColumns = form.order.length === saved.columns.length && new Set(form.order).size === form.order.length;
      if (!sameColumns || form.order.some((id) => !byId.has(id))) {
        await send(
          res,
          web,
          { notice: 'The board was changed since this page was opened; here it is as it is now.' },
          409,
        );
        return;
      }
      let columns: BoardColumnConfig[] = form.order.map((id) => {
        const column = byId.get(id) as BoardColumnConfig;
        const title = form[`title:${id}`];
        return {
          ...column,
          title: typeof title === 'string' ? title.trim() : column.title,
          hidden: form[`hidden:${id}`] === '1' ? true : undefined,
        };
      });
      const [verb, target] = form.op.split(':');
      const at = columns.findIndex((column) => column.id === target);
      let notice = 'Board columns saved';
      if (at >= 0 && (verb === 'up' || verb === 'down')) {
        const to = verb === 'up' ? at - 1 : at + 1;
        if (to >= 0 && to < columns.length) {
          const next = [...columns];
          [next[at], next[to]] = [next[to] as BoardColumnConfig, next[at] as BoardColumnConfig];
          columns = next;
          notice = `"${columns[to]?.title}" moved ${verb}`;
        }
      } else if (at >= 0 && verb === 'remove') {
        const removed = columns[at] as BoardColumnConfig;
        if (removed.kind === 'stage') {
          await send(
            res,
            web,
            {
              failed: 'columns',
              problems: [{ path: `columns.${at}`, message: 'A built-in stage cannot be removed: tick Hide instead' }],
              columns,
              version: form.version,
            },
            400,
          );
          return;
        }
        columns = columns.filter((_column, index) => index !== at);
        notice = `"${removed.title}" removed`;
      }
      // What the admin typed stays on the page with the problems, not the stored columns.
      const shown = columns;
      await save(req, res, web, columns, form.version, notice, (problems) =>
        send(res, web, { failed: 'columns', problems, columns: shown, version: form.version }, 400),
      );
    }),
  );

  router.post(
    '/settings/board/columns',
    body,
    kit.page(async (req, res, web) => {
      requireAdmin(web);
      const form = readForm(addForm, req.body);
      const saved = await getBoardConfig(deps, web.principal);
      const addProblems: Record<string, string> = {};
      const risk = form.risk === '' ? undefined : riskLevelSchema.safeParse(form.risk).data;
      if (form.risk !== '' && risk === undefined) addProblems.risk = 'Pick a risk level from the list';
      const minLevel = form.minLevel === '' ? undefined : Number(form.minLevel);
      const filter = {
        tag: form.tag || undefined,
        queue: form.queue || undefined,
        source: form.source || undefined,
        riskLevel: risk,
        minLevel,
      } as BoardColumnFilter;
      const column: BoardColumnConfig = {
        id: columnIdFor(form.title, new Set(saved.columns.map((each) => each.id))),
        title: form.title,
        kind: 'filter',
        filter,
      };
      // A new filter column goes before Completed, so the open work stays together.
      const completed = saved.columns.findIndex((each) => each.kind === 'stage' && each.stage === 'completed');
      const index = completed >= 0 ? completed : saved.columns.length;
      const columns = [...saved.columns.slice(0, index), column, ...saved.columns.slice(index)];
      const refuse = (problems: FieldError[]) => {
        const general: FieldError[] = [];
        for (const problem of problems) {
          const match = new RegExp(`^columns\\.${index}\\.(.+)$`).exec(problem.path);
          const field = match ? FILTER_FIELDS[match[1] as string] : undefined;
          if (field) addProblems[field] ??= problem.message;
          else general.push(problem);
        }
        return send(
          res,
          web,
          { failed: 'add', problems: general, add: { ...form, risk: form.risk }, addProblems },
          400,
        );
      };
      if (Object.keys(addProblems).length > 0) {
        await refuse([]);
        return;
      }
      await save(req, res, web, columns, form.version, `Column "${form.title}" added`, refuse);
    }),
  );
}
