/**
 * One jest config for the whole monorepo: unit, storage and API tests live beside the code
 * (`*.test.ts`), cross-package end-to-end suites under test/ run with `npm run test:e2e`.
 */
const swc = [
  '@swc/jest',
  { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  testMatch: [
    '<rootDir>/shared/src/**/*.test.ts',
    '<rootDir>/server/src/**/*.test.ts',
    '<rootDir>/zapier-app/src/**/*.test.ts',
    '<rootDir>/n8n-nodes/{credentials,nodes,lib}/**/*.test.ts',
  ],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  globalSetup: '<rootDir>/server/src/test-support/global-setup.ts',
  testTimeout: 30_000,
};
