import { createHmac, randomBytes } from 'node:crypto';
import {
  DEFAULT_TOLERANCE_SECONDS,
  generateWebhookSecret,
  signWebhook,
  verifyWebhook,
  WEBHOOK_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  WebhookVerificationError,
  type WebhookVerificationErrorReason,
} from './webhooks.js';

const NOW = 1_700_000_000;
const ID = 'msg_2b1Xq7';
const BODY = '{"event":"task.decided","data":{"id":"tsk_1","decision":"approved","note":"héllo ✓"}}';

/** Independent reference implementation with node:crypto (tests may use Node APIs). */
function nodeSign(secret: string, id: string, timestamp: number | string, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64')}`;
}

function nodeSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

async function expectReason(promise: Promise<unknown>, reason: WebhookVerificationErrorReason): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WebhookVerificationError);
  expect((error as WebhookVerificationError).reason).toBe(reason);
}

describe('generateWebhookSecret', () => {
  test('is whsec_ + base64 of 32 random bytes', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(secret);
  });
});

describe('signWebhook', () => {
  test('header names are the Standard Webhooks ones', () => {
    expect([WEBHOOK_ID_HEADER, WEBHOOK_TIMESTAMP_HEADER, WEBHOOK_SIGNATURE_HEADER]).toEqual([
      'webhook-id',
      'webhook-timestamp',
      'webhook-signature',
    ]);
    expect(DEFAULT_TOLERANCE_SECONDS).toBe(300);
  });

  test('matches an HMAC computed independently with node:crypto (known answer)', async () => {
    const secret = nodeSecret();
    const headers = await signWebhook(secret, { id: ID, timestamp: NOW, body: BODY });
    expect(headers).toEqual({
      'webhook-id': ID,
      'webhook-timestamp': String(NOW),
      'webhook-signature': nodeSign(secret, ID, NOW, BODY),
    });
  });

  test('reproduces the Standard Webhooks specification test vector', async () => {
    const headers = await signWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', {
      id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      timestamp: 1614265330,
      body: '{"test": 2432232314}',
    });
    expect(headers['webhook-signature']).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  test('emits one space-separated v1 signature per secret, in order', async () => {
    const [oldSecret, newSecret] = [nodeSecret(), nodeSecret()];
    const headers = await signWebhook([oldSecret, newSecret], { id: ID, timestamp: NOW, body: BODY });
    expect(headers['webhook-signature']).toBe(
      `${nodeSign(oldSecret, ID, NOW, BODY)} ${nodeSign(newSecret, ID, NOW, BODY)}`,
    );
  });

  test('rejects malformed secrets, an empty secret list and a non-integer timestamp', async () => {
    await expectReason(signWebhook('whsec_not base64!', { id: ID, timestamp: NOW, body: BODY }), 'invalid_secret');
    await expectReason(signWebhook([], { id: ID, timestamp: NOW, body: BODY }), 'invalid_secret');
    await expect(signWebhook(nodeSecret(), { id: ID, timestamp: NOW + 0.5, body: BODY })).rejects.toThrow(RangeError);
  });
});

describe('verifyWebhook', () => {
  test('round trip: sign then verify returns id and timestamp', async () => {
    const secret = generateWebhookSecret();
    const headers = await signWebhook(secret, { id: ID, timestamp: NOW, body: BODY });
    await expect(verifyWebhook(secret, headers, BODY, { now: NOW })).resolves.toEqual({ id: ID, timestamp: NOW });
  });

  test('accepts a signature produced by node:crypto', async () => {
    const secret = nodeSecret();
    const headers = {
      'webhook-id': ID,
      'webhook-timestamp': String(NOW),
      'webhook-signature': nodeSign(secret, ID, NOW, BODY),
    };
    await expect(verifyWebhook(secret, headers, BODY, { now: NOW + 10 })).resolves.toEqual({ id: ID, timestamp: NOW });
  });

  test('accepts the Standard Webhooks specification test vector', async () => {
    const headers = new Headers({
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    });
    await expect(
      verifyWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', headers, '{"test": 2432232314}', { now: 1614265330 }),
    ).resolves.toEqual({ id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', timestamp: 1614265330 });
  });

  test('uses the system clock when now is not given', async () => {
    const secret = generateWebhookSecret();
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = await signWebhook(secret, { id: ID, timestamp, body: BODY });
    await expect(verifyWebhook(secret, headers, BODY)).resolves.toEqual({ id: ID, timestamp });
  });

  describe('tampering', () => {
    const secret = nodeSecret();
    let headers: Record<string, string>;
    beforeAll(async () => {
      headers = await signWebhook(secret, { id: ID, timestamp: NOW, body: BODY });
    });

    test('tampered body fails', async () => {
      await expectReason(
        verifyWebhook(secret, headers, BODY.replace('approved', 'rejected'), { now: NOW }),
        'invalid_signature',
      );
      await expectReason(verifyWebhook(secret, headers, `${BODY} `, { now: NOW }), 'invalid_signature');
    });

    test('tampered id fails', async () => {
      await expectReason(
        verifyWebhook(secret, { ...headers, 'webhook-id': 'msg_other' }, BODY, { now: NOW }),
        'invalid_signature',
      );
    });

    test('tampered timestamp fails', async () => {
      await expectReason(
        verifyWebhook(secret, { ...headers, 'webhook-timestamp': String(NOW + 1) }, BODY, { now: NOW }),
        'invalid_signature',
      );
    });

    test('tampered signature and other versions fail', async () => {
      const sig = headers['webhook-signature'] as string;
      const flipped = `v1,${sig.slice(3, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;
      for (const bad of [flipped, sig.replace('v1,', 'v2,'), sig.slice(3), 'v1,', 'v1,!!!', 'garbage']) {
        await expectReason(
          verifyWebhook(secret, { ...headers, 'webhook-signature': bad }, BODY, { now: NOW }),
          'invalid_signature',
        );
      }
    });

    test('wrong secret fails', async () => {
      await expectReason(verifyWebhook(nodeSecret(), headers, BODY, { now: NOW }), 'invalid_signature');
    });
  });

  test('rotation: signed with [old, new] verifies with either; a third secret does not', async () => {
    const [oldSecret, newSecret] = [generateWebhookSecret(), generateWebhookSecret()];
    const headers = await signWebhook([oldSecret, newSecret], { id: ID, timestamp: NOW, body: BODY });
    await expect(verifyWebhook(oldSecret, headers, BODY, { now: NOW })).resolves.toEqual({ id: ID, timestamp: NOW });
    await expect(verifyWebhook(newSecret, headers, BODY, { now: NOW })).resolves.toEqual({ id: ID, timestamp: NOW });
    await expectReason(verifyWebhook(generateWebhookSecret(), headers, BODY, { now: NOW }), 'invalid_signature');
  });

  test('skips unknown versions and undecodable entries but still finds a matching v1', async () => {
    const secret = nodeSecret();
    const good = nodeSign(secret, ID, NOW, BODY);
    const headers = {
      'webhook-id': ID,
      'webhook-timestamp': String(NOW),
      'webhook-signature': `v1a,abc v2,${good.slice(3)} v1,%%%  ${good}`,
    };
    await expect(verifyWebhook(secret, headers, BODY, { now: NOW })).resolves.toEqual({ id: ID, timestamp: NOW });
  });

  describe('timestamp window', () => {
    const secret = nodeSecret();
    const at = async (timestamp: number, now: number, toleranceSeconds?: number) =>
      verifyWebhook(secret, await signWebhook(secret, { id: ID, timestamp, body: BODY }), BODY, {
        now,
        toleranceSeconds,
      });

    test('accepts exactly at the default tolerance in both directions', async () => {
      await expect(at(NOW - 300, NOW)).resolves.toBeDefined();
      await expect(at(NOW + 300, NOW)).resolves.toBeDefined();
    });

    test('rejects too old and too far in the future with the right reason', async () => {
      await expectReason(at(NOW - 301, NOW), 'timestamp_too_old');
      await expectReason(at(NOW + 301, NOW), 'timestamp_in_future');
    });

    test('honours a custom tolerance', async () => {
      await expectReason(at(NOW - 11, NOW, 10), 'timestamp_too_old');
      await expect(at(NOW - 3600, NOW, 3600)).resolves.toBeDefined();
      await expect(verifyWebhook(secret, {}, BODY, { toleranceSeconds: -1 })).rejects.toThrow(RangeError);
    });

    test('rejects a timestamp that is not an integer of seconds', async () => {
      for (const bad of ['abc', '1700000000.5', '1.7e9', '-1700000000', '1700000000000000000000', '0x6553F100']) {
        const headers = {
          'webhook-id': ID,
          'webhook-timestamp': bad,
          'webhook-signature': nodeSign(secret, ID, bad, BODY),
        };
        await expectReason(verifyWebhook(secret, headers, BODY, { now: NOW }), 'invalid_timestamp');
      }
    });
  });

  test('missing or empty headers', async () => {
    const secret = nodeSecret();
    const full: Record<string, string> = await signWebhook(secret, { id: ID, timestamp: NOW, body: BODY });
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      const { [name]: _omitted, ...rest } = full;
      await expectReason(verifyWebhook(secret, rest, BODY, { now: NOW }), 'missing_headers');
      await expectReason(verifyWebhook(secret, { ...full, [name]: '' }, BODY, { now: NOW }), 'missing_headers');
      await expectReason(verifyWebhook(secret, { ...full, [name]: undefined }, BODY, { now: NOW }), 'missing_headers');
    }
    await expectReason(verifyWebhook(secret, {}, BODY, { now: NOW }), 'missing_headers');
    await expectReason(verifyWebhook(secret, new Headers(), BODY, { now: NOW }), 'missing_headers');
  });

  test('header names are case-insensitive in plain objects', async () => {
    const secret = nodeSecret();
    const signed = await signWebhook(secret, { id: ID, timestamp: NOW, body: BODY });
    const headers = {
      'Webhook-Id': signed['webhook-id'],
      'WEBHOOK-TIMESTAMP': signed['webhook-timestamp'],
      'wEbHoOk-SiGnAtUrE': signed['webhook-signature'],
      'Content-Type': 'application/json',
    };
    await expect(verifyWebhook(secret, headers, BODY, { now: NOW })).resolves.toEqual({ id: ID, timestamp: NOW });
  });

  test('accepts a Fetch Headers object, including repeated signature header lines', async () => {
    const [oldSecret, newSecret] = [nodeSecret(), nodeSecret()];
    const signed = await signWebhook(oldSecret, { id: ID, timestamp: NOW, body: BODY });
    const headers = new Headers({
      'Webhook-ID': signed['webhook-id'],
      'Webhook-Timestamp': signed['webhook-timestamp'],
    });
    headers.append('Webhook-Signature', nodeSign(newSecret, ID, NOW, BODY));
    headers.append('Webhook-Signature', signed['webhook-signature']); // get() now returns "v1,a, v1,b"
    await expect(verifyWebhook(oldSecret, headers, BODY, { now: NOW })).resolves.toEqual({ id: ID, timestamp: NOW });
    await expect(verifyWebhook(newSecret, headers, BODY, { now: NOW })).resolves.toEqual({ id: ID, timestamp: NOW });
  });

  test('accepts array header values (Node IncomingHttpHeaders style)', async () => {
    const secret = nodeSecret();
    const other = nodeSecret();
    const headers = {
      'webhook-id': [ID],
      'webhook-timestamp': String(NOW),
      'webhook-signature': [nodeSign(other, ID, NOW, BODY), nodeSign(secret, ID, NOW, BODY)],
    };
    await expect(verifyWebhook(secret, headers, BODY, { now: NOW })).resolves.toEqual({ id: ID, timestamp: NOW });
  });

  test('accepts a secret without the whsec_ prefix', async () => {
    const secret = nodeSecret();
    const bare = secret.slice('whsec_'.length);
    const headers = await signWebhook(bare, { id: ID, timestamp: NOW, body: BODY });
    expect(headers['webhook-signature']).toBe(nodeSign(secret, ID, NOW, BODY));
    await expect(verifyWebhook(bare, headers, BODY, { now: NOW })).resolves.toEqual({ id: ID, timestamp: NOW });
    await expect(verifyWebhook(secret, headers, BODY, { now: NOW })).resolves.toEqual({ id: ID, timestamp: NOW });
  });

  test('rejects malformed secrets with invalid_secret, before looking at headers', async () => {
    for (const bad of ['', 'whsec_', 'whsec_***', 'whsec_abc def', 'whsec_a', 'whsec_ab=c']) {
      await expectReason(verifyWebhook(bad, {}, BODY, { now: NOW }), 'invalid_secret');
    }
    await expectReason(verifyWebhook(undefined as unknown as string, {}, BODY), 'invalid_secret');
  });

  test('errors are Error instances with a stable name and reason', async () => {
    const error = await verifyWebhook(nodeSecret(), {}, BODY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'WebhookVerificationError', reason: 'missing_headers' });
  });
});
