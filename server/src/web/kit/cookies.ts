import type { Request, Response } from 'express';

export const SESSION_COOKIE = 'lg_session';
export const LOGIN_CSRF_COOKIE = 'lg_login_csrf';

/**
 * The cookie names for a public URL. Behind https they carry the `__Host-` prefix: browsers accept
 * such a cookie only with Secure, Path=/ and no Domain, set by this very host, so a sibling origin
 * cannot plant (toss) or shadow one. Over plain http the prefix would make browsers drop the
 * cookie, so there the same-origin check on form posts (same-origin.ts) is the defence.
 */
export function cookieNames(secure: boolean): { session: string; loginCsrf: string } {
  return secure
    ? { session: `__Host-${SESSION_COOKIE}`, loginCsrf: `__Host-${LOGIN_CSRF_COOKIE}` }
    : { session: SESSION_COOKIE, loginCsrf: LOGIN_CSRF_COOKIE };
}

/** Cookie header → name/value map; values Loopgate sets are base64url, so no decoding games. */
export function readCookies(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at < 1) continue;
    const name = part.slice(0, at).trim();
    if (!(name in out)) out[name] = part.slice(at + 1).trim();
  }
  return out;
}

/**
 * HttpOnly (scripts never see it), SameSite=Lax (sent on top-level navigations from a mail client,
 * never on cross-site POSTs), Secure whenever the public URL is https (behind a TLS proxy too).
 */
export function setCookie(res: Response, name: string, value: string, options: { secure: boolean; maxAgeMs?: number }) {
  res.cookie(name, value, {
    httpOnly: true,
    sameSite: 'lax',
    secure: options.secure,
    path: '/',
    ...(options.maxAgeMs === undefined ? {} : { maxAge: options.maxAgeMs }),
  });
}

export function clearCookie(res: Response, name: string, secure: boolean) {
  res.clearCookie(name, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
}
