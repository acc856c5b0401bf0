/**
 * argocd-application-controller: the composition root. Parses flags (flag > env var > default),
 * connects to the control plane (`--kubeconfig`, the pod's service account, or KUBECONFIG), opens
 * the TLS link to the repo server (hot-reloaded client certificate and CA), works out this
 * replica's shard, starts the controller and the metrics endpoint, and stops both on
 * SIGTERM/SIGINT. An operation in progress is resumed by the next start.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { CommanderError } from 'commander';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { DEFAULT_NAMESPACE } from '../apis/index.js';
import {
  ApplicationController,
  listenControllerMetrics,
  resolveShard,
} from '../controller/index.js';
import {
  VERSION,
  bindOptions,
  controllerOptionSpecs,
  newProgram,
  resolveOptions,
  type ResolvedOptions,
} from '../config/index.js';
import {
  KubeClient,
  inClusterConnection,
  kubeTuningFromConfig,
  loadKubeconfig,
  type KubeConnection,
  type KubeLog,
} from '../kube/index.js';
import { errorMessage } from '../lib/index.js';
import {
  createRepoServerClient,
  type CallOptions,
  type RepoServerClient,
  type RepoServerClientTls,
} from '../reposerver/client.js';
import {
  ClientTlsSource,
  DefaultTlsPaths,
  repoServerClientTlsOptions,
  type ClientTlsConfig,
} from '../tls/index.js';
import { createLogger } from './dex-server-log.js';
import { describeListenFailure } from './listen-error.js';

type Options = ResolvedOptions<typeof controllerOptionSpecs>;

const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

function podNamespace(): string | undefined {
  try {
    return readFileSync(SA_NAMESPACE_FILE, 'utf8').trim() || undefined;
  } catch {
    // not running in a pod: fall back to the default namespace
    return undefined;
  }
}

function tlsOf(cfg: ClientTlsConfig): RepoServerClientTls {
  if (cfg.mode === 'plaintext') return { kind: 'plaintext' };
  return {
    kind: 'tls',
    ...(cfg.ca !== undefined ? { caPem: cfg.ca } : {}),
    insecureSkipVerify: !cfg.rejectUnauthorized,
    ...(cfg.cert !== undefined && cfg.key !== undefined
      ? { certPem: cfg.cert, keyPem: cfg.key }
      : {}),
    ...(cfg.servername !== undefined ? { serverName: cfg.servername } : {}),
  };
}

/**
 * A repo server client that is rebuilt when the TLS material changes (rotated client certificate
 * or CA): calls in flight finish on the old connection, new calls use the new one.
 */
function reloadingRepoServerClient(
  address: string,
  source: ClientTlsSource,
  timeoutMs: number,
): RepoServerClient {
  let current = createRepoServerClient({ address, tls: tlsOf(source.current()), timeoutMs });
  source.on('change', (cfg) => {
    const old = current;
    current = createRepoServerClient({ address, tls: tlsOf(cfg), timeoutMs });
    setTimeout(() => {
      old.close();
    }, timeoutMs).unref();
  });
  const c = (): RepoServerClient => current;
  return {
    generateManifest: (req, o?: CallOptions) => c().generateManifest(req, o),
    resolveRevision: (req, o?: CallOptions) => c().resolveRevision(req, o),
    listRefs: (req, o?: CallOptions) => c().listRefs(req, o),
    getAppDetails: (req, o?: CallOptions) => c().getAppDetails(req, o),
    getRevisionMetadata: (req, o?: CallOptions) => c().getRevisionMetadata(req, o),
    testRepository: (req, o?: CallOptions) => c().testRepository(req, o),
    listApps: (req, o?: CallOptions) => c().listApps(req, o),
    checkHealth: (service?: string, o?: CallOptions) => c().checkHealth(service, o),
    close: () => {
      source.close();
      current.close();
    },
  };
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals): void => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(sig);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

/** Runs argocd-application-controller until SIGTERM/SIGINT; returns the exit code. */
export async function runController(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const program = bindOptions(
    newProgram(
      'argocd-application-controller',
      'Run the application controller: reconciles Applications (desired state from git, through the repo server) against the live state of the clusters it owns, and runs sync operations.',
      VERSION,
    ),
    controllerOptionSpecs,
  ).exitOverride();
  try {
    program.parse([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  let o: Options;
  let shard: number;
  try {
    o = resolveOptions(controllerOptionSpecs, program.opts(), env);
    shard = resolveShard(o.shard, env.HOSTNAME ?? hostname(), o.replicas);
  } catch (err) {
    process.stderr.write(`argocd-application-controller: ${errorMessage(err)}\n`);
    return 2;
  }
  const logger = createLogger(o.logLevel, o.logFormat, process.stdout);
  const log: KubeLog = (level, message, fields) => {
    logger[level](fields ?? {}, message);
  };
  let connection: KubeConnection;
  try {
    connection =
      o.kubeconfig !== undefined
        ? loadKubeconfig(o.kubeconfig, undefined, env)
        : (inClusterConnection(env) ?? loadKubeconfig(undefined, undefined, env));
  } catch (err) {
    process.stderr.write(
      `argocd-application-controller: failed to load the Kubernetes connection: ${errorMessage(err)}\n`,
    );
    return 2;
  }
  let tlsSource: ClientTlsSource;
  try {
    tlsSource = await ClientTlsSource.open(
      repoServerClientTlsOptions(o, {
        strictTlsDir: DefaultTlsPaths.controllerRepoServerTlsDir,
        internalTlsDir: o.internalTlsDir,
      }),
      { logger },
    );
  } catch (err) {
    process.stderr.write(`argocd-application-controller: ${errorMessage(err)}\n`);
    return 2;
  }
  const namespace = o.namespace ?? podNamespace() ?? DEFAULT_NAMESPACE;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const tuning = kubeTuningFromConfig(o);
  const client = new KubeClient(connection, { ...tuning.client, metricsRegistry: registry });
  // audit Events get a client (and so a rate limiter) of their own, as in Argo CD
  const eventClient = new KubeClient(connection, { ...tuning.client, metricsRegistry: registry });
  const repoServer = reloadingRepoServerClient(
    o.repoServer,
    tlsSource,
    o.repoServerTimeoutSeconds * 1000,
  );
  const enabled = o.enableK8sEvent;
  const controller = new ApplicationController({
    namespace,
    client,
    eventClient,
    repoServer,
    inClusterConnection: connection,
    clusterClientOptions: { ...tuning.client, metricsRegistry: registry },
    clusterCacheOptions: { watch: tuning.watch, metricsRegistry: registry },
    statusProcessors: o.statusProcessors,
    operationProcessors: o.operationProcessors,
    resyncMs: o.appResyncSeconds * 1000,
    resyncJitterMs: o.appResyncJitterSeconds * 1000,
    hardResyncMs: o.appHardResyncSeconds * 1000,
    selfHeal: {
      timeoutMs: o.selfHealTimeoutSeconds * 1000,
      baseMs: o.selfHealBackoffTimeoutSeconds * 1000,
      factor: o.selfHealBackoffFactor,
      capMs: o.selfHealBackoffCapSeconds * 1000,
    },
    syncTimeoutMs: o.syncTimeoutSeconds * 1000,
    kubectlParallelismLimit: o.kubectlParallelismLimit,
    repoServerTimeoutMs: o.repoServerTimeoutSeconds * 1000,
    repoErrorGracePeriodMs: o.repoErrorGracePeriodSeconds * 1000,
    reconciledAtMaxAgeMs: o.reconciledAtMaxAgeSeconds * 1000,
    sharding: { replicas: o.replicas, shard, algorithm: o.shardingMethod },
    metricsRegistry: registry,
    events: enabled.includes('all') ? 'all' : enabled.includes('none') ? 'none' : enabled,
    log,
  });
  let ready = false;
  let metrics: { port: number; close(): Promise<void> };
  try {
    metrics = await listenControllerMetrics(registry, o.metricsAddress, o.metricsPort, () => ready);
  } catch (err) {
    const listen = describeListenFailure(err, [
      {
        what: 'metrics',
        address: o.metricsAddress,
        port: o.metricsPort,
        portFlag: '--metrics-port',
        addressFlag: '--metrics-address',
      },
    ]);
    process.stderr.write(
      `argocd-application-controller: ${listen ?? `failed to listen on ${o.metricsAddress}:${o.metricsPort}: ${errorMessage(err)}`}\n`,
    );
    repoServer.close();
    client.close();
    eventClient.close();
    return 2;
  }
  logger.info({ address: o.metricsAddress, port: metrics.port }, 'metrics listening');
  const stopping = waitForSignal();
  try {
    await Promise.race([controller.start(), stopping]);
  } catch (err) {
    logger.error({ error: errorMessage(err) }, 'failed to start the application controller');
    await controller.stop();
    await metrics.close();
    client.close();
    eventClient.close();
    return 1;
  }
  ready = true;
  logger.info(
    { namespace, shard, replicas: o.replicas, repoServer: o.repoServer },
    'application controller running',
  );
  const sig = await stopping;
  logger.info({ signal: sig }, 'shutting down');
  await controller.stop();
  await metrics.close();
  client.close();
  eventClient.close();
  return 0;
}
