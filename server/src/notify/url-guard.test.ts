import { AppError } from '../domain/errors.js';
import { postJson } from './http-sender.js';
import { assertPublicUrl, guardedLookup, isPrivateAddress } from './url-guard.js';

describe('SSRF address ranges', () => {
  test.each([
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['10.20.30.40', true],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['172.32.0.1', false],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['224.0.0.1', true],
    ['8.8.8.8', false],
    ['93.184.216.34', false],
    ['::1', true],
    ['::', true],
    ['fd00:ec2::254', true],
    ['fe80::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:c0a8:101', true],
    ['::ffff:808:808', false],
    ['2606:4700:4700::1111', false],
    ['not-an-ip', true],
  ])('%s private=%s', (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });
});

describe('registration check', () => {
  test.each([
    ['http://8.8.8.8/hook', true],
    ['https://[2606:4700:4700::1111]/hook', true],
    ['http://127.0.0.1:5678/webhook', false],
    ['http://localhost:5678/webhook', false],
    ['http://169.254.169.254/latest/meta-data/', false],
    ['ftp://8.8.8.8/x', false],
  ])('%s accepted=%s', async (url, accepted) => {
    const outcome = assertPublicUrl(url);
    if (accepted) await expect(outcome).resolves.toBeUndefined();
    else await expect(outcome).rejects.toMatchObject({ code: 'callback_url_refused' });
  });

  test('the refusal names both switches', async () => {
    const error = (await assertPublicUrl('http://10.0.0.1/').catch((e: unknown) => e)) as AppError;
    expect(error).toBeInstanceOf(AppError);
    expect(error.status).toBe(422);
    expect(error.message).toContain('LOOPGATE_ALLOW_PRIVATE_CALLBACKS=true');
    expect(error.message).toContain('allowPrivateCallbacks');
  });
});

describe('send-time check', () => {
  test('a host name resolving to loopback is refused at connect time (DNS rebinding)', async () => {
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      guardedLookup('localhost', {}, (e) => resolve(e)),
    );
    expect(error?.code).toBe('ELOOPGATE_PRIVATE_ADDRESS');
    const result = await postJson({
      url: 'http://localhost:9/x',
      body: '{}',
      headers: {},
      timeoutMs: 1000,
      allowPrivate: false,
    });
    expect(result.statusCode).toBeNull();
    expect(result.error).toMatch(/private address.*LOOPGATE_ALLOW_PRIVATE_CALLBACKS/);
  });

  test('an IP-literal private URL is refused before connecting', async () => {
    const result = await postJson({
      url: 'http://127.0.0.1:9/x',
      body: '{}',
      headers: {},
      timeoutMs: 1000,
      allowPrivate: false,
    });
    expect(result).toMatchObject({ statusCode: null, error: expect.stringContaining('127.0.0.1 is a private') });
  });

  // The error is stored as the attempt's error, which every member of the workspace reads.
  test.each([
    ['a private IP literal', 'http://user:pw@127.0.0.1:9/webhook-waiting/7/n?signature=tok-123', 'http://127.0.0.1:9'],
    ['a malformed URL', 'http://[tok-123/x', 'Not a valid URL'],
  ])('%s: the error names the origin at most, never the path, query or credentials', async (_name, url, named) => {
    const result = await postJson({ url, body: '{}', headers: {}, timeoutMs: 1000, allowPrivate: false });
    expect(result.error).toContain(named);
    expect(result.error).not.toMatch(/tok-123|pw@|webhook-waiting/);
  });
});
