/**
 * Options of `argocd-server`, with Argo CD's flag names, environment variables and
 * `argocd-cmd-params-cm` keys (`server.*`) where Argo CD has them; the few that are argocd-ts's own
 * are marked so in their description and in docs/server.md. TLS, repo-server and Dex client groups
 * come from tls-options.ts so every program spells them alike; Kubernetes client tuning from kube.ts.
 */
import { opt, type OptionSpec, type ResolvedOptions } from './options.js';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from './dex-server.js';
import { kubeClientOptionSpecs } from './kube.js';
import {
  dexServerClientOptionSpecs,
  internalTlsOptionSpecs,
  repoServerClientOptionSpecs,
  tlsServerOptionSpecs,
} from './tls-options.js';

/** Argo CD's defaults for argocd-server (common/common.go, cmd/argocd-server). */
export const SERVER_DEFAULTS = Object.freeze({
  port: 8080,
  metricsPort: 8083,
  address: '0.0.0.0',
  basehref: '/',
  rootpath: '',
  apiContentTypes: ['application/json'] as readonly string[],
  xFrameOptions: 'sameorigin',
  contentSecurityPolicy: "frame-ancestors 'self';",
  staticAssets: '/shared/app',
  repoServerTimeoutSeconds: 60,
  shutdownGraceMs: 20_000,
  maxRequestBodyBytes: 4 * 1024 * 1024,
  enableK8sEvent: 'all',
});

function parseContentTypes(s: string): readonly string[] {
  return s
    .split(';')
    .map((x) => x.trim().toLowerCase())
    .filter(Boolean);
}

function parsePath(flag: string): (s: string) => string {
  return (s) => {
    const v = s.trim();
    if (/[\s?#\\]/.test(v) || v.includes('..'))
      throw new TypeError(`--${flag} must be a URL path without spaces, ?, #, \\ or ..`);
    return v;
  };
}

/** The option specs of argocd-server (bind with `bindOptions`, read with `resolveOptions`). */
export function serverOptionSpecs() {
  return {
    insecure: opt.bool(
      'insecure',
      'Run the server without TLS (plain HTTP/1.1 and h2c; only behind a proxy that terminates TLS)',
      false,
      { env: 'ARGOCD_SERVER_INSECURE', cmdParamsKey: 'server.insecure' },
    ),
    port: opt.int('port', 'Listen on given port (0 picks a free one)', SERVER_DEFAULTS.port, {
      env: 'ARGOCD_SERVER_LISTEN_PORT',
      min: 0,
      max: 65535,
    }),
    address: opt.string('address', 'Listen on given address', SERVER_DEFAULTS.address, {
      env: 'ARGOCD_SERVER_LISTEN_ADDRESS',
      cmdParamsKey: 'server.listen.address',
    }),
    metricsPort: opt.int(
      'metrics-port',
      'Start metrics on given port (0 picks a free one)',
      SERVER_DEFAULTS.metricsPort,
      { env: 'ARGOCD_SERVER_METRICS_LISTEN_PORT', min: 0, max: 65535 },
    ),
    metricsAddress: opt.string(
      'metrics-address',
      'Listen for metrics on given address',
      SERVER_DEFAULTS.address,
      {
        env: 'ARGOCD_SERVER_METRICS_LISTEN_ADDRESS',
        cmdParamsKey: 'server.metrics.listen.address',
      },
    ),
    ...tlsServerOptionSpecs('ARGOCD_SERVER'),
    ...repoServerClientOptionSpecs('ARGOCD_SERVER'),
    repoServerTimeoutSeconds: opt.int(
      'repo-server-timeout-seconds',
      'Repo server RPC call timeout seconds',
      SERVER_DEFAULTS.repoServerTimeoutSeconds,
      {
        env: 'ARGOCD_SERVER_REPO_SERVER_TIMEOUT_SECONDS',
        cmdParamsKey: 'server.repo.server.timeout.seconds',
        min: 1,
      },
    ),
    ...dexServerClientOptionSpecs('ARGOCD_SERVER'),
    ...internalTlsOptionSpecs(),
    basehref: {
      ...opt.string('basehref', 'Value for base href in index.html', SERVER_DEFAULTS.basehref, {
        env: 'ARGOCD_SERVER_BASEHREF',
        cmdParamsKey: 'server.basehref',
      }),
      parse: parsePath('basehref'),
    },
    rootpath: {
      ...opt.string(
        'rootpath',
        'Used if Argo CD is running behind reverse proxy under subpath different from /',
        SERVER_DEFAULTS.rootpath,
        {
          env: 'ARGOCD_SERVER_ROOTPATH',
          cmdParamsKey: 'server.rootpath',
        },
      ),
      parse: parsePath('rootpath'),
    },
    apiContentTypes: {
      ...opt.list(
        'api-content-types',
        'Semicolon separated list of allowed content types for non GET api requests. Any content type is allowed if empty.',
        SERVER_DEFAULTS.apiContentTypes,
        ';',
        { env: 'ARGOCD_API_CONTENT_TYPES', cmdParamsKey: 'server.api.content.types' },
      ),
      parse: parseContentTypes,
    } satisfies OptionSpec<readonly string[]>,
    xFrameOptions: opt.string(
      'x-frame-options',
      'Set X-Frame-Options header in HTTP responses to value. To disable, set to "".',
      SERVER_DEFAULTS.xFrameOptions,
      { env: 'ARGOCD_SERVER_X_FRAME_OPTIONS', cmdParamsKey: 'server.x.frame.options' },
    ),
    contentSecurityPolicy: opt.string(
      'content-security-policy',
      'Set Content-Security-Policy header in HTTP responses to value. To disable, set to "".',
      SERVER_DEFAULTS.contentSecurityPolicy,
      {
        env: 'ARGOCD_SERVER_CONTENT_SECURITY_POLICY',
        cmdParamsKey: 'server.content.security.policy',
      },
    ),
    disableAuth: opt.bool(
      'disable-auth',
      'Disable client authentication: every caller may do everything (dangerous; for local development only)',
      false,
      { env: 'ARGOCD_SERVER_DISABLE_AUTH', cmdParamsKey: 'server.disable.auth' },
    ),
    staticAssets: opt.string(
      'staticassets',
      'Directory path that contains additional static assets (the web UI)',
      SERVER_DEFAULTS.staticAssets,
      { env: 'ARGOCD_SERVER_STATIC_ASSETS', cmdParamsKey: 'server.staticassets' },
    ),
    namespace: opt.optionalString(
      'namespace',
      "Namespace of Argo CD's ConfigMaps, Secrets and AppProjects (default: the pod's namespace, else the kubeconfig context's, else argocd)",
      { env: 'ARGOCD_NAMESPACE' },
    ),
    kubeconfig: opt.optionalString(
      'kubeconfig',
      'Path to a kube config (default: in-cluster service account, else KUBECONFIG)',
    ),
    redis: opt.optionalString(
      'redis',
      'Redis server host:port (or redis:// URL) for login failure counters and token revocations shared by several API servers; in memory when unset',
      { env: 'REDIS_SERVER', cmdParamsKey: 'redis.server' },
    ),
    redisUsername: opt.optionalString('redis-username', 'Redis user name', {
      env: 'REDIS_USERNAME',
    }),
    redisPassword: opt.optionalString(
      'redis-password',
      'Redis password (prefer the REDIS_PASSWORD environment variable)',
      { env: 'REDIS_PASSWORD', secret: true },
    ),
    redisUseTls: opt.bool('redis-use-tls', 'Use a TLS connection to Redis', false, {
      env: 'REDIS_USE_TLS',
      cmdParamsKey: 'redis.use.tls',
    }),
    redisInsecureAllowNoPassword: opt.bool(
      'redis-insecure-allow-no-password',
      'argocd-ts: allow a Redis without a password (test rigs only; CVE-2024-31989)',
      false,
      { env: 'ARGOCD_REDIS_INSECURE_ALLOW_NO_PASSWORD', hidden: true },
    ),
    enableK8sEvent: opt.string(
      'enable-k8s-event',
      'Kubernetes Event reasons to record: all, none, or a comma-separated list',
      SERVER_DEFAULTS.enableK8sEvent,
      { env: 'ARGOCD_ENABLE_K8S_EVENT', cmdParamsKey: 'server.k8s.event' },
    ),
    shutdownGraceMs: opt.durationMs(
      'shutdown-grace-period',
      'argocd-ts: how long open requests may finish after SIGTERM',
      SERVER_DEFAULTS.shutdownGraceMs,
      { env: 'ARGOCD_SERVER_SHUTDOWN_GRACE_PERIOD' },
    ),
    maxRequestBodyBytes: opt.bytes(
      'max-request-body-size',
      'argocd-ts: largest request body accepted by the REST API',
      SERVER_DEFAULTS.maxRequestBodyBytes,
      { env: 'ARGOCD_SERVER_MAX_REQUEST_BODY_SIZE', defaultDescription: '4Mi' },
    ),
    logLevel: opt.oneOf<LogLevel>('loglevel', 'Set the logging level', LOG_LEVELS, 'info', {
      env: 'ARGOCD_SERVER_LOGLEVEL',
      cmdParamsKey: 'server.log.level',
    }),
    logFormat: opt.oneOf<LogFormat>('logformat', 'Set the logging format', LOG_FORMATS, 'text', {
      env: 'ARGOCD_SERVER_LOGFORMAT',
      cmdParamsKey: 'server.log.format',
    }),
    ...kubeClientOptionSpecs,
  } as const;
}

export type ServerOptions = ResolvedOptions<ReturnType<typeof serverOptionSpecs>>;
