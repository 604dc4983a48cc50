import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import zapier from 'zapier-platform-core';
import app from './index.js';
import { jsonOrText } from './task-input.js';

/** The app as Zapier will see it, validated offline against Zapier's own schema package. */

delete process.env.LOGGING_TOKEN;
delete process.env.ZAPIER_DEPLOY_KEY;

type Handler = (event: object) => Promise<{ results: unknown }>;
const createAppHandler = (zapier as unknown as { createAppHandler: (app: object) => Handler }).createAppHandler;
const { validateAppDefinition } = require('zapier-platform-schema') as {
  validateAppDefinition: (definition: unknown) => { errors: { stack: string }[] };
};
const packageJson = require('../package.json') as {
  version: string;
  main: string;
  dependencies: Record<string, string>;
};

describe('app definition', () => {
  test('the serialised definition validates against zapier-platform-schema', async () => {
    const { results } = await createAppHandler(app)({ command: 'definition' });
    expect(validateAppDefinition(results).errors.map((error) => error.stack)).toEqual([]);
  });

  test("core's own validate command (schema plus Zapier's app checks) reports nothing", async () => {
    const { results } = await createAppHandler(app)({ command: 'validate' });
    expect(results).toEqual([]);
  });

  test('versions: the app follows package.json, the platform the exactly pinned core', () => {
    expect(app.version).toBe(packageJson.version);
    expect(packageJson.dependencies['zapier-platform-core']).toBe(app.platformVersion);
    expect(packageJson.main).toBe('dist/index.js');
  });

  test('every visible operation the issue asks for is there, wired to the right kind', () => {
    expect(Object.keys(app.creates)).toEqual(['request_approval', 'create_task']);
    expect(Object.keys(app.searches)).toEqual(['find_task']);
    expect(
      Object.fromEntries(Object.entries(app.triggers).map(([key, trigger]) => [key, trigger.operation.type])),
    ).toEqual({ task_decided: 'hook', task_escalated: 'hook', task_expired: 'hook', queue_list: 'polling' });
    expect(app.creates.request_approval?.operation).toHaveProperty('performResume');
  });
});

describe('packaging: what `zapier-platform build` zips and Zapier runs', () => {
  const appDir = path.resolve(__dirname, '..');
  const bundlePath = path.join(appDir, 'dist/index.js');

  test('the bundle needs nothing but zapier-platform-core: @loopgate/shared is inside it', () => {
    if (!existsSync(bundlePath)) throw new Error('zapier-app/dist is missing: run `npm run build` first');
    const bundle = readFileSync(bundlePath, 'utf8');
    const required = new Set([...bundle.matchAll(/\brequire\("([^"]+)"\)/g)].map((match) => match[1]));
    expect([...required].sort()).toEqual(['../package.json', 'zapier-platform-core']);
    expect(bundle).toContain('function canonicalJson(');
  });

  test("the root index.js Zapier's runtime wrapper requires is the app the CLI loads through main", () => {
    const fromRoot = require(path.join(appDir, 'index.js')) as typeof app;
    expect(fromRoot).toBe(require(path.join(appDir, packageJson.main)));
    expect(fromRoot.version).toBe(packageJson.version);
    expect(Object.keys(fromRoot.creates)).toEqual(Object.keys(app.creates));
  });
});

describe('payload and context fields', () => {
  test.each([
    ['{"orderId": 1, "tags": ["a"]}', { orderId: 1, tags: ['a'] }],
    ['[1, 2]', [1, 2]],
    ['42.5', 42.5],
    ['true', true],
    ['null', null],
    ['"quoted"', 'quoted'],
    ['Refund the customer', 'Refund the customer'],
    ['{not json', '{not json'],
    ['12 apples', '12 apples'],
  ])('%s', (input, expected) => {
    expect(jsonOrText(input)).toEqual(expected);
  });
});
