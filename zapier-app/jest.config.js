/**
 * The Zapier app's tests, in a jest process of their own: zapier-platform-core patches Node's
 * http.request process-wide (to log requests), so they must not share a process with the server's suites.
 * Same transform and module mapping as the root config; no MySQL probe (these tests start their own server
 * on SQLite).
 */
const { globalSetup: _noMySqlProbe, ...base } = require('../jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  rootDir: '..',
  testMatch: ['<rootDir>/zapier-app/src/**/*.test.ts'],
};
