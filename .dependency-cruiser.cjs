/**
 * Layering rules for Loopgate, checked by `npm run lint` (see docs/architecture.md). The same graph,
 * collapsed to folders, draws the architecture diagram (`npm run arch:graph`), so it cannot drift.
 */
const DOMAIN_MAY_USE = [
  '^server/src/domain/',
  '^shared/',
  '^node_modules/(zod|diff|ipaddr\\.js)/',
  '^node_modules/@loopgate/shared/',
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No module may import itself through others: the thing two modules share belongs in a third.',
      from: { path: '^(server/src|shared/src|sdk/src|mcp/src|n8n-nodes/(lib|nodes|credentials)|zapier-app/src)/' },
      to: { circular: true },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment:
        'The domain core knows nothing of Express, TypeORM, the store, the API or the pages: only itself, ' +
        '@loopgate/shared, node built-ins and small pure libraries (zod, diff, ipaddr.js).',
      // Tests of the domain run it over real stores (every database), so they may reach further.
      from: { path: '^server/src/domain/', pathNot: '\\.test\\.ts$' },
      to: { dependencyTypesNot: ['core'], pathNot: DOMAIN_MAY_USE },
    },
    {
      name: 'web-uses-no-store-or-api',
      severity: 'error',
      comment: 'Pages call domain use cases; they do not reach into storage or the API routes.',
      from: { path: '^server/src/web/' },
      to: { path: '^server/src/(store|api)/' },
    },
    {
      name: 'api-uses-no-web',
      severity: 'error',
      from: { path: '^server/src/api/' },
      to: { path: '^server/src/web/' },
    },
    {
      name: 'store-uses-no-api-or-web',
      severity: 'error',
      from: { path: '^server/src/store/' },
      to: { path: '^server/src/(api|web|http-common)/' },
    },
    {
      name: 'http-common-uses-no-api-or-web',
      severity: 'error',
      comment: 'What the API and the pages share imports neither of them.',
      from: { path: '^server/src/http-common/' },
      to: { path: '^server/src/(api|web)/' },
    },
    {
      name: 'shared-is-standalone',
      severity: 'error',
      comment:
        '@loopgate/shared is bundled into the n8n node and runs in browsers: no server code, no Node-only modules.',
      from: { path: '^shared/src/', pathNot: '\\.test\\.ts$' },
      to: { pathNot: ['^shared/src/', '^node_modules/zod/'] },
    },
    {
      name: 'sdk-uses-only-shared',
      severity: 'error',
      comment:
        '@loopgate/sdk is installed into agents: it talks to the server over HTTP and shares only @loopgate/shared ' +
        '(its tests start the real server from its test support); an adapter also imports its framework.',
      from: { path: '^sdk/src/', pathNot: ['\\.test\\.ts$', '^sdk/src/test-support/'] },
      to: {
        dependencyTypesNot: ['core'],
        // Adapters (sdk/src/adapters/) import their framework, an optional peer dependency.
        pathNot: ['^sdk/src/', '^shared/', '^node_modules/@loopgate/shared/', '^node_modules/@langchain/langgraph/'],
      },
    },
    {
      name: 'mcp-package-uses-no-server',
      severity: 'error',
      comment:
        '@loopgate/mcp (the tools and the stdio server) reaches Loopgate only through its port: over REST, or the ' +
        "server's in-process port in server/src/mcp; it imports no server code.",
      from: { path: '^mcp/src/' },
      to: { path: '^server/' },
    },
    {
      name: 'server-mcp-uses-no-store-api-or-web',
      severity: 'error',
      comment:
        'The /mcp mount calls domain use cases, as the API routes do; it does not reach into storage, routes or pages.',
      from: { path: '^server/src/mcp/', pathNot: '\\.test\\.ts$' },
      to: { path: '^server/src/(store|api|web)/' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.test.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['@loopgate/source', 'import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js', '.json'],
    },
    moduleSystems: ['es6', 'cjs'],
    reporterOptions: {
      archi: {
        collapsePattern:
          '^(server/src/[^/]+/[^/]+/|server/src/[^/]+/|shared/src/|sdk/src/|n8n-nodes/[^/]+/|zapier-app/src/)',
      },
    },
  },
};
