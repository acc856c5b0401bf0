// Layering rules of shared/conventions.md §B, checked in CI (`npm run deps:check`).
// Each folder under src/ lists the folders it may import; everything else is forbidden.
// Deviations from the conventions are recorded in docs/adr/0002-layering.md.
const allow = {
  lib: [],
  apis: ['lib'],
  engine: ['apis', 'lib'],
  rbac: ['apis', 'lib'],
  auth: ['apis', 'lib'],
  config: ['apis', 'lib'],
  tls: ['apis', 'config', 'lib'],
  kube: ['engine', 'apis', 'config', 'tls', 'lib'],
  reposerver: ['engine', 'apis', 'config', 'tls', 'lib'],
  controller: ['engine', 'kube', 'reposerver', 'apis', 'tls', 'config', 'lib'],
  server: ['auth', 'rbac', 'engine', 'kube', 'reposerver', 'apis', 'tls', 'config', 'lib'],
  oidc: ['auth', 'tls', 'config', 'apis', 'lib'],
  client: ['apis', 'lib'],
  cli: ['client', 'apis', 'config', 'rbac', 'tls', 'kube', 'lib'],
  kubeenv: ['tls', 'apis', 'config', 'lib'],
};
const folders = Object.keys(allow).concat(['cmd']);
const layerRules = Object.entries(allow).map(([from, ok]) => ({
  name: `layer-${from}`,
  comment: `src/${from}/ may import only: ${ok.join(', ') || '(nothing in src/)'}`,
  severity: 'error',
  from: { path: `^src/${from}/` },
  to: { path: '^src/', pathNot: [`^src/${from}/`, ...ok.map((f) => `^src/${f}/`)] },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-unknown-folder',
      comment: `every src/ folder must be one of: ${folders.join(', ')} (add it to .dependency-cruiser.cjs with its allowed imports)`,
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/', pathNot: folders.map((f) => `^src/${f}/`) },
    },
    {
      name: 'only-through-index',
      comment:
        'imports from another src/ folder go through its index.ts (reposerver: client.ts for callers)',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: {
        path: '^src/[^/]+/',
        pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$', '^src/reposerver/client\\.ts$'],
      },
    },
    {
      name: 'reposerver-only-via-client',
      comment:
        'controller/ and server/ reach the repo server over the wire: only reposerver/client.ts (conventions B.5)',
      severity: 'error',
      from: { path: '^src/(controller|server)/' },
      to: { path: '^src/reposerver/', pathNot: '^src/reposerver/client\\.ts$' },
    },
    {
      name: 'nothing-imports-cmd',
      severity: 'error',
      from: { path: '^src/(?!cmd/)' },
      to: { path: '^src/cmd/' },
    },
    {
      name: 'pure-engine-and-rbac',
      comment: 'engine/ and rbac/ are pure: no I/O modules (conventions B.2, B.3)',
      severity: 'error',
      from: { path: '^src/(engine|rbac|lib|apis)/', pathNot: '\\.test\\.ts$' },
      to: {
        dependencyTypes: ['core'],
        path: '^(node:)?(fs|fs/promises|net|http|https|http2|tls|child_process|dgram|dns|cluster|worker_threads)$',
      },
    },
    {
      name: 'examples-use-engine-only',
      severity: 'error',
      from: { path: '^examples/' },
      to: {
        path: '^src/',
        pathNot: ['^src/engine/index\\.ts$', '^src/apis/index\\.ts$', '^src/lib/index\\.ts$'],
      },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)gen/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
