/**
 * kube: the adapter to real Kubernetes clusters (≈ gitops-engine `pkg/cache` + `pkg/utils/kube`).
 *
 * - `KubeClient`: REST over keep-alive TLS; JSON, server-side apply, dry run, deletes with
 *   propagation, NDJSON watches (bookmarks, 410 → `isGone`, stall detection), discovery with
 *   preferred versions (`apiResources()`, `isNamespaced`); a token-bucket `RateLimiter`
 *   (QPS/burst, default 50/100) on every non-watch request; retries with backoff; `stats()` and
 *   `argocd_kubectl_*` Prometheus metrics when a registry is given.
 * - `loadKubeconfig`/`parseKubeconfig`/`inClusterConnection`/`connectionFromCluster`: where a
 *   connection comes from (kubeconfig, the pod's service account, an Argo CD cluster Secret).
 * - `ClusterCache`: list+watch of every kind (or of the kinds asked for with `ensureWatching`),
 *   relist on 410 with exact add/update/delete events, backoff with jitter, compact objects,
 *   indices by namespace, owner UID, tracking id (app) and instance label. Built on `Informer`.
 * - `ResourceFilterSet`: `resource.exclusions`/`resource.inclusions` with Argo CD's semantics;
 *   Events, Leases and metrics are always excluded.
 * - `KubeApplier`: apply (SSA, field manager `argocd-controller`, dry run), create, replace,
 *   delete with per-resource results and bounded concurrency.
 * - `ClusterRegistry`: one client + cache per managed cluster, from cluster Secrets.
 * - `recordEvent`/`EventRecorder`: audit Events (`ResourceCreated`, `OperationStarted`, ...).
 *
 *
 * Exports, by file: client (`KubeClient`, `resourcePath`, `splitApiVersion`, request/watch/retry
 * option types, `KubeClientStats`), discovery (`ApiResources`, `gvkKey`, `isListWatchable`),
 * rate limiting (`RateLimiter`, `TokenBucket`, `defaultSleep`, `DEFAULT_QPS`, `DEFAULT_BURST`),
 * connections (`loadKubeconfig`, `parseKubeconfig`, `inClusterConnection`,
 * `connectionFromCluster`), errors (`KubeApiError`, `KubeConfigError`, `KubeCacheError`,
 * `isNotFound`, `isConflict`, `isAlreadyExists`, `isGone`), keys (`resourceKeyOf`,
 * `formatResourceKey`, `describeResource`, `parseTrackingId`, `formatTrackingId`, `groupOf`),
 * filters (`ResourceFilterSet`, `ALWAYS_EXCLUDED`, `filterMatches`), `Informer`, `ClusterCache`,
 * compaction (`compactObject`, `approximateSize`, `StringPool`), `KubeApplier`
 * (`DEFAULT_FIELD_MANAGER`, `DEFAULT_CONCURRENCY`), `ClusterRegistry`, events (`recordEvent`,
 * `buildEvent`, `EventRecorder`, `EventReasons`, `systemEventClock`), logging (`silentLog`,
 * `KubeLog`), `kubeTuningFromConfig`, `withSsaDefaults` (protocol defaults server-side apply
 * needs on API servers before 1.21). See docs/kube.md.
 *
 * @example
 * const client = new KubeClient(loadKubeconfig(), { qps: 50, burst: 100 });
 * const cache = new ClusterCache({ client, filter: ResourceFilterSet.fromSettings(settings) });
 * cache.onResourceUpdated((key, obj, old) => queue.add(key));
 * await cache.ensureWatching({ group: 'apps', kind: 'Deployment' });
 * const results = await new KubeApplier(client).applyAll(manifests, { namespace: 'web', dryRun: true });
 */
export {
  KubeClient,
  resourcePath,
  splitApiVersion,
  type ResourceRef,
  type RequestParams,
  type WatchEvent,
  type WatchOptions,
  type RetryOptions,
  type KubeClientOptions,
} from './client.js';
export { type KubeClientStats, type KubeVerb } from './client-metrics.js';
export { ApiResources, gvkKey, isListWatchable, type ApiResourceInfo } from './discovery.js';
export {
  RateLimiter,
  TokenBucket,
  defaultSleep,
  DEFAULT_QPS,
  DEFAULT_BURST,
  type RateLimiterOptions,
  type TokenBucketOptions,
  type Sleep,
} from './rate-limiter.js';
export {
  loadKubeconfig,
  parseKubeconfig,
  inClusterConnection,
  type KubeConnection,
} from './kubeconfig.js';
export { connectionFromCluster, type ConnectionFromClusterOptions } from './cluster-connection.js';
export {
  KubeApiError,
  KubeConfigError,
  KubeCacheError,
  isNotFound,
  isConflict,
  isAlreadyExists,
  isGone,
  type KubeErrorCode,
  type KubeCacheErrorCode,
} from './errors.js';
export {
  resourceKeyOf,
  formatResourceKey,
  describeResource,
  parseTrackingId,
  formatTrackingId,
  groupOf,
  type ResourceKey,
  type GroupKind,
  type GroupVersionKind,
  type TrackingId,
} from './resource-key.js';
export { ResourceFilterSet, ALWAYS_EXCLUDED, filterMatches } from './resource-filter.js';
export {
  Informer,
  type InformerOptions,
  type InformerHandler,
  type InformerStats,
  type InformerState,
  type BackoffOptions,
} from './informer.js';
export {
  ClusterCache,
  type ClusterCacheOptions,
  type ClusterCacheStats,
  type CachedKindStats,
  type ResourceUpdatedHandler,
  type WatchTuning,
} from './cluster-cache.js';
export { compactObject, approximateSize, StringPool, type CompactOptions } from './compact.js';
export {
  KubeApplier,
  DEFAULT_FIELD_MANAGER,
  DEFAULT_CONCURRENCY,
  type ApplyOptions,
  type DeleteOptions,
  type DeleteTarget,
  type KubeApplierOptions,
  type ResourceResult,
  type ResourceOperation,
} from './applier.js';
export {
  ClusterRegistry,
  type ClusterHandle,
  type ClusterChange,
  type ClusterRegistryOptions,
} from './cluster-registry.js';
export {
  recordEvent,
  buildEvent,
  EventRecorder,
  EventReasons,
  systemEventClock,
  type AuditEvent,
  type EventReason,
  type InvolvedObject,
  type EventClock,
  type EventRecorderOptions,
} from './events.js';
export { silentLog, type KubeLog, type KubeLogLevel } from './log.js';
export { kubeTuningFromConfig } from './tuning.js';
export { withSsaDefaults } from './ssa-defaults.js';
