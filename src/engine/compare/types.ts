import type {
  ApplicationConditionType,
  HealthStatusCode,
  KubeObject,
  ResourceStatus,
  SyncStatusCode,
} from '../../apis/index.js';
import type { DiffOptions, Difference } from '../diff/types.js';
import type { IgnoreDifferences } from '../diff/ignore.js';
import type { HealthOptions, HealthStatus } from '../health/types.js';
import type { ResourceInfoProvider } from '../ports.js';
import type { ResourceKey } from '../resource/key.js';
import type { TrackingOptions } from '../resource/tracking.js';

declare const normalizedBrand: unique symbol;
/** A desired object normalised for comparison; opaque (engine-internal layout). */
export interface NormalizedObject {
  readonly [normalizedBrand]: true;
}

/** Options of `prepareDesired`. */
export interface PrepareDesiredOptions {
  /** the app's instance name written into tracking (see `appInstanceName`) */
  readonly appInstanceName: string;
  readonly tracking?: TrackingOptions;
  /** `spec.destination.namespace`: the namespace of namespaced objects that name none */
  readonly destinationNamespace: string;
  /** discovery: namespaced or cluster-scoped; without it every unknown kind counts as namespaced */
  readonly resourceInfo?: ResourceInfoProvider;
  /** compiled `spec.ignoreDifferences` + system-level rules (see `compileIgnoreDifferences`) */
  readonly ignoreDifferences?: IgnoreDifferences;
  /** diff options other than ignoreDifferences (status handling, aggregated roles, ...) */
  readonly diff?: Omit<DiffOptions, 'ignoreDifferences'>;
}

/** One desired object, ready to apply and to compare. */
export interface DesiredResource {
  readonly key: ResourceKey;
  /** API version of the manifest (`v1`, `apps/v1` → `v1`) */
  readonly version: string;
  /** the object as it will be applied: namespace defaulted, tracking set */
  readonly object: KubeObject;
  /** `argocd.argoproj.io/hook` / `helm.sh/hook` present (hooks are not part of sync status) */
  readonly hook: boolean;
  /** `argocd.argoproj.io/hook: Skip`: never applied, not part of sync status */
  readonly skip: boolean;
  readonly syncWave: number;
  /** engine-internal normalised form, computed once */
  readonly normalized: NormalizedObject;
}

/**
 * The desired state of an app at one revision, prepared once and reusable for every refresh at that
 * revision with the same options (cache it per app + revision + settings).
 */
export interface DesiredState {
  readonly resources: readonly DesiredResource[];
  /** by `formatResourceKey` (hooks created with `generateName` are not in the map) */
  readonly byKey: ReadonlyMap<string, DesiredResource>;
  /** the options it was prepared with (compare uses the same) */
  readonly options: PrepareDesiredOptions;
  /** problems found while preparing (duplicate objects: `RepeatedResourceWarning`) */
  readonly conditions: readonly CompareCondition[];
}

/** A condition the comparison raises (`status.conditions[]` entry without timestamp). */
export interface CompareCondition {
  readonly type: ApplicationConditionType;
  readonly message: string;
}

/**
 * A memo of per-resource comparison outcomes and health, keyed by object identity (see
 * `createCompareCache`). Opaque.
 */
export interface CompareCache {
  /** entries are held weakly: they go with the desired state and the live objects */
  readonly kind: 'CompareCache';
}

/** Input of `compareAppState`. */
export interface CompareInput {
  readonly desired: DesiredState;
  /**
   * Candidate live objects: at least every live object at a desired key and every live object that
   * carries the app's tracking. Others are ignored; order does not matter.
   */
  readonly live: readonly KubeObject[];
  readonly health?: HealthOptions;
  /**
   * Memo of outcomes by object identity (`createCompareCache()`): an unchanged live object
   * compared with the same prepared desired object costs one lookup. Contract: live objects are
   * never mutated in place (a cluster cache replaces an object when it changes), and one cache is
   * used with one `health` option.
   */
  readonly cache?: CompareCache;
}

/** One resource of the comparison, with everything the sync planner needs. */
export interface ComparedResource {
  readonly key: ResourceKey;
  readonly version: string;
  /** prepared desired object, or undefined for extraneous live objects */
  readonly desired: DesiredResource | undefined;
  /** live object (unmasked: it never leaves the engine through here by itself), or undefined */
  readonly live: KubeObject | undefined;
  readonly status: SyncStatusCode;
  /** undefined for kinds without health */
  readonly health: HealthStatus | undefined;
  readonly hook: boolean;
  /** live and tracked by the app but not desired */
  readonly requiresPruning: boolean;
  readonly syncWave: number;
  readonly modified: boolean;
  /** empty when in sync; values masked for Secrets */
  readonly differences: readonly Difference[];
  /** live carries another app's tracking (`SharedResourceWarning`) */
  readonly sharedWith?: string;
  /**
   * live belongs to another Argo CD installation (its `argocd.argoproj.io/installation-id`, '' for
   * an instance without one): the planner refuses to apply it
   */
  readonly foreignInstallation?: string;
}

/** Result of `compareAppState`. */
export interface CompareResult {
  /** `status.resources[]` in Argo CD's order (by group, kind, namespace, name); hooks not yet live omitted */
  readonly resources: ResourceStatus[];
  readonly syncStatus: SyncStatusCode;
  readonly health: { readonly status: HealthStatusCode; readonly message?: string };
  /** every compared resource, desired hooks included, same order as `resources` then the rest */
  readonly items: readonly ComparedResource[];
  readonly conditions: readonly CompareCondition[];
  /** container images of live workloads (`status.summary.images`), sorted, unique */
  readonly images: readonly string[];
  /** the ignore rules the comparison used (the planner needs them for `RespectIgnoreDifferences`) */
  readonly ignoreDifferences: IgnoreDifferences;
}
