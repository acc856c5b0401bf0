/**
 * `argocd-server`: the composition root of the API server. It resolves the flags (flag > env var
 * > default; `argocd-cmd-params-cm` keys reach it as env vars), connects to Kubernetes, builds the
 * repo-server client from the `--repo-server*` flags, the optional Redis stores, the logger and
 * metrics registry, and runs `startApiServer` until SIGTERM/SIGINT (graceful shutdown).
 */
import { CommanderError } from 'commander';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { DEFAULT_NAMESPACE } from '../apis/index.js';
import {
  AuthEnv,
  createAuthRedisClient,
  MemoryFailureStore,
  RedisFailureStore,
  RedisRefreshTokenStore,
  RedisRevocationStore,
  resolveLoginOptions,
  resolveTokenOptions,
  type AuthRedisClient,
  type FailureStore,
  type RefreshTokenStore,
  type RevocationStore,
} from '../auth/index.js';
import {
  bindOptions,
  newProgram,
  resolveOptions,
  serverOptionSpecs,
  TlsPaths,
  VERSION,
  type ServerOptions,
} from '../config/index.js';
import {
  inClusterConnection,
  KubeClient,
  kubeTuningFromConfig,
  loadKubeconfig,
  type KubeConnection,
} from '../kube/index.js';
import { errorMessage, sanitizeText } from '../lib/index.js';
import {
  createRepoServerClient,
  type RepoServerClient,
  type RepoServerClientTls,
} from '../reposerver/client.js';
import {
  authSecurityLogger,
  createSsoService,
  startApiServer,
  type ApiServerHandle,
} from '../server/index.js';
import {
  ClientTlsSource,
  dexServerClientTlsOptions,
  handleTlsCiphersList,
  repoServerClientTlsOptions,
  tlsSettingsFromOptions,
  type TlsClientTls,
} from '../tls/index.js';
import { createLogger } from './dex-server-log.js';
import { describeListenFailure } from './listen-error.js';

export interface ServerRunDeps {
  readonly env?: NodeJS.ProcessEnv;
  /** aborting stops the server (tests); otherwise SIGTERM/SIGINT do */
  readonly signal?: AbortSignal;
  readonly stdout?: { write(s: string): unknown };
  readonly stderr?: { write(s: string): unknown };
}

function connection(kubeconfig: string | undefined, env: NodeJS.ProcessEnv): KubeConnection {
  if (kubeconfig !== undefined) return loadKubeconfig(kubeconfig, undefined, env);
  return inClusterConnection(env) ?? loadKubeconfig(undefined, undefined, env);
}

function enabledEvents(value: string): 'all' | 'none' | readonly string[] {
  const v = value.trim();
  if (v === 'all' || v === '') return 'all';
  if (v === 'none') return 'none';
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function repoClientTls(cfg: ReturnType<ClientTlsSource['current']>): RepoServerClientTls {
  if (cfg.mode === 'plaintext') return { kind: 'plaintext' };
  const t: TlsClientTls = cfg;
  return {
    kind: 'tls',
    ...(t.rejectUnauthorized ? {} : { insecureSkipVerify: true }),
    ...(t.ca !== undefined ? { caPem: t.ca } : {}),
    ...(t.cert !== undefined && t.key !== undefined ? { certPem: t.cert, keyPem: t.key } : {}),
    ...(t.servername !== undefined ? { serverName: t.servername } : {}),
  };
}

/** The repo-server client, rebuilt when its TLS material rotates. */
async function repoServerClient(
  o: ServerOptions,
  logger: ReturnType<typeof createLogger>,
): Promise<{ client: () => RepoServerClient; close: () => void }> {
  const source = await ClientTlsSource.open(
    repoServerClientTlsOptions(o, {
      strictTlsDir: TlsPaths.serverRepoServerTlsDir,
      internalTlsDir: o.internalTlsDir,
    }),
    { logger },
  );
  const make = (): RepoServerClient =>
    createRepoServerClient({
      address: o.repoServer,
      tls: repoClientTls(source.current()),
      timeoutMs: o.repoServerTimeoutSeconds * 1000,
    });
  let current = make();
  source.on('change', () => {
    const old = current;
    current = make();
    // calls in flight keep the old connection until they finish
    setTimeout(() => {
      old.close();
    }, 60_000).unref();
  });
  return {
    client: () => current,
    close: () => {
      current.close();
      source.close();
    },
  };
}

/** A RepoServerClient that always delegates to the current client (TLS rotation). */
function delegating(get: () => RepoServerClient): RepoServerClient {
  return {
    generateManifest: (req, opts) => get().generateManifest(req, opts),
    resolveRevision: (req, opts) => get().resolveRevision(req, opts),
    listRefs: (req, opts) => get().listRefs(req, opts),
    getAppDetails: (req, opts) => get().getAppDetails(req, opts),
    getRevisionMetadata: (req, opts) => get().getRevisionMetadata(req, opts),
    testRepository: (req, opts) => get().testRepository(req, opts),
    listApps: (req, opts) => get().listApps(req, opts),
    checkHealth: (service, opts) => get().checkHealth(service, opts),
    close: () => {
      get().close();
    },
  };
}

/** Runs argocd-server until a signal; returns the exit code. */
export async function runServer(
  argv: readonly string[],
  deps: ServerRunDeps = {},
): Promise<number> {
  const env = deps.env ?? process.env;
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const specs = serverOptionSpecs();
  const program = bindOptions(
    newProgram(
      'argocd-server',
      'Run the Argo CD API server: REST, gRPC and the web UI on one port (TLS unless --insecure), with authentication and RBAC',
      VERSION,
    ),
    specs,
  )
    .exitOverride()
    .configureOutput({
      writeOut: (s) => stdout.write(s),
      writeErr: (s) => stderr.write(s),
    });
  try {
    program.parse([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  let o: ServerOptions;
  try {
    o = resolveOptions(specs, program.opts(), env);
  } catch (err) {
    stderr.write(`argocd-server: ${errorMessage(err)}\n`);
    return 2;
  }
  if (handleTlsCiphersList(o.tlsciphers, (t) => stdout.write(t))) return 0;
  const logger = createLogger(o.logLevel, o.logFormat, stderr);
  const closers: (() => Promise<void> | void)[] = [];
  let server: ApiServerHandle | undefined;
  try {
    const tlsSettings = o.insecure ? undefined : tlsSettingsFromOptions(o, logger);
    const loginOptions = resolveLoginOptions(env);
    const tokenOptions = resolveTokenOptions(env);
    const conn = connection(o.kubeconfig, env);
    const kube = new KubeClient(conn, {
      userAgent: `argocd-server/${VERSION}`,
      ...kubeTuningFromConfig(o).client,
    });
    closers.push(() => {
      kube.close();
    });
    const namespace = o.namespace ?? conn.namespace ?? DEFAULT_NAMESPACE;
    const repo = await repoServerClient(o, logger);
    closers.push(repo.close);

    let failures: FailureStore | undefined;
    let revocations: RevocationStore | undefined;
    let refreshTokens: RefreshTokenStore | undefined;
    if (o.redis !== undefined) {
      const url = /^rediss?:\/\//.test(o.redis)
        ? o.redis
        : `${o.redisUseTls ? 'rediss' : 'redis'}://${o.redis}`;
      const redis: AuthRedisClient = createAuthRedisClient({
        url,
        ...(o.redisUsername !== undefined ? { username: o.redisUsername } : {}),
        ...(o.redisPassword !== undefined ? { password: o.redisPassword } : {}),
        insecureAllowNoPassword: o.redisInsecureAllowNoPassword,
        logger: authSecurityLogger(logger),
      });
      await redis.connect();
      closers.push(async () => {
        await redis.close();
      });
      failures = new RedisFailureStore(redis, {
        fallback: new MemoryFailureStore({ maxEntries: loginOptions.maxCacheSize }),
        logger: authSecurityLogger(logger),
      });
      const rev = new RedisRevocationStore(redis, { logger: authSecurityLogger(logger) });
      await rev.start();
      closers.push(() => rev.stop());
      revocations = rev;
      refreshTokens = new RedisRefreshTokenStore(redis);
      logger.info(
        { redis: sanitizeText(url) },
        `login failure counters and token revocations are shared through Redis (${AuthEnv.MAX_FAIL_COUNT} etc. apply per cluster)`,
      );
    }

    // the link to the bundled identity provider (--dex-server*): plaintext, Argo CD's
    // non-validating TLS, strict TLS with the mounted argocd-dex-server-tls, or the internal CA
    const dexTls = o.dexServerPlaintext
      ? undefined
      : await ClientTlsSource.open(
          dexServerClientTlsOptions(o, {
            strictTlsDir: TlsPaths.serverDexServerTlsDir,
            internalTlsDir: o.internalTlsDir,
          }),
          { logger },
        );
    if (dexTls)
      closers.push(() => {
        dexTls.close();
      });
    const sso = createSsoService({
      dexServer: o.dexServer,
      dexServerPlaintext: o.dexServerPlaintext,
      ...(dexTls ? { dexTls } : {}),
      ...(refreshTokens ? { refreshTokens } : {}),
    });

    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    server = await startApiServer(
      {
        namespace,
        insecure: o.insecure,
        address: o.address,
        port: o.port,
        metrics: { address: o.metricsAddress, port: o.metricsPort },
        ...(tlsSettings ? { tlsSettings } : {}),
        basehref: o.basehref,
        rootpath: o.rootpath,
        apiContentTypes: o.apiContentTypes,
        xFrameOptions: o.xFrameOptions,
        contentSecurityPolicy: o.contentSecurityPolicy,
        disableAuth: o.disableAuth,
        staticAssetsDir: o.staticAssets,
        shutdownGraceMs: o.shutdownGraceMs,
        maxRequestBodyBytes: o.maxRequestBodyBytes,
        enableK8sEvent: enabledEvents(o.enableK8sEvent),
        dexServer: {
          address: o.dexServer,
          plaintext: o.dexServerPlaintext,
          strictTls: o.dexServerStrictTls,
          caCertPath: o.dexServerCaCertPath,
          clientCertPath: o.dexServerClientCertPath,
          clientCertKeyPath: o.dexServerClientCertKeyPath,
        },
      },
      {
        kube,
        logger,
        registry,
        repoServer: delegating(repo.client),
        services: [sso],
        loginOptions,
        tokenOptions,
        ...(failures ? { failures } : {}),
        ...(revocations ? { revocations } : {}),
      },
    );
  } catch (err) {
    const listen = describeListenFailure(err, [
      {
        what: 'API server',
        address: o.address,
        port: o.port,
        portFlag: '--port',
        addressFlag: '--address',
      },
      {
        what: 'metrics',
        address: o.metricsAddress,
        port: o.metricsPort,
        portFlag: '--metrics-port',
        addressFlag: '--metrics-address',
      },
    ]);
    logger.error({ err: sanitizeText(listen ?? errorMessage(err)) }, 'argocd-server cannot start');
    if (listen !== undefined) stderr.write(`argocd-server: ${listen}\n`);
    for (const c of closers.reverse()) await c();
    return 1;
  }

  await new Promise<void>((resolve) => {
    const done = (): void => {
      resolve();
    };
    if (deps.signal) {
      if (deps.signal.aborted) done();
      else deps.signal.addEventListener('abort', done, { once: true });
    } else {
      process.once('SIGTERM', done);
      process.once('SIGINT', done);
    }
  });
  logger.info({}, 'shutting down');
  await server.close();
  for (const c of closers.reverse()) await c();
  logger.info({}, 'stopped');
  return 0;
}
