/**
 * Options of argocd-application-controller: Argo CD's flags with their environment variables and
 * `argocd-cmd-params-cm` keys (names as in Argo CD's manifests), plus the shared groups: the
 * repo-server client link (`repoServerClientOptionSpecs`), the internal PKI directory and the
 * Kubernetes client tuning (`kubeClientOptionSpecs`). Durations given in seconds keep Argo CD's
 * `-seconds` flag names; `--app-resync` and `--app-hard-resync` take seconds as in Argo CD.
 */
import { parseDuration } from '../lib/index.js';
import { LOG_FORMATS, LOG_LEVELS } from './dex-server.js';
import { kubeClientOptionSpecs } from './kube.js';
import { opt, type OptionSpec } from './options.js';
import { internalTlsOptionSpecs, repoServerClientOptionSpecs } from './tls-options.js';

/** Argo CD's controller defaults (`cmd/argocd-application-controller`, `common/common.go`). */
export const CONTROLLER_DEFAULTS = {
  statusProcessors: 20,
  operationProcessors: 10,
  appResyncSeconds: 120,
  appHardResyncSeconds: 0,
  appResyncJitterSeconds: 60,
  repoServerTimeoutSeconds: 60,
  selfHealTimeoutSeconds: 0,
  selfHealBackoffTimeoutSeconds: 2,
  selfHealBackoffFactor: 3,
  selfHealBackoffCapSeconds: 300,
  syncTimeoutSeconds: 0,
  repoErrorGracePeriodSeconds: 180,
  kubectlParallelismLimit: 20,
  metricsPort: 8082,
  metricsAddress: '0.0.0.0',
  namespace: 'argocd',
  replicas: 1,
  shardingMethod: 'legacy',
} as const;

export const SHARDING_METHODS = ['legacy', 'round-robin'] as const;
export type ShardingMethod = (typeof SHARDING_METHODS)[number];

/** Whole seconds, or a Go duration (`3m`, `90s`) as Argo CD's environment variables take it. */
export function parseSeconds(raw: string): number {
  const s = raw.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const ms = parseDuration(s);
  if (ms < 0) throw new TypeError('must not be negative');
  return Math.round(ms / 1000);
}

const seconds = (
  flag: string,
  description: string,
  def: number,
  env: string,
  cmdParamsKey?: string,
): OptionSpec<number> => ({
  flag,
  description,
  default: def,
  parse: parseSeconds,
  env,
  ...(cmdParamsKey ? { cmdParamsKey } : {}),
});

/** Every option of the controller; spread into commander with `bindOptions`. */
export const controllerOptionSpecs = {
  statusProcessors: opt.int(
    'status-processors',
    'Number of application status processors (refresh workers)',
    CONTROLLER_DEFAULTS.statusProcessors,
    {
      env: 'ARGOCD_APPLICATION_CONTROLLER_STATUS_PROCESSORS',
      cmdParamsKey: 'controller.status.processors',
      min: 1,
    },
  ),
  operationProcessors: opt.int(
    'operation-processors',
    'Number of application operation processors (sync workers)',
    CONTROLLER_DEFAULTS.operationProcessors,
    {
      env: 'ARGOCD_APPLICATION_CONTROLLER_OPERATION_PROCESSORS',
      cmdParamsKey: 'controller.operation.processors',
      min: 1,
    },
  ),
  appResyncSeconds: seconds(
    'app-resync',
    'Time period in seconds for application resync; argocd-cm timeout.reconciliation overrides it when set (0 = no periodic resync)',
    CONTROLLER_DEFAULTS.appResyncSeconds,
    'ARGOCD_RECONCILIATION_TIMEOUT',
  ),
  appHardResyncSeconds: seconds(
    'app-hard-resync',
    'Time period in seconds for a hard application resync that bypasses the manifest cache (0 = off)',
    CONTROLLER_DEFAULTS.appHardResyncSeconds,
    'ARGOCD_HARD_RECONCILIATION_TIMEOUT',
  ),
  appResyncJitterSeconds: seconds(
    'app-resync-jitter',
    'Maximum random delay in seconds added to each periodic resync; argocd-cm timeout.reconciliation.jitter overrides it when set',
    CONTROLLER_DEFAULTS.appResyncJitterSeconds,
    'ARGOCD_RECONCILIATION_JITTER',
  ),
  repoServerTimeoutSeconds: opt.int(
    'repo-server-timeout-seconds',
    'Repo server RPC call timeout seconds',
    CONTROLLER_DEFAULTS.repoServerTimeoutSeconds,
    {
      env: 'ARGOCD_APPLICATION_CONTROLLER_REPO_SERVER_TIMEOUT_SECONDS',
      cmdParamsKey: 'controller.repo.server.timeout.seconds',
      min: 1,
    },
  ),
  selfHealTimeoutSeconds: seconds(
    'self-heal-timeout-seconds',
    'Specifies timeout between application self heal attempts (deprecated in Argo CD in favour of the backoff flags; used when > 0)',
    CONTROLLER_DEFAULTS.selfHealTimeoutSeconds,
    'ARGOCD_APPLICATION_CONTROLLER_SELF_HEAL_TIMEOUT_SECONDS',
    'controller.self.heal.timeout.seconds',
  ),
  selfHealBackoffTimeoutSeconds: seconds(
    'self-heal-backoff-timeout-seconds',
    'Specifies initial timeout of exponential backoff between self heal attempts',
    CONTROLLER_DEFAULTS.selfHealBackoffTimeoutSeconds,
    'ARGOCD_APPLICATION_CONTROLLER_SELF_HEAL_BACKOFF_TIMEOUT_SECONDS',
    'controller.self.heal.backoff.timeout.seconds',
  ),
  selfHealBackoffFactor: opt.int(
    'self-heal-backoff-factor',
    'Specifies factor of exponential timeout between application self heal attempts',
    CONTROLLER_DEFAULTS.selfHealBackoffFactor,
    {
      env: 'ARGOCD_APPLICATION_CONTROLLER_SELF_HEAL_BACKOFF_FACTOR',
      cmdParamsKey: 'controller.self.heal.backoff.factor',
      min: 1,
    },
  ),
  selfHealBackoffCapSeconds: seconds(
    'self-heal-backoff-cap-seconds',
    'Specifies max timeout of exponential backoff between application self heal attempts',
    CONTROLLER_DEFAULTS.selfHealBackoffCapSeconds,
    'ARGOCD_APPLICATION_CONTROLLER_SELF_HEAL_BACKOFF_CAP_SECONDS',
    'controller.self.heal.backoff.cap.seconds',
  ),
  syncTimeoutSeconds: seconds(
    'sync-timeout',
    'Specifies the timeout after which a sync would be terminated (0 = no timeout)',
    CONTROLLER_DEFAULTS.syncTimeoutSeconds,
    'ARGOCD_APPLICATION_CONTROLLER_SYNC_TIMEOUT',
    'controller.sync.timeout.seconds',
  ),
  repoErrorGracePeriodSeconds: seconds(
    'repo-error-grace-period-seconds',
    'Grace period in seconds during which a repo server error does not reset the last known resources of an app',
    CONTROLLER_DEFAULTS.repoErrorGracePeriodSeconds,
    'ARGOCD_APPLICATION_CONTROLLER_REPO_ERROR_GRACE_PERIOD_SECONDS',
    'controller.repo.error.grace.period.seconds',
  ),
  kubectlParallelismLimit: opt.int(
    'kubectl-parallelism-limit',
    'Number of allowed concurrent apply/delete requests per sync (0 = 1)',
    CONTROLLER_DEFAULTS.kubectlParallelismLimit,
    {
      env: 'ARGOCD_APPLICATION_CONTROLLER_KUBECTL_PARALLELISM_LIMIT',
      cmdParamsKey: 'controller.kubectl.parallelism.limit',
      min: 0,
    },
  ),
  metricsAddress: opt.string(
    'metrics-address',
    'Listen address of the metrics server (argocd-ts)',
    CONTROLLER_DEFAULTS.metricsAddress,
    { env: 'ARGOCD_APPLICATION_CONTROLLER_METRICS_ADDRESS' },
  ),
  metricsPort: opt.int(
    'metrics-port',
    'Start metrics server on given port (0 = a free port)',
    CONTROLLER_DEFAULTS.metricsPort,
    { env: 'ARGOCD_APPLICATION_CONTROLLER_METRICS_PORT', min: 0, max: 65535 },
  ),
  namespace: opt.optionalString(
    'namespace',
    "Namespace of the Argo CD control plane (Applications, AppProjects, Secrets, ConfigMaps); defaults to the pod's namespace, else argocd",
    { env: 'ARGOCD_APPLICATION_CONTROLLER_NAMESPACE', defaultDescription: 'argocd' },
  ),
  kubeconfig: opt.optionalString(
    'kubeconfig',
    'Path to a kube config; the in-cluster service account when unset and running in a pod, else KUBECONFIG / ~/.kube/config',
    { env: 'KUBECONFIG' },
  ),
  replicas: opt.int(
    'replicas',
    'Number of controller replicas (shards); the StatefulSet sets it',
    CONTROLLER_DEFAULTS.replicas,
    { env: 'ARGOCD_CONTROLLER_REPLICAS', min: 1 },
  ),
  shard: opt.int(
    'shard',
    'Shard index of this replica; defaults to the ordinal of the hostname (argocd-application-controller-<n>), else 0',
    -1,
    { env: 'ARGOCD_CONTROLLER_SHARD', min: -1, defaultDescription: 'hostname ordinal' },
  ),
  shardingMethod: opt.oneOf(
    'sharding-method',
    'How clusters are assigned to shards: legacy (FNV-32a of the cluster id) or round-robin',
    SHARDING_METHODS,
    CONTROLLER_DEFAULTS.shardingMethod,
    {
      env: 'ARGOCD_CONTROLLER_SHARDING_ALGORITHM',
      cmdParamsKey: 'controller.sharding.algorithm',
    },
  ),
  enableK8sEvent: opt.list(
    'enable-k8s-event',
    "Kubernetes Event reasons to record: 'all', 'none' or a comma-separated list",
    ['all'],
    ',',
    { env: 'ARGOCD_ENABLE_K8S_EVENT', cmdParamsKey: 'controller.enable.k8s.event' },
  ),
  logLevel: opt.oneOf('loglevel', 'Set the logging level', LOG_LEVELS, 'info', {
    env: 'ARGOCD_APPLICATION_CONTROLLER_LOGLEVEL',
    cmdParamsKey: 'controller.log.level',
  }),
  logFormat: opt.oneOf('logformat', 'Set the logging format', LOG_FORMATS, 'text', {
    env: 'ARGOCD_APPLICATION_CONTROLLER_LOGFORMAT',
    cmdParamsKey: 'controller.log.format',
  }),
  ...repoServerClientOptionSpecs('ARGOCD_APPLICATION_CONTROLLER'),
  ...internalTlsOptionSpecs(),
  ...kubeClientOptionSpecs,
} as const;
