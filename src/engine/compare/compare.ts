/** App-level comparison (≈ Argo CD `controller/state.go` CompareAppState). */
import {
  Annotations,
  type HealthStatusCode,
  type KubeObject,
  type ResourceStatus,
  type SyncStatusCode,
} from '../../apis/index.js';
import { compareToLive, maskedDifferences, resolveDiffOptions } from '../diff/diff.js';
import { IgnoreDifferences } from '../diff/ignore.js';
import type { JsonObject } from '../diff/normalize.js';
import { getResourceHealth, isWorseHealth } from '../health/health.js';
import type { HealthStatus } from '../health/types.js';
import {
  compareResourceKeys,
  formatObjectKey,
  formatResourceKey,
  parseApiVersion,
  resourceKeyOf,
} from '../resource/key.js';
import { foreignInstallationOf, getAppInstance } from '../resource/tracking.js';
import { getSyncWave, hasCompareOption, isHook } from '../sync/annotations.js';
import type {
  CompareCache,
  ComparedResource,
  DesiredResource,
  CompareCondition,
  CompareInput,
  CompareResult,
} from './types.js';

const MISSING: HealthStatus = { status: 'Missing' };

interface Outcome {
  readonly modified: boolean;
  readonly differences: ComparedResource['differences'];
}

/** The memo behind `CompareCache`. */
class CompareMemo implements CompareCache {
  readonly kind = 'CompareCache' as const;
  readonly outcomes = new WeakMap<object, WeakMap<KubeObject, Outcome>>();
  readonly health = new WeakMap<KubeObject, HealthStatus | null>();
}

/**
 * A memo for `compareAppState` (pass it as `cache`): unchanged live objects compared with the same
 * prepared desired state cost a lookup instead of a walk. Keep one per controller (or per cluster);
 * it holds nothing strongly.
 * @example
 * const cache = createCompareCache();
 * compareAppState({ desired, live, cache });
 */
export function createCompareCache(): CompareCache {
  return new CompareMemo();
}

function memoOf(cache: CompareCache | undefined): CompareMemo | undefined {
  return cache instanceof CompareMemo ? cache : undefined;
}

/** Images of a workload's pod template or a Pod. */
function imagesOf(obj: KubeObject, into: Set<string>): void {
  const spec = obj.spec as { template?: { spec?: unknown } } | undefined;
  const podSpec = (obj.kind === 'Pod' ? obj.spec : spec?.template?.spec) as
    { containers?: unknown; initContainers?: unknown } | undefined;
  if (typeof podSpec !== 'object') return;
  for (const list of [podSpec.containers, podSpec.initContainers]) {
    if (!Array.isArray(list)) continue;
    for (const c of list as unknown[]) {
      const image = (c as { image?: unknown } | null)?.image;
      if (typeof image === 'string' && image !== '') into.add(image);
    }
  }
}

function describeKind(key: { kind: string; name: string }): string {
  return `${key.kind}/${key.name}`;
}

/**
 * Compares an app's desired state with live state: per resource sync status, health and
 * differences; the app's sync status (hooks and `IgnoreExtraneous` objects excluded) and health
 * (worst of its resources, hooks excluded, Missing for absent desired objects).
 *
 * Live objects with ownerReferences are never claimed as extraneous (they belong to their owner,
 * e.g. Pods copying a ReplicaSet's instance label). A live object at a desired key that carries
 * another app's tracking raises `SharedResourceWarning`.
 * @example
 * const r = compareAppState({ desired, live: cache.byApp('guestbook') });
 * r.syncStatus; // 'Synced' | 'OutOfSync'
 */
export function compareAppState(input: CompareInput): CompareResult {
  const { desired } = input;
  const opts = desired.options;
  const settings = resolveDiffOptions({
    ...opts.diff,
    ignoreDifferences: opts.ignoreDifferences ?? IgnoreDifferences.none,
  });
  const tracking = opts.tracking ?? {};
  const appName = opts.appInstanceName;
  const trackingMethod = tracking.method ?? 'annotation';
  const healthOpts = input.health ?? {};
  const memo = memoOf(input.cache);
  const healthOf = (live: KubeObject): HealthStatus | undefined => {
    if (memo === undefined) return getResourceHealth(live, healthOpts);
    const hit = memo.health.get(live);
    if (hit !== undefined) return hit ?? undefined;
    const h = getResourceHealth(live, healthOpts);
    memo.health.set(live, h ?? null);
    return h;
  };

  // one key string per live object: desired objects are found through the prepared index
  const liveOf = new Map<DesiredResource, KubeObject>();
  const unclaimed: KubeObject[] = [];
  for (const o of input.live) {
    const d = desired.byKey.get(formatObjectKey(o));
    if (d !== undefined) liveOf.set(d, o);
    else unclaimed.push(o);
  }

  const items: ComparedResource[] = [];
  const conditions: CompareCondition[] = [...desired.conditions];
  const images = new Set<string>();

  for (const d of desired.resources) {
    const live = liveOf.get(d);
    const foreign = live === undefined ? undefined : foreignInstallationOf(live, tracking);
    if (live !== undefined && foreign === undefined) imagesOf(live, images);
    const health = live === undefined ? undefined : healthOf(live);
    if (d.hook || d.skip) {
      items.push({
        key: d.key,
        version: d.version,
        desired: d,
        live,
        status: 'Synced',
        health,
        hook: true,
        requiresPruning: false,
        syncWave: d.syncWave,
        modified: false,
        differences: [],
      });
      continue;
    }
    if (live === undefined) {
      items.push({
        key: d.key,
        version: d.version,
        desired: d,
        live: undefined,
        status: 'OutOfSync',
        health: MISSING,
        hook: false,
        requiresPruning: false,
        syncWave: d.syncWave,
        modified: false,
        differences: [],
      });
      continue;
    }
    if (foreign !== undefined) {
      // another instance's object (argocd-cm installationID): neither compared, adopted nor pruned
      conditions.push({
        type: 'ComparisonError',
        message: `${describeKind(d.key)} is managed by another Argo CD installation (${foreign === '' ? 'without installation id' : `installation id "${foreign}"`}); it is left alone: delete it there, or give this app another destination`,
      });
      items.push({
        key: d.key,
        version: d.version,
        desired: d,
        live,
        status: 'OutOfSync',
        health: MISSING,
        hook: false,
        requiresPruning: false,
        syncWave: d.syncWave,
        modified: false,
        differences: [],
        foreignInstallation: foreign,
      });
      continue;
    }
    // the same tracking value as desired is ours; anything else is parsed
    const liveId = live.metadata.annotations?.[Annotations.trackingId];
    const owner =
      trackingMethod !== 'label' &&
      liveId !== undefined &&
      liveId === d.object.metadata.annotations?.[Annotations.trackingId]
        ? appName
        : getAppInstance(live, tracking);
    let sharedWith: string | undefined;
    if (owner !== undefined && owner !== appName) {
      sharedWith = owner;
      conditions.push({
        type: 'SharedResourceWarning',
        message: `${describeKind(d.key)} is part of applications ${owner} and ${appName}`,
      });
    }
    const normalized = d.normalized as unknown as JsonObject;
    let outcome: Outcome | undefined;
    let perDesired: WeakMap<KubeObject, Outcome> | undefined;
    if (memo !== undefined) {
      perDesired = memo.outcomes.get(d);
      if (perDesired === undefined) {
        perDesired = new WeakMap();
        memo.outcomes.set(d, perDesired);
      }
      outcome = perDesired.get(live);
    }
    if (outcome === undefined) {
      const modified = compareToLive(d.key, normalized, live, settings, false).modified;
      outcome = {
        modified,
        differences: modified ? maskedDifferences(d.key, normalized, live, settings) : [],
      };
      perDesired?.set(live, outcome);
    }
    const item: { -readonly [K in keyof ComparedResource]: ComparedResource[K] } = {
      key: d.key,
      version: d.version,
      desired: d,
      live,
      status: outcome.modified ? 'OutOfSync' : 'Synced',
      health,
      hook: false,
      requiresPruning: false,
      syncWave: d.syncWave,
      modified: outcome.modified,
      differences: outcome.differences,
    };
    if (sharedWith !== undefined) item.sharedWith = sharedWith;
    items.push(item);
  }

  const extraneous: ComparedResource[] = [];
  const seen = new Set<string>();
  for (const live of unclaimed) {
    if ((live.metadata.ownerReferences?.length ?? 0) > 0) continue;
    if (getAppInstance(live, tracking) !== appName) continue;
    const key = resourceKeyOf(live);
    const ks = formatResourceKey(key);
    if (seen.has(ks)) continue;
    seen.add(ks);
    const hook = isHook(live);
    imagesOf(live, images);
    extraneous.push({
      key,
      version: parseApiVersion(live.apiVersion).version,
      desired: undefined,
      live,
      status: hook ? 'Synced' : 'OutOfSync',
      health: healthOf(live),
      hook,
      requiresPruning: !hook,
      syncWave: getSyncWave(live),
      modified: false,
      differences: [],
    });
  }

  // desired resources come sorted from prepareDesired; merge the (usually few) extraneous ones in
  if (extraneous.length > 0) {
    items.push(...extraneous);
    items.sort((a, b) => compareResourceKeys(a.key, b.key));
  }

  let syncStatus: SyncStatusCode = 'Synced';
  let health: HealthStatusCode = 'Healthy';
  const resources: ResourceStatus[] = [];
  for (const it of items) {
    if (it.hook && it.live === undefined) continue;
    resources.push(toResourceStatus(it));
    if (it.hook) continue;
    const ignoredExtraneous =
      it.requiresPruning && it.live !== undefined && hasCompareOption(it.live, 'IgnoreExtraneous');
    if (it.status === 'OutOfSync' && !ignoredExtraneous) syncStatus = 'OutOfSync';
    if (it.health !== undefined && !ignoredExtraneous && isWorseHealth(it.health.status, health)) {
      health = it.health.status;
    }
  }

  return {
    resources,
    syncStatus,
    health: { status: health },
    items,
    conditions,
    images: [...images].sort(),
    ignoreDifferences: settings.ignore,
  };
}

function toResourceStatus(it: ComparedResource): ResourceStatus {
  const r: ResourceStatus = {
    group: it.key.group,
    version: it.version,
    kind: it.key.kind,
    ...(it.key.namespace === '' ? {} : { namespace: it.key.namespace }),
    name: it.key.name,
    status: it.status,
  };
  if (it.health !== undefined) {
    r.health =
      it.health.message === undefined
        ? { status: it.health.status }
        : { status: it.health.status, message: it.health.message };
  }
  if (it.hook) r.hook = true;
  if (it.requiresPruning) r.requiresPruning = true;
  if (it.syncWave !== 0) r.syncWave = it.syncWave;
  return r;
}
