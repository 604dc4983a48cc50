import { ConfigError, loadConfig } from './config.js';
import { judgeTarget } from './domain/delivery/callback-targets.js';

describe('config: callback targets', () => {
  test('unset: public targets only, an empty allow list', () => {
    expect(loadConfig({})).toMatchObject({ allowPrivateCallbacks: false, callbackAllowlist: [] });
    expect(loadConfig({ LOOPGATE_CALLBACK_ALLOWLIST: ' , ' }).callbackAllowlist).toEqual([]);
  });

  test('LOOPGATE_CALLBACK_ALLOWLIST takes host names, addresses and ranges, comma-separated', () => {
    const { callbackAllowlist } = loadConfig({
      LOOPGATE_CALLBACK_ALLOWLIST: 'n8n, *.svc.cluster.local,10.0.0.0/8 ,fd00::/8,169.254.169.254',
    });
    expect(callbackAllowlist.map((entry) => entry.kind)).toEqual(['host', 'host', 'network', 'network', 'network']);
    const policy = { allowPrivate: false, allowlist: callbackAllowlist };
    expect(judgeTarget('10.9.8.7', null, policy)).toEqual({ allowed: true });
    expect(judgeTarget('192.168.0.5', 'n8n', policy)).toEqual({ allowed: true });
    // Named exactly by the operator, the metadata address is allowed; its neighbours are not.
    expect(judgeTarget('169.254.169.254', null, policy)).toEqual({ allowed: true });
    expect(judgeTarget('169.254.170.2', null, policy)).toEqual({ allowed: false, kind: 'metadata' });
  });

  test.each([
    ['10.0.0.1/8', /LOOPGATE_CALLBACK_ALLOWLIST: "10.0.0.1\/8" has bits set past its \/8 prefix; write 10.0.0.0\/8/],
    ['n8n,http://n8n:5678', /LOOPGATE_CALLBACK_ALLOWLIST: "http:\/\/n8n:5678" is neither a host name/],
    ['10.0.0.0/40', /LOOPGATE_CALLBACK_ALLOWLIST: "10.0.0.0\/40": the prefix length must be/],
    ['127.1', /LOOPGATE_CALLBACK_ALLOWLIST: "127.1" is neither/],
  ])('%p fails fast naming the setting and the entry', (value, message) => {
    expect(() => loadConfig({ LOOPGATE_CALLBACK_ALLOWLIST: value })).toThrow(ConfigError);
    expect(() => loadConfig({ LOOPGATE_CALLBACK_ALLOWLIST: value })).toThrow(message);
  });

  test('every bad entry is named at once', () => {
    const error = (() => {
      try {
        loadConfig({ LOOPGATE_CALLBACK_ALLOWLIST: 'bad entry,10.0.0.0/8,also:bad' });
      } catch (caught) {
        return caught as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error.problems).toHaveLength(2);
  });
});
