/**
 * Builds the Zapier app into dist/index.js (the package's main): one CommonJS file with the app and the
 * @loopgate/shared code it uses bundled in. Bundled because the Zapier CLI packages an app by copying it
 * to a temporary folder and running `npm install --production` there (zapier-platform-cli 19,
 * src/utils/build.js): a dependency on @loopgate/shared, an unpublished workspace package, would fail
 * that install, and without one the deployed app would miss the shared code. zapier-platform-core
 * stays external (a real dependency, which Zapier's runtime wrapper loads too), and so does
 * ../package.json, which the app reads its version from at run time.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dist = path.join(root, 'dist');

rmSync(dist, { recursive: true, force: true });
await build({
  entryPoints: [path.join(root, 'src/index.ts')],
  outfile: path.join(dist, 'index.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  // zapier-platform-core 19 runs on Node 22 at Zapier; node20 keeps the local tester on our oldest Node.
  target: 'node20',
  external: ['zapier-platform-core', '../package.json'],
  // @loopgate/shared's TypeScript source (the `@loopgate/source` export condition): tree-shaken ES
  // modules, so only the zod-free parts the app calls (json, lifecycle) are bundled; its types are erased.
  conditions: ['@loopgate/source'],
  sourcemap: true,
  logLevel: 'warning',
});
