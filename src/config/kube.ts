/**
 * Options shared by every program that talks to Kubernetes (controller, API server): client rate
 * limits and cluster-cache tuning, with Argo CD's environment variables and defaults
 * (`ARGOCD_K8S_CLIENT_QPS`/`_BURST` 50/100, `ARGOCD_CLUSTER_CACHE_*`). `src/kube` turns the
 * resolved values into client and cache options (`kubeTuningFromOptions`).
 */
import { opt, type OptionSpec } from './options.js';

function parseQps(s: string): number {
  const n = Number(s);
  if (!Number.isFinite(n)) throw new TypeError('expected a number of requests per second');
  return n;
}

const qps: OptionSpec<number> = {
  flag: 'k8s-client-qps',
  description:
    'Kubernetes API requests per second per cluster (watches excluded); 0 or less = unlimited',
  default: 50,
  parse: parseQps,
  env: 'ARGOCD_K8S_CLIENT_QPS',
};

/** Option specs; spread them into a program's specs. */
export const kubeClientOptionSpecs = {
  k8sClientQps: qps,
  k8sClientBurst: opt.int(
    'k8s-client-burst',
    'Kubernetes API requests allowed at once after an idle period',
    100,
    { env: 'ARGOCD_K8S_CLIENT_BURST', min: 1 },
  ),
  clusterCacheListPageSize: opt.int(
    'cluster-cache-list-page-size',
    'objects per page when the cluster cache lists a kind',
    500,
    { env: 'ARGOCD_CLUSTER_CACHE_LIST_PAGE_SIZE', min: 1, max: 10_000 },
  ),
  clusterCacheWatchResyncMs: opt.durationMs(
    'cluster-cache-watch-resync-duration',
    'longest a single watch runs before it is reopened from its last resourceVersion',
    600_000,
    { env: 'ARGOCD_CLUSTER_CACHE_WATCH_RESYNC_DURATION' },
  ),
  clusterCacheResyncMs: opt.durationMs(
    'cluster-cache-resync-duration',
    'full relist of every cached kind this often (0 = never)',
    12 * 3_600_000,
    { env: 'ARGOCD_CLUSTER_CACHE_RESYNC_DURATION' },
  ),
  clusterSyncRetryTimeoutMs: opt.durationMs(
    'cluster-sync-retry-timeout',
    'longest wait between retries when listing or watching a cluster fails',
    10_000,
    { env: 'ARGOCD_CLUSTER_SYNC_RETRY_TIMEOUT_DURATION' },
  ),
} as const;

/** The resolved values of `kubeClientOptionSpecs`. */
export interface KubeClientConfig {
  readonly k8sClientQps: number;
  readonly k8sClientBurst: number;
  readonly clusterCacheListPageSize: number;
  readonly clusterCacheWatchResyncMs: number;
  readonly clusterCacheResyncMs: number;
  readonly clusterSyncRetryTimeoutMs: number;
}
