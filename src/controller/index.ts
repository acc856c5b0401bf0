/**
 * controller: argocd-application-controller (see docs/controller.md).
 */
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
} from './project.js';
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
