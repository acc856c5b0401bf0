/**
 * Options of argocd-repo-server: Argo CD's flags with their environment variables and
 * `argocd-cmd-params-cm` keys, plus the few argocd-ts adds (named in the descriptions). Sizes are
 * Kubernetes quantities (`10M`), durations Go durations (`3m`).
 *
 * The TLS flags (`--tlsminversion`, `--tlsmaxversion`, `--tlsciphers`) are parsed here until the
 * shared TLS option group lands in `config/`; their names, env vars and keys already match Argo CD.
 */
import { opt, type OptionSpec } from './options.js';

export const REPO_SERVER_DEFAULTS = {
  address: '0.0.0.0',
  port: 8081,
  metricsAddress: '0.0.0.0',
  metricsPort: 8084,
  tlsCertDir: '/app/config/reposerver/tls',
  clientCaPath: '/app/config/reposerver/mtls/client-ca.crt',
  tlsMinVersion: '1.2',
  tlsMaxVersion: '1.3',
  parallelismLimit: 0,
  maxCombinedDirectoryManifestsSize: 10_000_000,
  repoCacheExpirationMs: 24 * 3600_000,
  revisionCacheExpirationMs: 3 * 60_000,
  execTimeoutMs: 90_000,
  gitRequestTimeoutMs: 15_000,
  maxToolOutputSize: 100_000_000,
  manifestCacheSize: 256 * 1024 * 1024,
  maxCheckouts: 32,
} as const;

export type TlsVersionName = '1.2' | '1.3';

function tlsVersion(s: string): TlsVersionName {
  const v = s.trim().replace(/^TLSv?/i, '');
  if (v === '1.2' || v === '1.3') return v;
  if (v === '1.0' || v === '1.1')
    throw new TypeError('TLS 1.0 and 1.1 are not supported; use 1.2 or 1.3');
  throw new TypeError('expected 1.2 or 1.3');
}

/** Go (IANA) cipher suite names Argo CD accepts, with their OpenSSL names (TLS 1.2 suites). */
const CIPHERS: Readonly<Record<string, string>> = {
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
};

/** Parses a colon-separated list of Go cipher suite names into an OpenSSL cipher string. */
export function parseCipherSuites(s: string): string {
  const names = s
    .split(':')
    .map((x) => x.trim())
    .filter(Boolean);
  const out: string[] = [];
  for (const n of names) {
    const mapped = CIPHERS[n];
    if (mapped === undefined)
      throw new TypeError(`unknown cipher suite "${n}"; known: ${Object.keys(CIPHERS).join(', ')}`);
    out.push(mapped);
  }
  return out.join(':');
}

export const repoServerOptionSpecs = {
  address: opt.string('address', 'listen on this address', REPO_SERVER_DEFAULTS.address, {
    env: 'ARGOCD_REPO_SERVER_LISTEN_ADDRESS',
    cmdParamsKey: 'reposerver.listen.address',
  }),
  listen: opt.optionalString('listen', 'alias of --address (the spelling of the TLS document)'),
  port: opt.int('port', 'listen on this port', REPO_SERVER_DEFAULTS.port, {
    env: 'ARGOCD_REPO_SERVER_PORT',
    min: 0,
    max: 65535,
  }),
  metricsAddress: opt.string(
    'metrics-address',
    'serve /metrics and /healthz on this address',
    REPO_SERVER_DEFAULTS.metricsAddress,
    {
      env: 'ARGOCD_REPO_SERVER_LISTEN_METRICS_ADDRESS',
      cmdParamsKey: 'reposerver.metrics.listen.address',
    },
  ),
  metricsPort: opt.int(
    'metrics-port',
    'serve /metrics and /healthz on this port (0 = a free port)',
    REPO_SERVER_DEFAULTS.metricsPort,
    {
      env: 'ARGOCD_REPO_SERVER_METRICS_PORT',
      min: 0,
      max: 65535,
    },
  ),
  disableTls: opt.bool(
    'disable-tls',
    'serve plaintext gRPC (h2c) and HTTP/1.1 instead of TLS',
    false,
    {
      env: 'ARGOCD_REPO_SERVER_DISABLE_TLS',
      cmdParamsKey: 'reposerver.disable.tls',
    },
  ),
  tlsMinVersion: {
    flag: 'tlsminversion',
    description: 'the minimum TLS version offered to clients (1.2 or 1.3)',
    default: REPO_SERVER_DEFAULTS.tlsMinVersion,
    parse: tlsVersion,
    env: 'ARGOCD_TLS_MIN_VERSION',
    cmdParamsKey: 'reposerver.tls.minversion',
  } satisfies OptionSpec<TlsVersionName>,
  tlsMaxVersion: {
    flag: 'tlsmaxversion',
    description: 'the maximum TLS version offered to clients (1.2 or 1.3)',
    default: REPO_SERVER_DEFAULTS.tlsMaxVersion,
    parse: tlsVersion,
    env: 'ARGOCD_TLS_MAX_VERSION',
    cmdParamsKey: 'reposerver.tls.maxversion',
  } satisfies OptionSpec<TlsVersionName>,
  tlsCiphers: {
    flag: 'tlsciphers',
    description:
      "colon-separated TLS 1.2 cipher suites offered to clients (Go names, e.g. Argo CD's TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:TLS_RSA_WITH_AES_256_GCM_SHA384); unset offers Node's ECDHE AEAD suites",
    default: undefined,
    parse: (s: string) => (s.trim() === '' ? undefined : parseCipherSuites(s)),
    env: 'ARGOCD_TLS_CIPHERS',
    cmdParamsKey: 'reposerver.tls.ciphers',
    defaultDescription: "Node's ECDHE AEAD suites",
  } satisfies OptionSpec<string | undefined>,
  tlsCertDir: opt.string(
    'tls-cert-dir',
    'directory of the mounted argocd-repo-server-tls secret (tls.crt, tls.key, ca.crt); a self-signed pair is generated at each start when tls.crt/tls.key are absent (argocd-ts)',
    REPO_SERVER_DEFAULTS.tlsCertDir,
    { env: 'ARGOCD_REPO_SERVER_TLS_CERT_DIR' },
  ),
  clientCaPath: opt.string(
    'client-ca-path',
    'PEM CA of client certificates; when the file exists, clients must present a certificate it signed (mutual TLS)',
    REPO_SERVER_DEFAULTS.clientCaPath,
    { env: 'ARGOCD_REPO_SERVER_CLIENT_CA_PATH', cmdParamsKey: 'reposerver.client.ca.path' },
  ),
  parallelismLimit: opt.int(
    'parallelismlimit',
    'limit on concurrent manifest generations (0 = unlimited)',
    REPO_SERVER_DEFAULTS.parallelismLimit,
    {
      env: 'ARGOCD_REPO_SERVER_PARALLELISM_LIMIT',
      cmdParamsKey: 'reposerver.parallelism.limit',
      min: 0,
    },
  ),
  maxCombinedDirectoryManifestsSize: opt.bytes(
    'max-combined-directory-manifests-size',
    'limit on the combined size of the manifest files of one directory application',
    REPO_SERVER_DEFAULTS.maxCombinedDirectoryManifestsSize,
    {
      env: 'ARGOCD_REPO_SERVER_MAX_COMBINED_DIRECTORY_MANIFESTS_SIZE',
      cmdParamsKey: 'reposerver.max.combined.directory.manifests.size',
      defaultDescription: '10M',
    },
  ),
  allowOobSymlinks: opt.bool(
    'allow-oob-symlinks',
    'allow symlinks that point outside the repository (unsafe: a repository could read files of the repo server)',
    false,
    { env: 'ARGOCD_REPO_SERVER_ALLOW_OOB_SYMLINKS', cmdParamsKey: 'reposerver.allow.oob.symlinks' },
  ),
  repoCacheExpiration: opt.durationMs(
    'repo-cache-expiration',
    'cache expiration of generated manifests, app details and revision metadata',
    REPO_SERVER_DEFAULTS.repoCacheExpirationMs,
    {
      env: 'ARGOCD_REPO_CACHE_EXPIRATION',
      cmdParamsKey: 'reposerver.repo.cache.expiration',
      defaultDescription: '24h',
    },
  ),
  revisionCacheExpiration: opt.durationMs(
    'revision-cache-expiration',
    'cache expiration of resolved revisions (git ls-remote results, per repository and credentials)',
    REPO_SERVER_DEFAULTS.revisionCacheExpirationMs,
    {
      env: 'ARGOCD_REPO_SERVER_REVISION_CACHE_EXPIRATION',
      cmdParamsKey: 'reposerver.revision.cache.expiration',
      defaultDescription: '3m',
    },
  ),
  execTimeout: opt.durationMs(
    'exec-timeout',
    'time limit of config management tools and of git fetch and checkout',
    REPO_SERVER_DEFAULTS.execTimeoutMs,
    {
      env: 'ARGOCD_EXEC_TIMEOUT',
      cmdParamsKey: 'reposerver.exec.timeout',
      defaultDescription: '1m30s',
    },
  ),
  gitRequestTimeout: opt.durationMs(
    'git-request-timeout',
    'time limit of git ls-remote',
    REPO_SERVER_DEFAULTS.gitRequestTimeoutMs,
    {
      env: 'ARGOCD_GIT_REQUEST_TIMEOUT',
      cmdParamsKey: 'reposerver.git.request.timeout',
      defaultDescription: '15s',
    },
  ),
  maxToolOutputSize: opt.bytes(
    'max-tool-output-size',
    'limit on the output of one kustomize or helm run (argocd-ts)',
    REPO_SERVER_DEFAULTS.maxToolOutputSize,
    { env: 'ARGOCD_REPO_SERVER_MAX_TOOL_OUTPUT_SIZE', defaultDescription: '100M' },
  ),
  manifestCacheSize: opt.bytes(
    'manifest-cache-size',
    'memory bound of the in-process manifest cache (argocd-ts)',
    REPO_SERVER_DEFAULTS.manifestCacheSize,
    { env: 'ARGOCD_REPO_SERVER_MANIFEST_CACHE_SIZE', defaultDescription: '256Mi' },
  ),
  maxCheckouts: opt.int(
    'max-checkouts',
    'checkouts kept on disk, least recently used removed first (argocd-ts)',
    REPO_SERVER_DEFAULTS.maxCheckouts,
    {
      env: 'ARGOCD_REPO_SERVER_MAX_CHECKOUTS',
      min: 1,
    },
  ),
  cacheDir: opt.optionalString(
    'cache-dir',
    'directory of the git cache (its git/ and work/ subdirectories are emptied at start); a fresh temporary directory, removed at exit, when unset (argocd-ts)',
    { env: 'ARGOCD_REPO_SERVER_CACHE_DIR' },
  ),
  dangerouslyAllowFileRepos: opt.bool(
    'dangerously-allow-file-repos',
    'allow file:// repositories (tests and local demos only: any local path becomes readable)',
    false,
    { env: 'ARGOCD_REPO_SERVER_DANGEROUSLY_ALLOW_FILE_REPOS' },
  ),
  logLevel: opt.oneOf(
    'loglevel',
    'log level',
    ['debug', 'info', 'warn', 'error'] as const,
    'info',
    {
      env: 'ARGOCD_REPO_SERVER_LOGLEVEL',
      cmdParamsKey: 'reposerver.log.level',
    },
  ),
} as const;
