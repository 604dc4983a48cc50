/**
 * Paths whose last segment is a credential: e-mail review links and invitations work without a
 * login, so whoever reads the access log could use a live one. Logged as `/review/[token]`.
 */
const TOKEN_PATHS = /^\/(review|invite)\/[^/?#]+/;

export function redactTokenPath(url: string): string {
  return url.replace(TOKEN_PATHS, (_match, kind: string) => `/${kind}/[token]`);
}
