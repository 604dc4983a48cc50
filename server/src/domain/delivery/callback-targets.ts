import ipaddr from 'ipaddr.js';

/**
 * Which addresses Loopgate may call with a decision (task callbacks, webhooks, Slack replies). A
 * callback URL is attacker-controlled input (anyone with a reviewer key sets one), so by default
 * only public addresses are called. Three kinds of address:
 * - public: called.
 * - private: loopback, RFC 1918, carrier-grade NAT, link-local, unique- and site-local IPv6,
 *   multicast, documentation and reserved ranges, and every IPv6 address outside global unicast.
 *   Called when private targets are allowed, or when an allow-list entry covers the address (or
 *   names the host).
 * - metadata: the cloud metadata and credential endpoints. Never called unless an allow-list entry
 *   names exactly that address: allowing private targets or a wider range does not reach them.
 * An IPv6 address that carries an IPv4 address (mapped, compatible, translated, NAT64, 6to4,
 * Teredo) is judged by the IPv4 address it carries, since that is where the packets end up.
 */
export type AddressKind = 'public' | 'private' | 'metadata';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Network = [Address, number];

const network = (text: string): Network => ipaddr.parseCIDR(text);

const PRIVATE_IPV4: Network[] = [
  '0.0.0.0/8', // "this network"
  '10.0.0.0/8',
  '100.64.0.0/10', // carrier-grade NAT
  '127.0.0.0/8',
  '169.254.0.0/16', // link-local
  '172.16.0.0/12',
  '192.0.0.0/24', // IETF protocol assignments
  '192.0.2.0/24', // documentation
  '192.88.99.0/24', // 6to4 relay anycast (deprecated)
  '192.168.0.0/16',
  '198.18.0.0/15', // benchmarking
  '198.51.100.0/24', // documentation
  '203.0.113.0/24', // documentation
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, and the broadcast address
].map(network);

/**
 * Cloud metadata and credential endpoints. 169.254.169.254 serves AWS, Google Cloud, Azure, Oracle
 * Cloud, OpenStack, DigitalOcean and others; fd00:ec2::254 is AWS's IPv6 endpoint; 169.254.170.2 is
 * the ECS task credentials endpoint; 169.254.170.23 and fd00:ec2::23 the EKS Pod Identity agent;
 * 100.100.100.200 is Alibaba Cloud's; 168.63.129.16 is Azure's WireServer (a public address that
 * only the VM it runs beside can reach, and hands out platform configuration).
 */
export const METADATA_ADDRESSES: readonly string[] = [
  '169.254.169.254',
  '169.254.170.2',
  '169.254.170.23',
  '100.100.100.200',
  '168.63.129.16',
  'fd00:ec2::254',
  'fd00:ec2::23',
];
const METADATA: Address[] = METADATA_ADDRESSES.map((text) => ipaddr.parse(text));

const GLOBAL_UNICAST_IPV6 = network('2000::/3');
/** Inside 2000::/3 but not reachable on the internet (IANA special-purpose registry). */
const PRIVATE_GLOBAL_IPV6: Network[] = [
  '2001:2::/48', // benchmarking
  '2001:10::/28', // ORCHID (deprecated)
  '2001:20::/28', // ORCHIDv2
  '2001:db8::/32', // documentation
  '3fff::/20', // documentation (RFC 9637)
].map(network);

const IPV4_MAPPED = network('::ffff:0:0/96');
const IPV4_TRANSLATED = network('::ffff:0:0:0/96');
const IPV4_COMPATIBLE = network('::/96');
const NAT64_WELL_KNOWN = network('64:ff9b::/96');
const SIX_TO_FOUR = network('2002::/16');
const TEREDO = network('2001::/32');

function ipv4From(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

function within(address: Address, [base, bits]: Network): boolean {
  return address.kind() === base.kind() && address.match(base, bits);
}

/** The IPv4 addresses an IPv6 address carries (RFC 4291, 6145, 6052, 3056, 4380), or none. */
function embeddedIpv4(address: ipaddr.IPv6): ipaddr.IPv4[] {
  const p = address.parts as [number, number, number, number, number, number, number, number];
  if (
    within(address, IPV4_MAPPED) ||
    within(address, IPV4_TRANSLATED) ||
    within(address, IPV4_COMPATIBLE) ||
    within(address, NAT64_WELL_KNOWN)
  ) {
    return [ipv4From(p[6], p[7])];
  }
  if (within(address, SIX_TO_FOUR)) return [ipv4From(p[1], p[2])];
  // Teredo: the relay server's address in bits 32–63, the client's, bit-inverted, in the last 32.
  if (within(address, TEREDO)) return [ipv4From(p[2], p[3]), ipv4From(~p[6] & 0xffff, ~p[7] & 0xffff)];
  return [];
}

const SEVERITY: Record<AddressKind, number> = { public: 0, private: 1, metadata: 2 };

function worst(kinds: AddressKind[]): AddressKind {
  return kinds.reduce((a, b) => (SEVERITY[b] > SEVERITY[a] ? b : a), 'public');
}

function parseAddress(text: string): Address | null {
  const bare = text.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  return ipaddr.isValid(bare) ? ipaddr.parse(bare) : null;
}

function kindOf(address: Address): AddressKind {
  if (METADATA.some((m) => m.kind() === address.kind() && m.toString() === address.toString())) return 'metadata';
  if (address.kind() === 'ipv4') return PRIVATE_IPV4.some((n) => within(address, n)) ? 'private' : 'public';
  const v6 = address as ipaddr.IPv6;
  const carried = embeddedIpv4(v6);
  if (carried.length > 0) return worst(carried.map(kindOf));
  if (!within(v6, GLOBAL_UNICAST_IPV6)) return 'private';
  return PRIVATE_GLOBAL_IPV6.some((n) => within(v6, n)) ? 'private' : 'public';
}

/** The kind of an IP literal; anything that is not one is judged private (refuse what cannot be judged). */
export function classifyAddress(text: string): AddressKind {
  const address = parseAddress(text);
  return address ? kindOf(address) : 'private';
}

// ——— Allow lists ———

export type AllowEntry =
  | { kind: 'host'; text: string; name: string; subdomains: boolean }
  | { kind: 'network'; text: string; network: Network; exact: boolean };

export interface TargetPolicy {
  /** Every private address may be called (metadata addresses still may not). */
  readonly allowPrivate: boolean;
  readonly allowlist: readonly AllowEntry[];
}

export const PUBLIC_ONLY: TargetPolicy = Object.freeze({ allowPrivate: false, allowlist: [] });

// Underscores are not DNS-legal but appear in Docker Compose service names, which is where n8n often lives.
const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

function hostEntry(raw: string, text: string): AllowEntry | null {
  const subdomains = text.startsWith('*.');
  const name = (subdomains ? text.slice(2) : text).replace(/\.$/, '');
  const labels = name.split('.');
  if (name.length === 0 || name.length > 253 || !labels.every((label) => LABEL.test(label))) return null;
  // A last label of digits only is an IPv4 address in some spelling (127.1, 0x7f.1), not a name.
  if (/^(\d+|0x[0-9a-f]*)$/.test(labels[labels.length - 1] ?? '')) return null;
  return { kind: 'host', text: raw, name, subdomains };
}

export type AllowEntryResult = { entry: AllowEntry } | { error: string };

/**
 * One allow-list entry: a host name (`n8n`, `hooks.internal`, `*.svc.cluster.local` for every name
 * below it), an IP address (`10.0.0.7`, `fd00::7`, `[fd00::7]`) or a CIDR range (`10.0.0.0/8`).
 * IPv4 is written in four decimal parts, and a range without host bits, so a typo is an error
 * instead of a different range.
 */
export function parseAllowEntry(raw: string): AllowEntryResult {
  const text = raw.trim().toLowerCase();
  const bad = {
    error: `"${raw}" is neither a host name (n8n, hooks.internal, *.svc.cluster.local) nor an IP address or CIDR range (10.0.0.7, 10.0.0.0/8, fd00::/8)`,
  };
  if (text === '') return { error: 'an entry is empty' };
  const [addressPart = '', prefixPart, ...rest] = text.split('/');
  const addressText = addressPart.replace(/^\[(.*)\]$/, '$1');
  const isV4 = ipaddr.IPv4.isValidFourPartDecimal(addressText);
  const isV6 = !isV4 && addressText.includes(':') && ipaddr.IPv6.isValid(addressText);
  if (!isV4 && !isV6) {
    if (prefixPart !== undefined || /^[\d.]+$/.test(addressText)) return bad;
    const entry = hostEntry(raw, text);
    return entry ? { entry } : bad;
  }
  const address = ipaddr.parse(addressText);
  const maxBits = isV4 ? 32 : 128;
  if (rest.length > 0) return bad;
  if (prefixPart === undefined)
    return { entry: { kind: 'network', text: raw, network: [address, maxBits], exact: true } };
  if (!/^\d{1,3}$/.test(prefixPart) || Number(prefixPart) > maxBits) {
    return { error: `"${raw}": the prefix length must be a whole number from 0 to ${maxBits}` };
  }
  const bits = Number(prefixPart);
  const base = (isV4 ? ipaddr.IPv4 : ipaddr.IPv6).networkAddressFromCIDR(`${addressText}/${bits}`);
  if (base.toString() !== address.toString()) {
    return { error: `"${raw}" has bits set past its /${bits} prefix; write ${base.toString()}/${bits}` };
  }
  return { entry: { kind: 'network', text: raw, network: [address, bits], exact: bits === maxBits } };
}

export interface AllowListProblem {
  index: number;
  message: string;
}

/** Parses every entry, collecting each bad one with its position so the caller can name them all. */
export function parseAllowList(values: readonly string[]): { entries: AllowEntry[]; problems: AllowListProblem[] } {
  const entries: AllowEntry[] = [];
  const problems: AllowListProblem[] = [];
  values.forEach((value, index) => {
    const result = parseAllowEntry(value);
    if ('entry' in result) entries.push(result.entry);
    else problems.push({ index, message: result.error });
  });
  return { entries, problems };
}

/** True when the entry names exactly one cloud metadata address (what only the operator may allow). */
export function namesMetadataAddress(entry: AllowEntry): boolean {
  return entry.kind === 'network' && entry.exact && kindOf(entry.network[0]) === 'metadata';
}

/** The server's policy and a workspace's together: either one allowing a target allows it. */
export function combinePolicies(server: TargetPolicy, workspace: TargetPolicy | null): TargetPolicy {
  if (!workspace) return server;
  return {
    allowPrivate: server.allowPrivate || workspace.allowPrivate,
    allowlist: [...server.allowlist, ...workspace.allowlist],
  };
}

/** A stable name for a policy, so connections opened under one policy are never reused under another. */
export function policyKey(policy: TargetPolicy): string {
  const entries = policy.allowlist.map((entry) =>
    entry.kind === 'host'
      ? `${entry.subdomains ? '*.' : ''}${entry.name}`
      : `${entry.network[0].toString()}/${entry.network[1]}`,
  );
  return `${policy.allowPrivate ? 'private' : 'public'}|${[...new Set(entries)].sort().join(',')}`;
}

function hostAllowed(policy: TargetPolicy, host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return policy.allowlist.some(
    (entry) => entry.kind === 'host' && (entry.subdomains ? name.endsWith(`.${entry.name}`) : name === entry.name),
  );
}

export type TargetVerdict = { allowed: true } | { allowed: false; kind: 'private' | 'metadata' };

/** How a refused address is described to the person who gave the URL. */
export function describeRefusal(kind: 'private' | 'metadata'): string {
  return kind === 'metadata'
    ? 'a cloud metadata address, refused even where private targets are allowed'
    : 'a private, loopback or link-local address';
}

/**
 * May Loopgate connect to `addressText`, reached through the host name `host` (null for an IP literal)?
 * A host-name entry vouches for the private addresses its name resolves to, never for a metadata one.
 */
export function judgeTarget(addressText: string, host: string | null, policy: TargetPolicy): TargetVerdict {
  const address = parseAddress(addressText);
  if (!address) return { allowed: false, kind: 'private' };
  const kind = kindOf(address);
  if (kind === 'public') return { allowed: true };
  const judged = [address, ...(address.kind() === 'ipv6' ? embeddedIpv4(address as ipaddr.IPv6) : [])];
  const covering = policy.allowlist.filter(
    (entry): entry is Extract<AllowEntry, { kind: 'network' }> =>
      entry.kind === 'network' && judged.some((candidate) => within(candidate, entry.network)),
  );
  if (kind === 'metadata') return covering.some((entry) => entry.exact) ? { allowed: true } : { allowed: false, kind };
  if (policy.allowPrivate || covering.length > 0 || (host !== null && hostAllowed(policy, host))) {
    return { allowed: true };
  }
  return { allowed: false, kind };
}
