/**
 * controller: argocd-application-controller (≈ Argo CD `controller/`). Manual: docs/controller.md.
 *
 * - `ApplicationController`: watches Applications, AppProjects, repository Secrets, `argocd-cm`
 *   (live reload), cluster Secrets (`ClusterRegistry`) and the live state of the clusters it owns
 *   (`ClusterCache`, kinds on demand); refreshes apps through a deduplicating, per-key-exclusive,
 *   rate-limited refresh queue (periodic `timeout.reconciliation` + jitter, spec changes, the
 *   refresh annotation, live changes by tracking id) and runs operations (sync, cascade deletion)
 *   through the operation queue. Status is written once per reconcile as a merge patch of
 *   `status` only, and only when it changed.
 * - `WorkQueue`/`runWorkers`: client-go's work queue guarantees.
 * - Project rules (`checkSourceRepo`, `checkDestination`, `checkResourceKind`, ...): re-exported from
 *   `src/engine` (project/), where the API server reuses them.
 * - `decideAutoSync`, `selfHealDelayMs`, `retryDelayMs`: automated sync and retry policy, pure.
 * - `shardForCluster`/`resolveShard`/`fnv32a`: sharding by cluster.
 * - `ManifestSource`: desired state from the repo server, cached per resolved SHA.
 * - `registerControllerMetrics`/`listenControllerMetrics`: Prometheus metrics on port 8082.
 *
 * @example
 * const controller = new ApplicationController({ namespace: 'argocd', client, repoServer });
 * await controller.start();
 * // ... on SIGTERM
 * await controller.stop();
 */
export {
  ApplicationController,
  type ApplicationControllerOptions,
  type RefreshLevel,
} from './controller.js';
export { ControllerError, type ControllerErrorCode } from './errors.js';
export {
  WorkQueue,
  runWorkers,
  systemQueueClock,
  type QueueClock,
  type WorkQueueOptions,
} from './queue.js';
export {
  normalizeRepoUrl,
  validateProject,
  checkSourceRepo,
  checkDestination,
  checkResourceKind,
  checkApplicationSpec,
  checkResources,
  type ProjectViolation,
  type ResolvedDestination,
} from '../engine/index.js';
export { fnv32a, shardForCluster, resolveShard, type ShardingAlgorithm } from './sharding.js';
export {
  decideAutoSync,
  selfHealDelayMs,
  retryDelayMs,
  DEFAULT_SELF_HEAL_BACKOFF,
  DEFAULT_RETRY_BACKOFF,
  type SelfHealBackoff,
  type AutoSyncDecision,
  type AutoSyncInput,
} from './autosync.js';
export {
  ManifestSource,
  toRepoServerSource,
  parseManifestStrings,
  type ManifestResult,
  type ManifestSourceOptions,
} from './manifests.js';
export { RepoCredentials } from './repo-creds.js';
export { controllerSettings, type ControllerSettings, type SettingsDefaults } from './settings.js';
export { jsonEqual, mergePatch } from './status-patch.js';
export {
  mergeConditions,
  appendHistory,
  isoSeconds,
  DEFAULT_REVISION_HISTORY_LIMIT,
} from './conditions.js';
export {
  registerControllerMetrics,
  listenControllerMetrics,
  type ControllerMetrics,
} from './metrics.js';
export { ObjectStore, type ObjectStoreOptions, type StoreEvent } from './store.js';
