import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { ConfigError, loadConfig } from './config.js';
import { signCheckpoint } from './domain/audit/checkpoint-signer.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const pkcs8 = (key: ReturnType<typeof generateKeyPairSync>['privateKey']) =>
  key.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('config: audit checkpoint signing', () => {
  const ed25519 = generateKeyPairSync('ed25519');
  const pem = pkcs8(ed25519.privateKey);

  test('no key: no signer, never a default one; checkpoints every 1000 entries by default', () => {
    expect(loadConfig({})).toMatchObject({ auditSigner: null, auditCheckpointEvery: 1000 });
    expect(loadConfig({ LOOPGATE_AUDIT_SIGNING_KEY: '' }).auditSigner).toBeNull();
    expect(loadConfig({ LOOPGATE_AUDIT_CHECKPOINT_EVERY: '50' }).auditCheckpointEvery).toBe(50);
  });

  test('an Ed25519 PKCS#8 PEM becomes a signer whose signatures verify with its public key', () => {
    const signer = loadConfig({ LOOPGATE_AUDIT_SIGNING_KEY: pem }).auditSigner;
    if (!signer) throw new Error('no signer');
    const expectedPublic = ed25519.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(signer.publicKey).toBe(expectedPublic);
    expect(signer.keyId).toMatch(/^[0-9a-f]{64}$/);
    const checkpoint = signCheckpoint(signer, { workspaceId: 'wsp_1', seq: 7, hash: 'a'.repeat(64), at: 1 });
    const message = Buffer.from(`{"at":1,"hash":"${'a'.repeat(64)}","seq":7,"workspaceId":"wsp_1"}`);
    expect(verify(null, message, createPublicKey(expectedPublic), Buffer.from(checkpoint.signature, 'base64'))).toBe(
      true,
    );
  });

  test('a PEM with its line breaks written as \\n (one-line environment files) is read the same', () => {
    const oneLine = pem.trim().replace(/\n/g, '\\n');
    expect(loadConfig({ LOOPGATE_AUDIT_SIGNING_KEY: oneLine }).auditSigner?.keyId).toBe(
      loadConfig({ LOOPGATE_AUDIT_SIGNING_KEY: pem }).auditSigner?.keyId,
    );
  });

  const rsa = pkcs8(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey);
  const broken = pem.replace(/\n[A-Za-z0-9+/]{8}/, '\nAAAAAAAA');
  test.each([
    [
      'not PEM at all',
      'my-secret-signing-key',
      /LOOPGATE_AUDIT_SIGNING_KEY: expected an Ed25519 private key in PKCS#8 PEM/,
    ],
    ['an RSA key', rsa, /LOOPGATE_AUDIT_SIGNING_KEY: expected an Ed25519 private key, got rsa/],
    [
      'a public key',
      ed25519.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      /LOOPGATE_AUDIT_SIGNING_KEY: expected an Ed25519 private key in PKCS#8 PEM/,
    ],
    ['a damaged PEM', broken, /LOOPGATE_AUDIT_SIGNING_KEY: not a readable private key/],
  ])('%s fails fast naming the setting, without echoing the value', (_what, value, message) => {
    expect(() => loadConfig({ LOOPGATE_AUDIT_SIGNING_KEY: value })).toThrow(ConfigError);
    expect(() => loadConfig({ LOOPGATE_AUDIT_SIGNING_KEY: value })).toThrow(message);
    try {
      loadConfig({ LOOPGATE_AUDIT_SIGNING_KEY: value });
    } catch (error) {
      const text = (error as Error).message;
      expect(text).not.toContain('my-secret-signing-key');
      for (const line of value.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) {
        expect(text).not.toContain(line);
      }
    }
  });

  test.each(['0', '1000001', 'hourly', '-5'])('LOOPGATE_AUDIT_CHECKPOINT_EVERY=%s fails fast', (value) => {
    expect(() => loadConfig({ LOOPGATE_AUDIT_CHECKPOINT_EVERY: value })).toThrow(
      /LOOPGATE_AUDIT_CHECKPOINT_EVERY: must be a whole number from 1 to 1000000/,
    );
  });
});

describe('config: payload retention', () => {
  test('off by default (and with 0); days otherwise', () => {
    expect(loadConfig({}).payloadRetentionMs).toBeNull();
    expect(loadConfig({ LOOPGATE_PAYLOAD_RETENTION_DAYS: '0' }).payloadRetentionMs).toBeNull();
    expect(loadConfig({ LOOPGATE_PAYLOAD_RETENTION_DAYS: '90' }).payloadRetentionMs).toBe(90 * DAY_MS);
  });

  test.each(['-1', '1.5', 'never', '36501'])(
    'LOOPGATE_PAYLOAD_RETENTION_DAYS=%s fails fast naming the setting',
    (value) => {
      expect(() => loadConfig({ LOOPGATE_PAYLOAD_RETENTION_DAYS: value })).toThrow(/LOOPGATE_PAYLOAD_RETENTION_DAYS/);
    },
  );
});
