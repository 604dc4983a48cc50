import { ConfigError, loadConfig } from './config.js';

describe('config: analytics settings', () => {
  test.each([
    [{ LOOPGATE_ANALYTICS_SECONDS: '86401' }, /LOOPGATE_ANALYTICS_SECONDS/],
    [{ LOOPGATE_ANALYTICS_SECONDS: 'often' }, /LOOPGATE_ANALYTICS_SECONDS/],
    [{ LOOPGATE_FAST_DECISION_SECONDS_PER_KB: '-1' }, /LOOPGATE_FAST_DECISION_SECONDS_PER_KB/],
    [{ LOOPGATE_REVIEWER_HOUR_COST: '45,50' }, /LOOPGATE_REVIEWER_HOUR_COST: a cost per hour such as 45 or 45.50/],
    [{ LOOPGATE_REVIEWER_HOUR_COST: '-3' }, /LOOPGATE_REVIEWER_HOUR_COST/],
    [{ LOOPGATE_REVIEWER_HOUR_COST: '1e3' }, /LOOPGATE_REVIEWER_HOUR_COST/],
  ])('%j fails fast naming the setting', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  test('defaults: rollups every minute, 5 s per KB, no cost; a cost is read as a number', () => {
    expect(loadConfig({})).toMatchObject({ analyticsSeconds: 60, fastDecisionSecondsPerKb: 5, reviewerHourCost: null });
    expect(loadConfig({ LOOPGATE_REVIEWER_HOUR_COST: '' }).reviewerHourCost).toBeNull();
    expect(loadConfig({ LOOPGATE_REVIEWER_HOUR_COST: '45.50', LOOPGATE_ANALYTICS_SECONDS: '0' })).toMatchObject({
      reviewerHourCost: 45.5,
      analyticsSeconds: 0,
    });
  });
});
