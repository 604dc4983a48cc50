// The same sources compile twice; Node tells the ESM copy from the CommonJS one by the nearest
// package.json's "type", so dist/esm gets one of its own.
import { writeFileSync } from 'node:fs';

writeFileSync(new URL('../dist/esm/package.json', import.meta.url), `${JSON.stringify({ type: 'module' })}\n`);
