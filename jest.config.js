/**
 * One jest config for the whole monorepo: unit, storage and API tests live beside the code
 * (`*.test.ts`), cross-package end-to-end suites under test/ run with `npm run test:e2e`.
 */
const swc = [
  '@swc/jest',
  { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
];

// zapier-app's tests run in a jest process of their own (zapier-app/jest.config.js): zapier-platform-core
// replaces http.request for the whole process with a two-argument proxy, which would break every suite
// that runs after it in the same worker.

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  testMatch: [
    '<rootDir>/shared/src/**/*.test.ts',
    '<rootDir>/mcp/src/**/*.test.ts',
    '<rootDir>/server/src/**/*.test.ts',
    '<rootDir>/sdk/src/**/*.test.ts',
    '<rootDir>/n8n-nodes/{credentials,nodes,lib}/**/*.test.ts',
  ],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  globalSetup: '<rootDir>/server/src/test-support/global-setup.ts',
  testTimeout: 30_000,
};
