import { lookup } from 'node:dns';
import { isIP } from 'node:net';
import { describeRefusal, judgeTarget, type TargetPolicy } from '../domain/delivery/callback-targets.js';
import { urlOrigin } from '../domain/delivery/target-url.js';
import { AppError } from '../domain/kernel/errors.js';

/**
 * SSRF protection for outbound deliveries: which addresses may be called is the policy of
 * `domain/callback-targets.ts`; this module applies it to URLs. The check runs twice: at
 * registration (a clear 422 early) and at connect time through the socket's DNS `lookup` hook, so a
 * name that resolved to a public address at registration but points at 127.0.0.1 later (DNS
 * rebinding) is still refused.
 */

const ALLOW_PRIVATE_SETTING =
  'LOOPGATE_ALLOW_PRIVATE_CALLBACKS=true (whole server) or the workspace setting allowPrivateCallbacks (POST /api/v1/settings/delivery)';

const ALLOWLIST_SETTING = 'LOOPGATE_CALLBACK_ALLOWLIST (whole server) or the workspace setting callbackAllowlist';

/** What the operator can do about a refusal, which differs for metadata addresses. */
function remedyFor(kind: 'private' | 'metadata'): string {
  return kind === 'metadata'
    ? 'To call it anyway, name that exact address in LOOPGATE_CALLBACK_ALLOWLIST (the server’s setting; a workspace cannot allow it)'
    : `To allow it, add its host or address to ${ALLOWLIST_SETTING}, or allow every private target with ${ALLOW_PRIVATE_SETTING}`;
}

/** Names only the URL's origin: the message lands in the attempt log, which every member reads. */
function refused(url: string | URL, kind: 'private' | 'metadata', why: string): AppError {
  return new AppError('callback_url_refused', `Refusing to call ${urlOrigin(url)}: ${why}. ${remedyFor(kind)}.`, [
    { path: 'url', message: why },
  ]);
}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

function resolveAll(host: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    lookup(host, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses.map((a) => a.address)),
    );
  });
}

/** Checks a URL at registration: it must be http(s) and every address its host resolves to must be allowed. */
export async function assertCallbackUrlAllowed(rawUrl: string, policy: TargetPolicy): Promise<void> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new AppError('validation_failed', 'Not a valid URL', [{ path: 'url', message: 'invalid URL' }]);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AppError('callback_url_refused', `Refusing to call ${rawUrl}: only http and https are allowed.`, [
      { path: 'url', message: 'only http and https are allowed' },
    ]);
  }
  const host = hostOf(url);
  if (isIP(host)) {
    const verdict = judgeTarget(host, null, policy);
    if (!verdict.allowed) throw refused(rawUrl, verdict.kind, `${host} is ${describeRefusal(verdict.kind)}`);
    return;
  }
  let addresses: string[];
  try {
    addresses = await resolveAll(host);
  } catch (error) {
    const why = `its host does not resolve (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
    throw new AppError('callback_url_refused', `Refusing to call ${rawUrl}: ${why}.`, [{ path: 'url', message: why }]);
  }
  for (const address of addresses) {
    const verdict = judgeTarget(address, host, policy);
    if (!verdict.allowed) {
      throw refused(rawUrl, verdict.kind, `${host} resolves to ${address}, ${describeRefusal(verdict.kind)}`);
    }
  }
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | { address: string; family: number }[],
  family?: number,
) => void;

export type Lookup = (hostname: string, options: { all?: boolean; family?: number }, callback: LookupCallback) => void;

/**
 * A `lookup` for http.request that refuses addresses the policy does not allow, at connect time.
 * Node calls it only for host names; IP literals are checked by {@link assertSendable} before the
 * request starts.
 */
export function guardedLookup(policy: TargetPolicy): Lookup {
  return (hostname, options, callback) => {
    lookup(hostname, { all: true, verbatim: true }, (error, addresses) => {
      if (error) return callback(error, []);
      for (const { address } of addresses) {
        const verdict = judgeTarget(address, hostname, policy);
        if (!verdict.allowed) {
          const refusal = Object.assign(
            new Error(
              `${hostname} resolves to ${address}, ${describeRefusal(verdict.kind)}. ${remedyFor(verdict.kind)}`,
            ),
            { code: 'ELOOPGATE_REFUSED_ADDRESS' },
          );
          return callback(refusal, []);
        }
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}

/** The send-time check for IP-literal hosts (host names are checked by {@link guardedLookup}). */
export function assertSendable(url: URL, policy: TargetPolicy): void {
  const host = hostOf(url);
  if (!isIP(host)) return;
  const verdict = judgeTarget(host, null, policy);
  if (!verdict.allowed) throw refused(url, verdict.kind, `${host} is ${describeRefusal(verdict.kind)}`);
}
