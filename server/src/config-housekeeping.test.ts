import { ConfigError, loadConfig } from './config.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('config: housekeeping settings', () => {
  test.each([
    [{ LOOPGATE_DELIVERY_RETENTION_DAYS: '-1' }, /LOOPGATE_DELIVERY_RETENTION_DAYS: must be a whole number/],
    [{ LOOPGATE_DELIVERY_RETENTION_DAYS: '1.5' }, /LOOPGATE_DELIVERY_RETENTION_DAYS/],
    [{ LOOPGATE_DELIVERY_RETENTION_DAYS: 'forever' }, /LOOPGATE_DELIVERY_RETENTION_DAYS/],
    [{ LOOPGATE_DELIVERY_RETENTION_DAYS: '1e3' }, /LOOPGATE_DELIVERY_RETENTION_DAYS/],
    [{ LOOPGATE_DELIVERY_RETENTION_DAYS: '36501' }, /LOOPGATE_DELIVERY_RETENTION_DAYS/],
    [{ LOOPGATE_HOUSEKEEPING_MINUTES: '1441' }, /LOOPGATE_HOUSEKEEPING_MINUTES: must be a whole number from 0 to 1440/],
    [{ LOOPGATE_HOUSEKEEPING_MINUTES: ' 5' }, /LOOPGATE_HOUSEKEEPING_MINUTES/],
    [{ LOOPGATE_HOUSEKEEPING_MINUTES: 'hourly' }, /LOOPGATE_HOUSEKEEPING_MINUTES/],
  ])('%j fails fast naming the setting', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  test('defaults: deliveries kept 30 days, housekeeping every 10 minutes; empty means the default', () => {
    expect(loadConfig({})).toMatchObject({ deliveryRetentionMs: 30 * DAY_MS, housekeepingMinutes: 10 });
    expect(loadConfig({ LOOPGATE_DELIVERY_RETENTION_DAYS: '', LOOPGATE_HOUSEKEEPING_MINUTES: '' })).toMatchObject({
      deliveryRetentionMs: 30 * DAY_MS,
      housekeepingMinutes: 10,
    });
  });

  test('0 days keeps deliveries forever; 0 minutes turns housekeeping off on this process', () => {
    expect(loadConfig({ LOOPGATE_DELIVERY_RETENTION_DAYS: '0', LOOPGATE_HOUSEKEEPING_MINUTES: '0' })).toMatchObject({
      deliveryRetentionMs: null,
      housekeepingMinutes: 0,
    });
    expect(loadConfig({ LOOPGATE_DELIVERY_RETENTION_DAYS: '7', LOOPGATE_HOUSEKEEPING_MINUTES: '1440' })).toMatchObject({
      deliveryRetentionMs: 7 * DAY_MS,
      housekeepingMinutes: 1440,
    });
  });
});

describe('config: audit retention', () => {
  test('default 183 days; 0 keeps the log forever; 183 and more are accepted', () => {
    expect(loadConfig({}).auditRetentionMs).toBe(183 * DAY_MS);
    expect(loadConfig({ LOOPGATE_AUDIT_RETENTION_DAYS: '0' }).auditRetentionMs).toBeNull();
    expect(loadConfig({ LOOPGATE_AUDIT_RETENTION_DAYS: '365' }).auditRetentionMs).toBe(365 * DAY_MS);
  });

  test('below 183 days is refused at start-up, naming the setting, unless explicitly allowed', () => {
    expect(() => loadConfig({ LOOPGATE_AUDIT_RETENTION_DAYS: '30' })).toThrow(ConfigError);
    expect(() => loadConfig({ LOOPGATE_AUDIT_RETENTION_DAYS: '182' })).toThrow(
      /LOOPGATE_AUDIT_RETENTION_DAYS: 182 days is below the 183-day floor.*LOOPGATE_AUDIT_RETENTION_ALLOW_SHORT=true/,
    );
    expect(
      loadConfig({ LOOPGATE_AUDIT_RETENTION_DAYS: '30', LOOPGATE_AUDIT_RETENTION_ALLOW_SHORT: 'true' })
        .auditRetentionMs,
    ).toBe(30 * DAY_MS);
    expect(() => loadConfig({ LOOPGATE_AUDIT_RETENTION_DAYS: 'half-year' })).toThrow(/LOOPGATE_AUDIT_RETENTION_DAYS/);
  });
});
