// The architecture, checked on every CI run (`npm run check:architecture`):
//   routes, http (the request pipeline) → services → repositories, domain → db
// entry points (main.ts, app.ts, cli/) wire them together; schemas are the HTTP contract, read by
// the routes, the OpenAPI document and the command line only; tools/ and test/ stand beside the
// product and are never imported by it; and no module imports itself through others.
const LAYER = (...names) => `^src/(${names.join('|')})/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'An import cycle makes the load order matter and the layers meaningless.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'product-apart-from-tools-and-tests',
      severity: 'error',
      comment: 'The server never imports the benchmarks, the cluster harness or the tests.',
      from: { path: '^src/' },
      to: { path: '^(tools|test)/' },
    },
    {
      name: 'schemas-only-at-the-edge',
      severity: 'error',
      comment: 'Request/response schemas describe HTTP: routes, the OpenAPI document and the CLI (which validates as HTTP does) use them; inner layers use domain types.',
      from: { path: LAYER('services', 'repositories', 'domain', 'db', 'security', 'http', 'observability', 'jobs') },
      to: { path: '^src/schemas/' },
    },
    {
      name: 'routes-through-services',
      severity: 'error',
      comment: 'A route handler is validated input → one service call → response: no SQL, no database.',
      from: { path: LAYER('routes', 'http') },
      to: { path: LAYER('repositories', 'db') },
    },
    {
      name: 'services-know-no-http',
      severity: 'error',
      comment: 'Services take (actor, input) and return results; they know nothing of routes, requests or the pipeline.',
      from: { path: LAYER('services') },
      to: { path: [LAYER('routes', 'http', 'schemas', 'cli', 'openapi', 'observability', 'jobs'), '^src/(app|main)\\.ts$'] },
    },
    {
      name: 'repositories-only-down',
      severity: 'error',
      comment: 'Repositories own the SQL and return domain rows; they call nothing above them.',
      from: { path: LAYER('repositories') },
      to: { path: [LAYER('services', 'routes', 'http', 'cli', 'openapi', 'observability', 'jobs', 'security'), '^src/(app|main)\\.ts$'] },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'The domain (state machine, actor, search terms) depends on nothing but itself and the error codes.',
      from: { path: LAYER('domain') },
      to: { path: '^src/', pathNot: ['^src/domain/', '^src/errors\\.ts$'] },
    },
    {
      name: 'db-is-the-bottom',
      severity: 'error',
      comment: 'The database adapters know no business: they run SQL.',
      from: { path: LAYER('db') },
      to: { path: '^src/', pathNot: ['^src/db/', '^src/config\\.ts$', '^src/paths\\.ts$'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
