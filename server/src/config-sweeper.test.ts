import { ConfigError, loadConfig } from './config.js';

describe('config: SLA sweeper and e-mail settings', () => {
  test.each([
    [{ LOOPGATE_SLA_SWEEP_SECONDS: '86401' }, /LOOPGATE_SLA_SWEEP_SECONDS/],
    [{ LOOPGATE_SLA_SWEEP_SECONDS: 'often' }, /LOOPGATE_SLA_SWEEP_SECONDS/],
    [{ LOOPGATE_SLA_SWEEP_BATCH: '0' }, /LOOPGATE_SLA_SWEEP_BATCH/],
    [{ SMTP_URL: 'http://mail.example.com' }, /SMTP_URL must start with smtp:\/\//],
  ])('%j fails fast naming the setting', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  test('defaults: sweep every 5 s in batches of 500, e-mail to .eml files', () => {
    expect(loadConfig({})).toMatchObject({ slaSweepSeconds: 5, slaSweepBatch: 500, smtpUrl: null });
    expect(loadConfig({ LOOPGATE_SLA_SWEEP_SECONDS: '0', SMTP_URL: 'smtps://u:p@mail.example.com:465' })).toMatchObject(
      {
        slaSweepSeconds: 0,
        smtpUrl: 'smtps://u:p@mail.example.com:465',
      },
    );
  });

  test('any whole number of seconds up to a day is a sweep interval (no longer capped at 59 by a cron field)', () => {
    expect(loadConfig({ LOOPGATE_SLA_SWEEP_SECONDS: '90' })).toMatchObject({ slaSweepSeconds: 90 });
    expect(loadConfig({ LOOPGATE_SLA_SWEEP_SECONDS: '86400' })).toMatchObject({ slaSweepSeconds: 86_400 });
  });
});
