import { lookup } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { AppError } from '../domain/errors.js';
import { urlOrigin } from '../domain/target-url.js';

/**
 * SSRF protection for outbound deliveries. A callback or webhook URL is attacker-controlled input
 * (anyone with a reviewer key sets one), so by default Loopgate refuses to call addresses that reach
 * inside the network it runs in: loopback, private, carrier-grade NAT, link-local (which includes the
 * cloud metadata endpoint 169.254.169.254), unique-local IPv6, multicast and reserved ranges.
 *
 * The check runs twice: at registration (a clear 422 early) and at connect time through the socket's
 * DNS `lookup` hook, so a name that resolved to a public address at registration but points at
 * 127.0.0.1 later (DNS rebinding) is still refused.
 */
const BLOCKED = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  BLOCKED.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
  ['64:ff9b::', 96],
] as const) {
  BLOCKED.addSubnet(network, prefix, 'ipv6');
}

export const ALLOW_PRIVATE_SETTING =
  'LOOPGATE_ALLOW_PRIVATE_CALLBACKS=true (whole server) or the workspace setting allowPrivateCallbacks (POST /api/v1/settings/delivery)';

/** True when `address` (an IP literal) is one Loopgate must not call without the private-targets switch. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return BLOCKED.check(address, 'ipv4');
  if (family === 6) {
    // IPv4-mapped IPv6 (::ffff:10.0.0.1) reaches the IPv4 address; judge it as one.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped?.[1]) return BLOCKED.check(mapped[1], 'ipv4');
    return BLOCKED.check(address, 'ipv6');
  }
  return true;
}

/** Names only the URL's origin: the message lands in the attempt log, which every member reads. */
function refused(url: string | URL, why: string): AppError {
  return new AppError(
    'callback_url_refused',
    `Refusing to call ${urlOrigin(url)}: ${why}. To allow private targets (e.g. n8n on the same network), set ${ALLOW_PRIVATE_SETTING}.`,
    [{ path: 'url', message: why }],
  );
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

/** Checks a URL at registration: it must be http(s) and every address its host resolves to must be public. */
export async function assertPublicUrl(rawUrl: string): Promise<void> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new AppError('validation_failed', 'Not a valid URL', [{ path: 'url', message: 'invalid URL' }]);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refused(rawUrl, 'only http and https are allowed');
  const host = hostOf(url);
  if (isIP(host)) {
    if (isPrivateAddress(host)) throw refused(rawUrl, `${host} is a private, loopback or link-local address`);
    return;
  }
  let addresses: string[];
  try {
    addresses = await resolveAll(host);
  } catch (error) {
    throw refused(rawUrl, `its host does not resolve (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const bad = addresses.find(isPrivateAddress);
  if (bad) throw refused(rawUrl, `${host} resolves to ${bad}, a private, loopback or link-local address`);
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | { address: string; family: number }[],
  family?: number,
) => void;

/**
 * A `lookup` for http.request that refuses private addresses at connect time. Node calls it only for
 * host names; IP literals are checked by {@link assertSendable} before the request starts.
 */
export function guardedLookup(
  hostname: string,
  options: { all?: boolean; family?: number },
  callback: LookupCallback,
): void {
  lookup(hostname, { all: true, verbatim: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad) {
      const refusal = Object.assign(new Error(`${hostname} resolves to ${bad.address}, a private address`), {
        code: 'ELOOPGATE_PRIVATE_ADDRESS',
      });
      return callback(refusal, []);
    }
    if (options.all) return callback(null, addresses);
    const first = addresses[0];
    if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
    callback(null, first.address, first.family);
  });
}

/** The send-time check for IP-literal hosts (host names are checked by {@link guardedLookup}). */
export function assertSendable(url: URL): void {
  const host = hostOf(url);
  if (isIP(host) && isPrivateAddress(host)) {
    throw refused(url, `${host} is a private, loopback or link-local address`);
  }
}
