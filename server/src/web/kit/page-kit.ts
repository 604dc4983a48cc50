import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { noteAuditPrincipal } from '../../domain/audit/audit-context.js';
import { AppError } from '../../domain/kernel/errors.js';
import type { EmailMessage, Notifier } from '../../domain/kernel/notifier.js';
import { randomToken, sameToken } from '../../domain/kernel/secrets.js';
import type { AttemptLimiter } from '../../domain/reviewers/login-limits.js';
import { authenticateSession, logOut, SESSION_TTL_MS, type SessionPrincipal } from '../../domain/reviewers/sessions.js';
import type { CreateTaskDeps } from '../../domain/tasks/create-task.js';
import { memoryAttemptLimiter } from '../../limits/attempt-limiter.js';
import { clearCookie, cookieNames, readCookies, setCookie } from './cookies.js';
import { readForm, sentText } from './forms.js';
import { sameOriginForms } from './same-origin.js';
import { sendError, sendPage } from './send.js';

export interface WebDeps extends CreateTaskDeps {
  logger: Logger;
  publicUrl: string;
  bodyLimit: string;
  limiter?: AttemptLimiter;
  /** Wakes the outbox worker after an admin's redeliver. */
  kickDeliveries?: () => void;
  /** Sends invitation mails; without it the pages cannot add anyone (the operator's CLI still can). */
  notifier?: Notifier;
  onInvitationSent?: (message: EmailMessage, link: string) => void;
  /** Cost of an hour of reviewer time for the analytics page's ROI numbers; null or absent: not set. */
  reviewerHourCost?: number | null;
  /** How long after its decision an approval may be revoked (LOOPGATE_REVOKE_WINDOW_HOURS); 0: never. */
  revokeWindowMs?: number;
}

export type PageHandler = (req: Request, res: Response, web: SessionPrincipal) => Promise<void>;

/** What every page module gets from web-router.ts: `register(router, kit)`. */
export interface PageKit {
  deps: WebDeps;
  /** Logins and invitation passwords share one budget per process (or the one the app was given). */
  limiter: AttemptLimiter;
  /** Parses a urlencoded form body (size and field count limited). */
  form: RequestHandler;
  /** Refuses forms that another site posted; for the forms that have no session (login, links). */
  sameOrigin: RequestHandler;
  /** A page behind login: renders errors as pages, sends the logged-out to the login form. */
  page(handler: PageHandler): RequestHandler;
  send: typeof sendPage;
  /** The error page (or JSON for scripts) for an error a handler caught. */
  fail(req: Request, res: Response, error: unknown, web: SessionPrincipal | null): void;
  /** The same error page for a request outside any page (an unknown URL), with the visitor's session if any. */
  errorPage(req: Request, res: Response, error: unknown): Promise<void>;
  log(req: Request): Logger;
  /** Before a session exists, CSRF is a double-submit token: this cookie plus the form's hidden field. */
  issueLoginCsrf(res: Response): string;
  loginCsrfMatches(req: Request): boolean;
  /** Logged in: the session cookie replaces the login form's CSRF cookie. */
  startSession(res: Response, token: string): void;
  endSession(req: Request, res: Response): Promise<void>;
}

const LOGIN_CSRF_MAX_AGE_MS = 60 * 60 * 1000;

/** Any form's CSRF token field; scripts send the token as X-CSRF-Token instead. */
const csrfField = z.object({ _csrf: sentText });

/** The client's address as limits count it: the peer, or X-Forwarded-For when LOOPGATE_TRUST_PROXY says so. */
export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

export function pageKit(deps: WebDeps): PageKit {
  const limiter = deps.limiter ?? memoryAttemptLimiter(deps.logger);
  const secure = deps.publicUrl.startsWith('https:');
  const cookies = cookieNames(secure);
  const fail = (req: Request, res: Response, error: unknown, web: SessionPrincipal | null) =>
    sendError(req, res, error, web, deps.logger);

  /** Once per request: the page wrapper and the handler may both ask. */
  async function sessionOf(req: Request, res: Response): Promise<SessionPrincipal | null> {
    const locals = res.locals as { web?: SessionPrincipal | null };
    if (locals.web !== undefined) return locals.web;
    const token = readCookies(req)[cookies.session];
    locals.web = token ? await authenticateSession(deps, token) : null;
    if (locals.web) noteAuditPrincipal(locals.web.principal);
    return locals.web;
  }

  function checkSessionCsrf(req: Request, web: SessionPrincipal): void {
    const sent = readForm(csrfField, req.body)._csrf ?? req.get('x-csrf-token') ?? '';
    if (!sameToken(sent, web.session.csrfToken)) throw new AppError('csrf_token_invalid');
  }

  return {
    deps,
    limiter,
    form: express.urlencoded({ extended: false, limit: deps.bodyLimit, parameterLimit: 50 }),
    sameOrigin: sameOriginForms(deps.publicUrl, (req, res, error) => fail(req, res, error, null)),
    send: sendPage,
    fail,
    async errorPage(req, res, error) {
      const web = await sessionOf(req, res).catch(() => null);
      sendError(req, res, error, web, deps.logger, { html: true });
    },
    log: (req) => req.log ?? deps.logger,

    page(handler) {
      return async (req: Request, res: Response, _next: NextFunction) => {
        let web: SessionPrincipal | null = null;
        try {
          web = await sessionOf(req, res);
          if (!web) {
            if (req.method === 'GET' && req.accepts(['html', 'json']) === 'html') {
              res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
            } else {
              throw new AppError('unauthorized', 'Log in first');
            }
            return;
          }
          if (req.method === 'POST') checkSessionCsrf(req, web);
          await handler(req, res, web);
        } catch (error) {
          fail(req, res, error, web);
        }
      };
    },

    issueLoginCsrf(res) {
      const csrf = randomToken();
      setCookie(res, cookies.loginCsrf, csrf, { secure, maxAgeMs: LOGIN_CSRF_MAX_AGE_MS });
      return csrf;
    },

    loginCsrfMatches(req) {
      const cookie = readCookies(req)[cookies.loginCsrf] ?? '';
      return cookie !== '' && sameToken(readForm(csrfField, req.body)._csrf ?? '', cookie);
    },

    startSession(res, token) {
      clearCookie(res, cookies.loginCsrf, secure);
      setCookie(res, cookies.session, token, { secure, maxAgeMs: SESSION_TTL_MS });
    },

    async endSession(req, res) {
      const token = readCookies(req)[cookies.session];
      if (token) await logOut(deps, token);
      clearCookie(res, cookies.session, secure);
    },
  };
}
