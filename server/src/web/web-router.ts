import express, { type Router } from 'express';
import type { HtmlErrorPage } from '../http-common/problem.js';
import { type PageKit, pageKit, type WebDeps } from './kit/page-kit.js';
import { CHART_JS_BROWSER_BUILD, JSDIFF_BROWSER_BUILD, WEB_ROOT } from './kit/render.js';
import * as account from './pages/account.js';
import * as adminApiKeys from './pages/admin-api-keys.js';
import * as adminUsers from './pages/admin-users.js';
import * as analytics from './pages/analytics.js';
import * as auth from './pages/auth.js';
import * as board from './pages/board.js';
import * as invitations from './pages/invitations.js';
import * as queueSettings from './pages/queue-settings.js';
import * as reviewLinks from './pages/review-links.js';
import * as settingsBoard from './pages/settings-board.js';
import * as settingsGrants from './pages/settings-grants.js';
import * as settingsGroups from './pages/settings-groups.js';
import * as settingsHalts from './pages/settings-halts.js';
import * as settingsReviewers from './pages/settings-reviewers.js';
import * as task from './pages/task.js';

export type { WebDeps } from './kit/page-kit.js';

/** Each page group adds its routes to the router with the shared kit (kit/page-kit.ts). */
const PAGES: { register(router: Router, kit: PageKit): void }[] = [
  auth,
  board,
  task,
  adminUsers,
  adminApiKeys,
  account,
  reviewLinks,
  invitations,
  queueSettings,
  settingsGroups,
  settingsBoard,
  settingsHalts,
  settingsGrants,
  settingsReviewers,
  analytics,
];

/** The server-rendered pages: session-cookie auth, their own CSP, forms that work without JS. */
export function webRouter(deps: WebDeps): Router {
  return webPages(deps).router;
}

/**
 * The pages, and the error page the app's one error handler (http-common/problem.ts) shows a
 * browser for a request no route answered or that failed outside a page (an unknown URL: an HTML
 * 404 in the layout with a link home, the signed-in user's header included).
 */
export function webPages(deps: WebDeps): { router: Router; errorPage: HtmlErrorPage } {
  const router = express.Router();
  router.get('/static/jsdiff.js', (_req, res) => res.sendFile(JSDIFF_BROWSER_BUILD, { maxAge: '1h' }));
  router.get('/static/chart.js', (_req, res) => res.sendFile(CHART_JS_BROWSER_BUILD, { maxAge: '1h' }));
  router.use('/static', express.static(`${WEB_ROOT}/static`, { index: false, maxAge: '1h' }));
  const kit = pageKit(deps);
  for (const pages of PAGES) pages.register(router, kit);
  return { router, errorPage: kit.errorPage };
}
