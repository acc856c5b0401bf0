/**
 * From resolved configuration (`kubeClientOptionSpecs` in src/config) to client and cache options.
 */
import type { KubeClientConfig } from '../config/index.js';
import type { KubeClientOptions } from './client.js';
import type { WatchTuning } from './cluster-cache.js';

export function kubeTuningFromConfig(cfg: KubeClientConfig): {
  client: Pick<KubeClientOptions, 'qps' | 'burst'>;
  watch: WatchTuning;
} {
  return {
    client: { qps: cfg.k8sClientQps, burst: cfg.k8sClientBurst },
    watch: {
      pageSize: cfg.clusterCacheListPageSize,
      timeoutSeconds: Math.max(1, Math.round(cfg.clusterCacheWatchResyncMs / 1000)),
      resyncIntervalMs: cfg.clusterCacheResyncMs,
      backoff: { maxMs: Math.max(100, cfg.clusterSyncRetryTimeoutMs) },
    },
  };
}
