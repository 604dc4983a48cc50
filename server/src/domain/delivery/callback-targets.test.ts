import {
  type AddressKind,
  classifyAddress,
  combinePolicies,
  judgeTarget,
  namesMetadataAddress,
  PUBLIC_ONLY,
  parseAllowEntry,
  parseAllowList,
  policyKey,
  type TargetPolicy,
} from './callback-targets.js';

function policy(allowPrivate: boolean, entries: string[] = []): TargetPolicy {
  const { entries: allowlist, problems } = parseAllowList(entries);
  expect(problems).toEqual([]);
  return { allowPrivate, allowlist };
}

describe('address kinds', () => {
  test.each<[string, AddressKind]>([
    // IPv4
    ['8.8.8.8', 'public'],
    ['93.184.216.34', 'public'],
    ['172.32.0.1', 'public'],
    ['127.0.0.1', 'private'],
    ['127.255.0.9', 'private'],
    ['10.20.30.40', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['169.254.1.1', 'private'],
    ['0.0.0.0', 'private'],
    ['192.0.2.1', 'private'],
    ['198.18.0.1', 'private'],
    ['192.88.99.1', 'private'],
    ['224.0.0.1', 'private'],
    ['255.255.255.255', 'private'],
    // cloud metadata and credential endpoints
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['169.254.170.23', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['168.63.129.16', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['fd00:ec2::23', 'metadata'],
    ['fd00:ec2::1', 'private'],
    // IPv6 without an IPv4 inside
    ['2606:4700:4700::1111', 'public'],
    ['2a00:1450:4001:81c::200e', 'public'],
    ['::1', 'private'],
    ['::', 'private'],
    ['fe80::1', 'private'],
    ['fe80::1%eth0', 'private'],
    ['fd12:3456::1', 'private'],
    ['fec0::1', 'private'], // site-local (deprecated, still routed by some networks)
    ['feff::1', 'private'],
    ['ff02::1', 'private'],
    ['100::1', 'private'], // discard-only
    ['64:ff9b:1::a00:1', 'private'], // local-use NAT64
    ['2001:db8::1', 'private'],
    ['3fff::1', 'private'],
    ['2001:2::1', 'private'],
    ['2001:20::1', 'private'],
    ['4000::1', 'private'], // outside global unicast
    // IPv4-mapped ::ffff:a.b.c.d
    ['::ffff:127.0.0.1', 'private'],
    ['::ffff:7f00:1', 'private'],
    ['::ffff:c0a8:101', 'private'],
    ['::ffff:808:808', 'public'],
    ['::ffff:169.254.169.254', 'metadata'],
    // IPv4-compatible ::a.b.c.d
    ['::127.0.0.1', 'private'],
    ['::7f00:1', 'private'],
    ['::a9fe:a9fe', 'metadata'],
    ['::808:808', 'public'],
    // IPv4-translated ::ffff:0:a.b.c.d
    ['::ffff:0:127.0.0.1', 'private'],
    ['::ffff:0:7f00:1', 'private'],
    ['::ffff:0:808:808', 'public'],
    // NAT64 well-known prefix 64:ff9b::/96
    ['64:ff9b::127.0.0.1', 'private'],
    ['64:ff9b::a00:1', 'private'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['64:ff9b::808:808', 'public'],
    // 6to4 2002:aabb:ccdd::/48
    ['2002:7f00:1::', 'private'],
    ['2002:c0a8:101::1', 'private'],
    ['2002:a9fe:a9fe::', 'metadata'],
    ['2002:808:808::1', 'public'],
    // Teredo 2001:0:<server>:<flags>:<port>:<client, inverted>
    ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', 'public'], // server 65.54.227.120, client 8.8.8.8
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'private'], // client 127.0.0.1
    ['2001:0:a00:1:8000:63bf:f7f7:f7f7', 'private'], // server 10.0.0.1
    ['2001:0:4136:e378:8000:63bf:5601:5601', 'metadata'], // client 169.254.169.254
    // not an address at all
    ['not-an-ip', 'private'],
    ['', 'private'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });
});

describe('allow-list entries', () => {
  test.each([
    ['n8n', { kind: 'host', name: 'n8n', subdomains: false }],
    ['hooks.internal', { kind: 'host', name: 'hooks.internal', subdomains: false }],
    ['N8N.Example.', { kind: 'host', name: 'n8n.example', subdomains: false }],
    ['my_service', { kind: 'host', name: 'my_service', subdomains: false }],
    ['*.svc.cluster.local', { kind: 'host', name: 'svc.cluster.local', subdomains: true }],
    [' 10.0.0.7 ', { kind: 'network', exact: true }],
    ['10.0.0.0/8', { kind: 'network', exact: false }],
    ['0.0.0.0/0', { kind: 'network', exact: false }],
    ['10.0.0.7/32', { kind: 'network', exact: true }],
    ['fd00::7', { kind: 'network', exact: true }],
    ['[fd00::7]', { kind: 'network', exact: true }],
    ['fd00::/8', { kind: 'network', exact: false }],
    ['::ffff:10.0.0.1', { kind: 'network', exact: true }],
  ])('%p is accepted', (text, expected) => {
    const result = parseAllowEntry(text);
    expect(result).toEqual({ entry: expect.objectContaining({ ...expected, text }) });
  });

  test.each([
    ['', /empty/],
    ['http://n8n', /neither a host name/],
    ['n8n:5678', /neither a host name/],
    ['exa mple', /neither a host name/],
    ['a..b', /neither a host name/],
    ['-bad.example', /neither a host name/],
    ['*.', /neither a host name/],
    ['*.*.example', /neither a host name/],
    ['127.1', /neither a host name/],
    ['0x7f.1', /neither a host name/],
    ['10.0.0.300', /neither a host name/],
    ['1.2.3.4/8/9', /neither a host name/],
    ['n8n/24', /neither a host name/],
    ['10.0.0.0/33', /prefix length must be a whole number from 0 to 32/],
    ['10.0.0.0/x', /prefix length/],
    ['fd00::/129', /from 0 to 128/],
    ['10.0.0.1/8', /bits set past its \/8 prefix; write 10\.0\.0\.0\/8/],
    ['fd00::1/8', /write fd00::\/8/],
  ])('%p is refused', (text, message) => {
    const result = parseAllowEntry(text);
    expect('error' in result && result.error).toMatch(message);
  });

  test('a list reports every bad entry with its position', () => {
    const { entries, problems } = parseAllowList(['n8n', 'nope:1', '10.0.0.0/8', '10.0.0.1/8']);
    expect(entries.map((entry) => entry.text)).toEqual(['n8n', '10.0.0.0/8']);
    expect(problems.map((problem) => problem.index)).toEqual([1, 3]);
  });

  test.each([
    ['169.254.169.254', true],
    ['169.254.169.254/32', true],
    ['fd00:ec2::254', true],
    ['::ffff:169.254.169.254', true],
    ['169.254.0.0/16', false],
    ['10.0.0.1', false],
    ['metadata.google.internal', false],
  ])('%p names a metadata address: %p', (text, expected) => {
    const result = parseAllowEntry(text);
    if (!('entry' in result)) throw new Error(result.error);
    expect(namesMetadataAddress(result.entry)).toBe(expected);
  });
});

describe('who may be called', () => {
  const privateOn = policy(true);
  const list = policy(false, ['10.0.0.0/8', 'fd00::/8', 'n8n', '*.svc.cluster.local', '169.254.0.0/16', '127.0.0.1']);
  const metadataNamed = policy(false, ['169.254.169.254', 'fd00:ec2::254']);

  type Row = [string, string | null, string, boolean | 'metadata', TargetPolicy];
  const rows: Row[] = [
    ['8.8.8.8', null, 'public only', true, PUBLIC_ONLY],
    ['2606:4700:4700::1111', null, 'public only', true, PUBLIC_ONLY],
    // the forms the review found accepted, now refused by what they carry
    ['::127.0.0.1', null, 'public only', false, PUBLIC_ONLY],
    ['::ffff:0:127.0.0.1', null, 'public only', false, PUBLIC_ONLY],
    ['2002:7f00:1::', null, 'public only', false, PUBLIC_ONLY],
    ['fec0::1', null, 'public only', false, PUBLIC_ONLY],
    ['64:ff9b::7f00:1', null, 'public only', false, PUBLIC_ONLY],
    ['::127.0.0.1', null, 'private on', true, privateOn],
    ['2002:7f00:1::', null, 'private on', true, privateOn],
    ['fec0::1', null, 'private on', true, privateOn],
    ['10.1.2.3', null, 'public only', false, PUBLIC_ONLY],
    ['10.1.2.3', null, 'private on', true, privateOn],
    // allow-list entries: ranges, exact addresses, names
    ['10.1.2.3', null, 'the list', true, list],
    ['127.0.0.1', null, 'the list', true, list],
    ['127.0.0.2', null, 'the list', false, list],
    ['::ffff:10.1.2.3', null, 'the list (mapped)', true, list],
    ['2002:a01:203::', null, 'the list (6to4)', true, list],
    ['fd12::1', null, 'the list', true, list],
    ['192.168.1.1', null, 'the list', false, list],
    ['192.168.1.1', 'n8n', 'the list, by name', true, list],
    ['192.168.1.1', 'N8N.', 'the list, by name', true, list],
    ['192.168.1.1', 'evil-n8n', 'the list, by name', false, list],
    ['192.168.1.1', 'hooks.svc.cluster.local', 'the list, by name', true, list],
    ['192.168.1.1', 'svc.cluster.local', 'the list, by name', false, list],
    // metadata: never by the switch, a range or a name; only by naming the address
    ['169.254.169.254', null, 'private on', 'metadata', privateOn],
    ['169.254.169.254', null, 'the list (169.254.0.0/16)', 'metadata', list],
    ['169.254.169.254', 'n8n', 'the list, by name', 'metadata', list],
    ['169.254.169.254', null, 'metadata named', true, metadataNamed],
    ['::ffff:169.254.169.254', null, 'private on', 'metadata', privateOn],
    ['::ffff:169.254.169.254', null, 'metadata named', true, metadataNamed],
    ['2002:a9fe:a9fe::', null, 'private on', 'metadata', privateOn],
    ['fd00:ec2::254', null, 'private on', 'metadata', privateOn],
    ['fd00:ec2::254', null, 'the list (fd00::/8)', 'metadata', list],
    ['fd00:ec2::254', null, 'metadata named', true, metadataNamed],
    ['169.254.170.2', null, 'metadata named', 'metadata', metadataNamed],
    ['100.100.100.200', null, 'private on', 'metadata', privateOn],
    ['168.63.129.16', null, 'public only', 'metadata', PUBLIC_ONLY],
    ['169.254.1.1', null, 'the list (169.254.0.0/16)', true, list],
    ['not-an-ip', null, 'private on', false, privateOn],
  ];
  test.each(rows)('%s via %p under %s: %p', (address, host, _name, expected, targetPolicy) => {
    const verdict = judgeTarget(address, host, targetPolicy);
    if (expected === true) expect(verdict).toEqual({ allowed: true });
    else expect(verdict).toEqual({ allowed: false, kind: expected === 'metadata' ? 'metadata' : 'private' });
  });

  test('the server and the workspace policies add up; the key tells different policies apart', () => {
    const server = policy(false, ['n8n']);
    const workspace = policy(false, ['10.0.0.0/8']);
    const both = combinePolicies(server, workspace);
    expect(judgeTarget('10.1.2.3', null, both)).toEqual({ allowed: true });
    expect(judgeTarget('192.168.1.1', 'n8n', both)).toEqual({ allowed: true });
    expect(combinePolicies(server, null)).toBe(server);
    expect(combinePolicies(PUBLIC_ONLY, policy(true)).allowPrivate).toBe(true);
    expect(policyKey(both)).toBe(policyKey(combinePolicies(workspace, server)));
    expect(policyKey(both)).not.toBe(policyKey(server));
    expect(policyKey(PUBLIC_ONLY)).not.toBe(policyKey(policy(true)));
  });
});
