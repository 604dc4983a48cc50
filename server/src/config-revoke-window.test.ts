import { ConfigError, loadConfig } from './config.js';

const HOUR_MS = 60 * 60 * 1000;

describe('config: LOOPGATE_REVOKE_WINDOW_HOURS', () => {
  test('defaults to 24 hours; empty means the default; 0 turns revoking off; up to a leap year', () => {
    expect(loadConfig({}).revokeWindowMs).toBe(24 * HOUR_MS);
    expect(loadConfig({ LOOPGATE_REVOKE_WINDOW_HOURS: '' }).revokeWindowMs).toBe(24 * HOUR_MS);
    expect(loadConfig({ LOOPGATE_REVOKE_WINDOW_HOURS: '0' }).revokeWindowMs).toBe(0);
    expect(loadConfig({ LOOPGATE_REVOKE_WINDOW_HOURS: '8784' }).revokeWindowMs).toBe(8784 * HOUR_MS);
  });

  test.each(['-1', '1.5', 'a day', '8785'])('%j fails fast naming the setting', (value) => {
    expect(() => loadConfig({ LOOPGATE_REVOKE_WINDOW_HOURS: value })).toThrow(ConfigError);
    expect(() => loadConfig({ LOOPGATE_REVOKE_WINDOW_HOURS: value })).toThrow(/LOOPGATE_REVOKE_WINDOW_HOURS/);
  });
});
