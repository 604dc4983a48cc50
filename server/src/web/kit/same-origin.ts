import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AppError } from '../../domain/kernel/errors.js';

/**
 * Forms that are posted before a session exists — the login, an invitation's accept, an e-mail
 * review link's decision — have no session-bound CSRF token to check. The login and invitation
 * forms use a double-submit cookie, but a cookie can be planted: a sibling origin
 * (evil.example.com next to lg.example.com) may set a cookie for the parent domain ("cookie
 * tossing"), and it can fetch a valid cookie/token pair from our own GET /login first. So these
 * POSTs are refused when the browser says they come from another site:
 *
 * - `Sec-Fetch-Site: cross-site` or `same-site` (a sibling subdomain is "same-site" but another origin);
 * - an `Origin` that is neither the public origin (LOOPGATE_PUBLIC_URL) nor the origin the request
 *   was sent to (an operator reaching the server by another name), including the opaque `null`.
 *
 * Requests with neither header are not from a browser that could be made to post (curl, scripts)
 * and are allowed; every browser that runs such a form sends at least one of them.
 */
export function crossSiteReason(req: Request, publicOrigin: string): string | null {
  const site = req.get('sec-fetch-site');
  if (site === 'cross-site' || site === 'same-site') return `Sec-Fetch-Site: ${site}`;
  const origin = req.get('origin');
  if (origin === undefined) return null;
  const sent = originOf(origin);
  if (sent !== null && (sent === publicOrigin || sent === requestOrigin(req))) return null;
  return `Origin: ${origin.slice(0, 200)}`;
}

function originOf(value: string): string | null {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : null;
  } catch {
    return null;
  }
}

/** The origin this request was addressed to, as the browser would write it (no default port). */
function requestOrigin(req: Request): string | null {
  const host = req.get('host');
  return host ? originOf(`${req.protocol}://${host}`) : null;
}

/**
 * Express middleware for those forms: passes same-origin (and header-less) posts on, and hands
 * cross-site ones to `refuse` (which renders the error page) before their body is even read.
 */
export function sameOriginForms(
  publicUrl: string,
  refuse: (req: Request, res: Response, error: AppError) => void,
): RequestHandler {
  const publicOrigin = new URL(publicUrl).origin;
  return (req: Request, res: Response, next: NextFunction) => {
    const reason = crossSiteReason(req, publicOrigin);
    if (reason === null) {
      next();
      return;
    }
    req.log?.info({ reason }, 'refused a form posted from another site');
    refuse(
      req,
      res,
      new AppError(
        'csrf_token_invalid',
        'This form was sent from another site, so Loopgate did not accept it. Open the page on Loopgate itself and try again.',
      ),
    );
  };
}
