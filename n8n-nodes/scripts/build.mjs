/**
 * Builds the community package into dist/: each node and credential as one CommonJS file (n8n loads
 * them with require), with the @loopgate/shared code they use bundled in, because n8n community
 * packages may not have runtime dependencies (@loopgate/shared is a devDependency for that reason). n8n-workflow stays external: it is the host's (a peer
 * dependency). Icons and codex files are copied next to the files that reference them.
 */
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dist = path.join(root, 'dist');

const entries = [
  'credentials/LoopgateApi.credentials.ts',
  'nodes/Loopgate/Loopgate.node.ts',
  'nodes/LoopgateTrigger/LoopgateTrigger.node.ts',
];

rmSync(dist, { recursive: true, force: true });
await build({
  entryPoints: entries.map((entry) => path.join(root, entry)),
  outdir: dist,
  outbase: root,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  // The oldest Node the supported n8n lines run on (1.123.x runs on Node 20).
  target: 'node20',
  external: ['n8n-workflow'],
  // @loopgate/shared's TypeScript source (its package exports name it under this condition) rather than
  // its CommonJS dist: esbuild tree-shakes ES modules, so a node carries only the shared code it calls,
  // and never zod (the nodes import the zod-free subpaths: errors, webhooks, lifecycle).
  conditions: ['@loopgate/source'],
  sourcemap: true,
  logLevel: 'warning',
});

for (const dir of ['credentials', 'nodes/Loopgate', 'nodes/LoopgateTrigger']) {
  mkdirSync(path.join(dist, dir), { recursive: true });
  for (const file of readdirSync(path.join(root, dir))) {
    if (file.endsWith('.svg') || file.endsWith('.node.json')) {
      cpSync(path.join(root, dir, file), path.join(dist, dir, file));
    }
  }
}
