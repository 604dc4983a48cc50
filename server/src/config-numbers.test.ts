import { ConfigError, loadConfig } from './config.js';

/** Every numeric setting reads an empty value as its default (z.coerce used to read "" as 0). */
const NUMERIC_DEFAULTS: [string, string, number | null][] = [
  ['PORT', 'port', 3000],
  ['LOOPGATE_DB_POOL_SIZE', 'database', null],
  ['LOOPGATE_SLA_SWEEP_SECONDS', 'slaSweepSeconds', 5],
  ['LOOPGATE_SLA_SWEEP_BATCH', 'slaSweepBatch', 500],
  ['LOOPGATE_WEBHOOK_TIMEOUT_MS', 'webhookTimeoutMs', 10_000],
  ['LOOPGATE_OUTBOX_POLL_MS', 'outboxPollMs', 1_000],
  ['LOOPGATE_OUTBOX_CONCURRENCY', 'outboxConcurrency', 16],
  ['LOOPGATE_HOUSEKEEPING_MINUTES', 'housekeepingMinutes', 10],
];

describe('config: numeric settings', () => {
  test.each(NUMERIC_DEFAULTS)('%s= (empty) takes the default, not 0', (variable, field, expected) => {
    const config = loadConfig({ [variable]: '' });
    if (expected === null) expect(config.database).toMatchObject({ kind: 'sqlite' });
    else expect(config[field as keyof typeof config]).toBe(expected);
  });

  test('an empty MySQL pool size takes the default of 10', () => {
    expect(
      loadConfig({ DATABASE_URL: 'mysql://root@127.0.0.1:3306/lg', LOOPGATE_DB_POOL_SIZE: '' }).database,
    ).toMatchObject({
      kind: 'mysql',
      poolSize: 10,
    });
  });

  test.each([
    ['PORT', '3000.5'],
    ['PORT', '-1'],
    ['PORT', '1e3'],
    ['LOOPGATE_DB_POOL_SIZE', '0'],
    ['LOOPGATE_OUTBOX_CONCURRENCY', ' 16'],
  ])('%s=%j fails fast naming the variable', (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [variable]: value })).toThrow(new RegExp(`${variable}: must be a whole number`));
  });

  test('a bad DATABASE_URL is named as such', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://root@127.0.0.1:3306/' })).toThrow(
      /DATABASE_URL: name the database/,
    );
  });
});
