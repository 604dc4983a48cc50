import { PUBLIC_ONLY, parseAllowList, type TargetPolicy } from '../domain/delivery/callback-targets.js';
import { AppError } from '../domain/kernel/errors.js';
import { type Receiver, startReceiver } from '../test-support/receiver.js';
import { postJson } from './http-sender.js';
import { assertCallbackUrlAllowed, guardedLookup } from './url-guard.js';

function policy(allowPrivate: boolean, entries: string[] = []): TargetPolicy {
  return { allowPrivate, allowlist: parseAllowList(entries).entries };
}

const PRIVATE_ON = policy(true);
const METADATA_NAMED = policy(false, ['169.254.169.254', 'fd00:ec2::254']);
const LOCALHOST_NAMED = policy(false, ['localhost']);

async function refusal(url: string, targetPolicy: TargetPolicy): Promise<AppError | null> {
  return assertCallbackUrlAllowed(url, targetPolicy).then(
    () => null,
    (error: unknown) => error as AppError,
  );
}

describe('registration check', () => {
  test.each<[string, TargetPolicy, string, 'accepted' | 'private' | 'metadata' | 'scheme']>([
    ['http://8.8.8.8/hook', PUBLIC_ONLY, 'public only', 'accepted'],
    ['https://[2606:4700:4700::1111]/hook', PUBLIC_ONLY, 'public only', 'accepted'],
    ['http://127.0.0.1:5678/webhook', PUBLIC_ONLY, 'public only', 'private'],
    ['http://localhost:5678/webhook', PUBLIC_ONLY, 'public only', 'private'],
    ['http://0x7f.1/', PUBLIC_ONLY, 'public only', 'private'],
    ['http://[::127.0.0.1]/', PUBLIC_ONLY, 'public only', 'private'],
    ['http://[::ffff:0:127.0.0.1]/', PUBLIC_ONLY, 'public only', 'private'],
    ['http://[2002:7f00:1::]/', PUBLIC_ONLY, 'public only', 'private'],
    ['http://[fec0::1]/', PUBLIC_ONLY, 'public only', 'private'],
    ['http://[::ffff:192.168.1.1]/', PUBLIC_ONLY, 'public only', 'private'],
    ['http://[64:ff9b::a00:1]/', PUBLIC_ONLY, 'public only', 'private'],
    ['http://[::127.0.0.1]/', PRIVATE_ON, 'private on', 'accepted'],
    ['http://[2002:7f00:1::]/', PRIVATE_ON, 'private on', 'accepted'],
    ['http://localhost:5678/webhook', PRIVATE_ON, 'private on', 'accepted'],
    ['http://localhost:5678/webhook', LOCALHOST_NAMED, 'localhost named', 'accepted'],
    ['http://127.0.0.1:5678/webhook', LOCALHOST_NAMED, 'localhost named', 'private'],
    ['http://169.254.169.254/latest/meta-data/', PUBLIC_ONLY, 'public only', 'metadata'],
    ['http://169.254.169.254/latest/meta-data/', PRIVATE_ON, 'private on', 'metadata'],
    ['http://[fd00:ec2::254]/latest/meta-data/', PRIVATE_ON, 'private on', 'metadata'],
    ['http://[::ffff:169.254.169.254]/', PRIVATE_ON, 'private on', 'metadata'],
    ['http://100.100.100.200/latest/meta-data/', PRIVATE_ON, 'private on', 'metadata'],
    ['http://169.254.169.254/latest/meta-data/', METADATA_NAMED, 'metadata named', 'accepted'],
    ['http://[fd00:ec2::254]/latest/meta-data/', METADATA_NAMED, 'metadata named', 'accepted'],
    ['ftp://8.8.8.8/x', PRIVATE_ON, 'private on', 'scheme'],
  ])('%s under %s: %s', async (url, targetPolicy, _name, expected) => {
    const error = await refusal(url, targetPolicy);
    if (expected === 'accepted') {
      expect(error).toBeNull();
      return;
    }
    expect(error).toBeInstanceOf(AppError);
    expect(error?.code).toBe('callback_url_refused');
    expect(error?.status).toBe(422);
    if (expected === 'private') expect(error?.message).toMatch(/a private, loopback or link-local address/);
    if (expected === 'metadata') expect(error?.message).toMatch(/cloud metadata address/);
  });

  test('a private refusal names the allow lists and both switches', async () => {
    const error = await refusal('http://10.0.0.1/', PUBLIC_ONLY);
    expect(error?.message).toContain('10.0.0.1 is a private');
    expect(error?.message).toContain('LOOPGATE_CALLBACK_ALLOWLIST');
    expect(error?.message).toContain('callbackAllowlist');
    expect(error?.message).toContain('LOOPGATE_ALLOW_PRIVATE_CALLBACKS=true');
    expect(error?.message).toContain('allowPrivateCallbacks');
  });

  test('a metadata refusal says only the server allow list can allow it', async () => {
    const error = await refusal('http://169.254.169.254/', PRIVATE_ON);
    expect(error?.message).toContain('refused even where private targets are allowed');
    expect(error?.message).toContain('LOOPGATE_CALLBACK_ALLOWLIST');
    expect(error?.message).not.toContain('LOOPGATE_ALLOW_PRIVATE_CALLBACKS');
  });

  test('a host name is judged by what it resolves to', async () => {
    const error = await refusal('http://localhost:9/x', PUBLIC_ONLY);
    expect(error?.message).toContain('localhost resolves to 127.0.0.1, a private');
    expect(await refusal('http://does-not-exist.invalid/x', PRIVATE_ON)).toMatchObject({
      code: 'callback_url_refused',
      message: expect.stringContaining('does not resolve'),
    });
  });
});

describe('send-time check', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => receiver.close());

  const send = (url: string, targetPolicy: TargetPolicy) =>
    postJson({ url, body: '{}', headers: {}, timeoutMs: 2_000, policy: targetPolicy });

  test('a host name resolving to loopback is refused at connect time (DNS rebinding)', async () => {
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      guardedLookup(PUBLIC_ONLY)('localhost', {}, (e) => resolve(e)),
    );
    expect(error?.code).toBe('ELOOPGATE_REFUSED_ADDRESS');
    const result = await send('http://localhost:9/x', PUBLIC_ONLY);
    expect(result.statusCode).toBeNull();
    expect(result.error).toMatch(/private.*LOOPGATE_ALLOW_PRIVATE_CALLBACKS/);
  });

  test('an IP-literal private URL is refused before connecting', async () => {
    const result = await send('http://127.0.0.1:9/x', PUBLIC_ONLY);
    expect(result).toMatchObject({ statusCode: null, error: expect.stringContaining('127.0.0.1 is a private') });
  });

  test('a metadata address is refused at send time even with private targets on', async () => {
    const result = await send('http://169.254.169.254/latest/meta-data/', PRIVATE_ON);
    expect(result).toMatchObject({ statusCode: null, error: expect.stringContaining('cloud metadata address') });
  });

  test('an allow-list entry lets a delivery through, by address or by name', async () => {
    const port = new URL(receiver.url).port;
    const seen = receiver.requests.length;
    expect(await send(`http://127.0.0.1:${port}/by-address`, policy(false, ['127.0.0.0/8']))).toMatchObject({
      statusCode: 200,
    });
    expect(await send(`http://localhost:${port}/by-name`, LOCALHOST_NAMED)).toMatchObject({ statusCode: 200 });
    expect(receiver.requests.slice(seen).map((r) => r.path)).toEqual(['/by-address', '/by-name']);
  });

  test('a kept-alive connection opened under one policy is not reused under a stricter one', async () => {
    const url = `http://localhost:${new URL(receiver.url).port}/pooled`;
    const seen = receiver.requests.length;
    expect(await send(url, LOCALHOST_NAMED)).toMatchObject({ statusCode: 200 });
    const refused = await send(url, PUBLIC_ONLY);
    expect(refused).toMatchObject({ statusCode: null, error: expect.stringContaining('localhost resolves to') });
    expect(receiver.requests.length).toBe(seen + 1);
  });

  // The error is stored as the attempt's error, which every member of the workspace reads.
  test.each([
    ['a private IP literal', 'http://user:pw@127.0.0.1:9/webhook-waiting/7/n?signature=tok-123', 'http://127.0.0.1:9'],
    ['a malformed URL', 'http://[tok-123/x', 'Not a valid URL'],
  ])('%s: the error names the origin at most, never the path, query or credentials', async (_name, url, named) => {
    const result = await send(url, PUBLIC_ONLY);
    expect(result.error).toContain(named);
    expect(result.error).not.toMatch(/tok-123|pw@|webhook-waiting/);
  });
});
