/**
 * End-to-end suites under test/e2e (real n8n runtimes, browsers, real server processes): slow, so kept out of
 * `npm test` and run by `npm run test:e2e`, which builds the server and the n8n package first. Same transform,
 * module mapping and MySQL probe as `npm test` (suites that loop over DATABASES run on MySQL when it answers,
 * and LOOPGATE_REQUIRE_MYSQL=1 turns an unreachable MySQL into a failed run).
 */
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
  testTimeout: 120_000,
  // One suite at a time: each starts n8n instances (about 1 GB of memory and two cores' worth of start-up).
  maxWorkers: 1,
};
