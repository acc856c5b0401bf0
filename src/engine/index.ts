/**
 * engine: the pure GitOps engine (≈ gitops-engine `pkg/{diff,health,sync}` + Argo CD's
 * `CompareAppState`). No I/O, no clock, no global logger, no randomness: everything it needs from
 * the world comes in through `ports.ts` (`ResourceInfoProvider`, `LiveStateReader`, `Clock`,
 * `EngineLog`) or as arguments. Manual: docs/engine.md.
 *
 * The flow of one app:
 * 1. `parseManifests(strings)`: the repo server's JSON (or YAML) into objects.
 * 2. `prepareDesired(objects, { appInstanceName, destinationNamespace, resourceInfo, ignoreDifferences })`:
 *    namespaces defaulted, tracking written, hooks/waves classified, normalised once. Cache the
 *    result per app + revision + settings; it is immutable.
 * 3. `compareAppState({ desired, live, cache })`: per-resource `status.resources[]`, app sync
 *    status and health, differences (Secrets masked). In-sync resources cost no clones; with a
 *    `createCompareCache()` memo an unchanged live object costs one lookup.
 * 4. `planSync(compare, options)`: the sync as data (phases, waves, kinds, hooks, prunes).
 * 5. `startSync(plan)` then `stepSync(plan, state, { results, live })` until `done`: the driver
 *    executes the returned actions (apply / create / delete) and feeds results back. The state is
 *    plain JSON; `restoreSyncState(plan, syncResult.resources)` resumes after a restart.
 *
 * Read paths: `diffResource` (+ `formatDiffText`, `toResourceDiffWire`), `getResourceHealth`,
 * `buildResourceTree`, `hideSecretData`. App deletion: `planCascadeDeletion`.
 *
 * Errors are `EngineError` with a stable `code` (`ERR_ENGINE_INVALID_MANIFEST`,
 * `ERR_ENGINE_UNSUPPORTED_JQ`, `ERR_ENGINE_INVALID_IGNORE_RULE`, `ERR_ENGINE_INVALID_SYNC_STATE`);
 * messages never quote manifest values. Live objects passed in are never modified.
 *
 * @example
 * import { parseManifests, prepareDesired, compareAppState, planSync, startSync, stepSync } from '../engine/index.js';
 * const desired = prepareDesired(parseManifests(manifests), {
 *   appInstanceName: 'guestbook', destinationNamespace: 'default', resourceInfo: cache,
 * });
 * const cmp = compareAppState({ desired, live: cache.byApp('guestbook') });
 * if (cmp.syncStatus === 'OutOfSync') {
 *   const plan = planSync(cmp, { prune: true });
 *   let state = startSync(plan);
 *   let results: SyncActionResult[] = [];
 *   for (;;) {
 *     const step = stepSync(plan, state, { results, live: (k) => cache.get(k) });
 *     state = step.state;
 *     if (step.done) break;
 *     results = await runActions(step.actions);
 *   }
 * }
 */

// errors and ports
export { EngineError, type EngineErrorCode } from './errors.js';
export {
  silentEngineLog,
  type ResourceInfoProvider,
  type LiveStateReader,
  type Clock,
  type EngineLog,
  type EngineLogLevel,
} from './ports.js';

// resource/
export {
  parseApiVersion,
  formatApiVersion,
  gvkOf,
  resourceKeyOf,
  formatResourceKey,
  formatGroupKind,
  describeResource,
  compareResourceKeys,
  sameResourceKey,
  type GroupKind,
  type GroupVersionKind,
  type ResourceKey,
} from './resource/key.js';
export { parseManifests, type ParseManifestsOptions } from './resource/manifests.js';
export {
  TrackingMethods,
  appInstanceName,
  formatTrackingId,
  parseTrackingId,
  setAppInstance,
  getAppInstance,
  isTrackedBy,
  carriesTracking,
  installationOf,
  foreignInstallationOf,
  type TrackingMethod,
  type TrackingOptions,
  type TrackingId,
} from './resource/tracking.js';
export {
  applyNamespaceDefaults,
  setDefaultNamespace,
  isNamespacedKind,
  crdScopes,
} from './resource/namespace.js';
export { kindOrder, kindRank, compareKindOrder } from './resource/order.js';

// diff/
export {
  type DiffOptions,
  type Difference,
  type ResourceDiff,
  type IgnoreResourceStatusField,
} from './diff/types.js';
export { IgnoreDifferences, compileIgnoreDifferences } from './diff/ignore.js';
export { diffResource } from './diff/diff.js';
export { formatDiffText, type DiffTextOptions } from './diff/text.js';
export { hideSecretData, hideSecretDataOf, type HiddenSecrets } from './diff/secrets.js';
export { toResourceDiffWire } from './diff/wire.js';

// health/
export { type HealthStatus, type HealthCheck, type HealthOptions } from './health/types.js';
export { getResourceHealth, aggregateHealth, isWorseHealth } from './health/health.js';

// compare/
export {
  type DesiredResource,
  type DesiredState,
  type NormalizedObject,
  type PrepareDesiredOptions,
  type CompareInput,
  type CompareResult,
  type ComparedResource,
  type CompareCondition,
  type CompareCache,
} from './compare/types.js';
export { prepareDesired } from './compare/desired.js';
export { compareAppState, createCompareCache } from './compare/compare.js';

// sync/
export {
  isHook,
  isSkipped,
  getHookTypes,
  getHookDeletePolicies,
  getSyncWave,
  parseSyncOptions,
  hasSyncOption,
  hasCompareOption,
} from './sync/annotations.js';
export {
  type SyncPlan,
  type SyncPlanOptions,
  type SyncPlanSummary,
  type SyncTask,
  type SyncTaskType,
  type SyncTaskOptions,
  type PrunePropagationPolicy,
  type SyncState,
  type SyncStage,
  type TaskState,
  type TaskStatus,
  type SyncAction,
  type ApplyAction,
  type CreateAction,
  type DeleteAction,
  type SyncActionResult,
  type SyncStepInput,
  type SyncStep,
  type SyncRunOptions,
} from './sync/types.js';
export { planSync } from './sync/plan.js';
export { startSync, stepSync, restoreSyncState, syncResultResources } from './sync/sync-context.js';
export { planCascadeDeletion, type CascadeDeletionPlan } from './sync/deletion.js';

// tree/
export { buildResourceTree } from './tree/tree.js';
export { type BuildTreeInput } from './tree/types.js';

// project/ (AppProject rules, shared by the controller and the API server)
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
} from './project/project.js';

// orphaned/ (orphaned resources of an app's destination namespace, shared by the controller and the
// API server)
export {
  findOrphanedResources,
  type OrphanedResource,
  type OrphanedResourcesInput,
} from './orphaned/orphaned.js';

// actions/ (built-in resource actions: restart, pause, resume)
export {
  listBuiltinActions,
  planBuiltinAction,
  RESTARTED_AT_ANNOTATION,
  type BuiltinAction,
  type ActionPlan,
} from './actions/actions.js';
