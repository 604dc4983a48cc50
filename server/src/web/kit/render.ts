import path from 'node:path';
import { Eta } from 'eta';
import { BOARD_COUNT_CAP } from '../../domain/reviewers/reviewer-ports.js';

/** Templates and static files live beside src/ (server/web), so src and dist builds find the same ones. */
export const WEB_ROOT = path.resolve(__dirname, '../../../web');

/**
 * The payload editor's live diff (static/task.js) runs jsdiff's own browser build: the very package,
 * at the very version, that the server diffs with (domain/approvals/payload-diff.ts), so the live
 * diff and the confirm step cannot disagree. Served by the pages (/static/jsdiff.js), never a CDN:
 * the page CSP allows scripts from this origin only.
 */
/**
 * The analytics page's charts: Chart.js's own UMD build, served from node_modules under the page CSP
 * (it injects no styles and evaluates no strings). Its package exports only its entry points, so the
 * build is found beside the CommonJS entry.
 */
export const CHART_JS_BROWSER_BUILD = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');

export const JSDIFF_BROWSER_BUILD = path.join(path.dirname(require.resolve('diff/package.json')), 'dist/diff.min.js');

/**
 * Eta with auto-escaping: `<%= %>` escapes & < > " ' and is the only output tag the templates use
 * for data; `<%~ %>` (raw) appears only for the layout body, included partials (themselves
 * templates) and the `SafeHtml` that kit/markdown.ts makes from a task's description and context
 * (raw HTML off, http(s)/mailto links only). Agent-written text therefore never reaches the page as
 * its own markup.
 */
const views = new Eta({
  views: path.join(WEB_ROOT, 'templates'),
  autoEscape: true,
  cache: true,
});

export function formatTime(ms: number | null): string {
  return ms === null
    ? '—'
    : new Date(ms)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC');
}

export function formatConfidence(value: number | null): string {
  return value === null ? '—' : `${Math.round(value * 100)} %`;
}

/** A span as a person reads it at a glance: "40 s", "12 min", "3 h 5 min", "2 d 4 h". */
function spanText(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return `${Math.floor(ms / 1000)} s`;
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}

/**
 * "overdue 12 min" or "due in 3 h 5 min". The board's script (static/board.js, dueText) words its
 * live countdown the same way.
 */
export function formatDue(dueAt: number, now: number): string {
  const left = dueAt - now;
  return left <= 0 ? `overdue ${spanText(-left)}` : `due in ${spanText(left)}`;
}

/**
 * What every template may use besides its view model: `it.time(…)`, `it.due(…)`, `it.confidence(…)`,
 * `it.countCap`.
 */
export const TEMPLATE_HELPERS = {
  time: formatTime,
  due: formatDue,
  confidence: formatConfidence,
  countCap: BOARD_COUNT_CAP,
} as const;

declare const viewModel: unique symbol;

/**
 * An Eta template and the view model it renders. The phantom member makes `Template<A>` and
 * `Template<B>` different types, so `render(TEMPLATES.board, data)` checks `data` against the
 * board's view model: a missing field is a compile error, not `undefined` (or "x is not a
 * function") at render time.
 */
export interface Template<View> {
  readonly name: string;
  readonly [viewModel]?: (view: View) => void;
}

export function template<View>(name: string): Template<View> {
  return { name };
}

/** The one way a page, a fragment or the bench turns a view model into HTML. */
export function render<View>(page: Template<View>, view: NoInfer<View>): string {
  return views.render(`./${page.name}`, { ...TEMPLATE_HELPERS, ...view });
}
