import type * as N8nWorkflow from 'n8n-workflow';

/**
 * n8n-workflow as the running n8n has it. Error classes must come from the host's copy: n8n tells node
 * errors apart with `instanceof`, and a package loaded through N8N_CUSTOM_EXTENSIONS (or npm-linked)
 * would otherwise resolve its own devDependency copy, of another major version on n8n 2.x. n8n's
 * entry script is `require.main`, so resolving from there finds the host's copy; plain `require` is
 * the fallback for installs where the package sits inside n8n's own node_modules anyway.
 */
let cached: typeof N8nWorkflow | undefined;

export function n8nWorkflow(): typeof N8nWorkflow {
  if (cached) return cached;
  const main = require.main;
  if (main) {
    try {
      cached = main.require('n8n-workflow') as typeof N8nWorkflow;
      return cached;
    } catch {
      // not started from n8n's entry script (tests, other hosts)
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose, see above
  cached = require('n8n-workflow') as typeof N8nWorkflow;
  return cached;
}
