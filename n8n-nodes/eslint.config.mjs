// n8n's own community-node lint rules: the config `n8n-node lint` (@n8n/node-cli) uses. Tests are not
// shipped and not linted here (biome covers them).
import { config } from '@n8n/node-cli/eslint';

export default [
  { ignores: ['dist/**', 'scripts/**', 'node_modules/**', '**/*.test.ts', 'eslint.config.mjs'] },
  ...config,
  {
    // The pure helpers throw InputError, which the nodes turn into NodeOperationError (asNodeError).
    files: ['lib/**/*.ts'],
    rules: { '@n8n/community-nodes/require-node-api-error': 'off' },
  },
  {
    // Loopgate is an Apache-2.0 project; n8n's default-license check only suits its starter template.
    files: ['package.json'],
    rules: { 'n8n-nodes-base/community-package-json-license-not-default': 'off' },
  },
];
