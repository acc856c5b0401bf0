/** App-level comparison (≈ Argo CD `controller/state.go` CompareAppState). */
import type {
  HealthStatusCode,
  KubeObject,
  ResourceStatus,
  SyncStatusCode,
} from '../../apis/index.js';
import { compareToLive, maskedDifferences, resolveDiffOptions } from '../diff/diff.js';
import { IgnoreDifferences } from '../diff/ignore.js';
import type { JsonObject } from '../diff/normalize.js';
import { getResourceHealth, isWorseHealth } from '../health/health.js';
import type { HealthStatus } from '../health/types.js';
import {
  compareResourceKeys,
  formatResourceKey,
  parseApiVersion,
  resourceKeyOf,
} from '../resource/key.js';
import { getAppInstance } from '../resource/tracking.js';
import { getSyncWave, hasCompareOption, isHook } from '../sync/annotations.js';
import type { ComparedResource, CompareCondition, CompareInput, CompareResult } from './types.js';

const MISSING: HealthStatus = { status: 'Missing' };

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
  const healthOpts = input.health ?? {};

  const liveByKey = new Map<string, KubeObject>();
  for (const o of input.live) liveByKey.set(formatResourceKey(resourceKeyOf(o)), o);

  const items: ComparedResource[] = [];
  const conditions: CompareCondition[] = [...desired.conditions];
  const images = new Set<string>();
  const claimed = new Set<string>();

  for (const d of desired.resources) {
    const isGenerated = d.key.name === '';
    const ks = isGenerated ? undefined : formatResourceKey(d.key);
    const live = ks === undefined ? undefined : liveByKey.get(ks);
    if (ks !== undefined) claimed.add(ks);
    if (live !== undefined) imagesOf(live, images);
    const health = live === undefined ? undefined : getResourceHealth(live, healthOpts);
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
    const owner = getAppInstance(live, tracking);
    let sharedWith: string | undefined;
    if (owner !== undefined && owner !== appName) {
      sharedWith = owner;
      conditions.push({
        type: 'SharedResourceWarning',
        message: `${describeKind(d.key)} is part of applications ${owner} and ${appName}`,
      });
    }
    const normalized = d.normalized as unknown as JsonObject;
    const outcome = compareToLive(d.key, normalized, live, settings, false);
    items.push({
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
      differences: outcome.modified ? maskedDifferences(d.key, normalized, live, settings) : [],
      ...(sharedWith === undefined ? {} : { sharedWith }),
    });
  }

  for (const [ks, live] of liveByKey) {
    if (claimed.has(ks)) continue;
    if ((live.metadata.ownerReferences?.length ?? 0) > 0) continue;
    if (getAppInstance(live, tracking) !== appName) continue;
    const key = resourceKeyOf(live);
    const hook = isHook(live);
    imagesOf(live, images);
    items.push({
      key,
      version: parseApiVersion(live.apiVersion).version,
      desired: undefined,
      live,
      status: hook ? 'Synced' : 'OutOfSync',
      health: getResourceHealth(live, healthOpts),
      hook,
      requiresPruning: !hook,
      syncWave: getSyncWave(live),
      modified: false,
      differences: [],
    });
  }

  items.sort((a, b) => compareResourceKeys(a.key, b.key));

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
