/** Desired objects prepared once per revision: namespace defaulted, tracked, normalised. */
import type { KubeObject } from '../../apis/index.js';
import { resolveDiffOptions } from '../diff/diff.js';
import { IgnoreDifferences } from '../diff/ignore.js';
import { normalizeDesired } from '../diff/normalize.js';
import {
  compareResourceKeys,
  formatResourceKey,
  parseApiVersion,
  resourceKeyOf,
} from '../resource/key.js';
import { applyNamespaceDefaults } from '../resource/namespace.js';
import { setAppInstance } from '../resource/tracking.js';
import { getSyncWave, isHook, isSkipped } from '../sync/annotations.js';
import type {
  CompareCondition,
  DesiredResource,
  DesiredState,
  NormalizedObject,
  PrepareDesiredOptions,
} from './types.js';

/**
 * Prepares rendered objects for compare and sync: defaults namespaces (destination namespace for
 * namespaced kinds, none for cluster-scoped), writes the app's tracking (objects with only
 * `generateName` get label tracking only: their name is not known yet), classifies hooks and
 * waves, and normalises each object for comparison. Duplicate keys keep the last object and add a
 * `RepeatedResourceWarning` condition. `resources` are sorted by key (group, kind, namespace,
 * name), hooks with only `generateName` last. The result is immutable: cache it per app, revision
 * and settings.
 * @example
 * const desired = prepareDesired(parseManifests(res.manifests), {
 *   appInstanceName: 'guestbook', destinationNamespace: 'default', resourceInfo: cache,
 * });
 */
export function prepareDesired(
  objects: readonly KubeObject[],
  options: PrepareDesiredOptions,
): DesiredState {
  const settings = resolveDiffOptions({
    ...options.diff,
    ignoreDifferences: options.ignoreDifferences ?? IgnoreDifferences.none,
  });
  const tracking = options.tracking ?? {};
  const withNs = applyNamespaceDefaults(
    objects,
    options.destinationNamespace,
    options.resourceInfo,
  );
  const byKey = new Map<string, DesiredResource>();
  const counts = new Map<string, number>();
  const generated: DesiredResource[] = [];
  for (const obj of withNs) {
    const key = resourceKeyOf(obj);
    const method = tracking.method ?? 'annotation';
    const tracked =
      key.name === ''
        ? method === 'annotation'
          ? obj
          : setAppInstance(obj, options.appInstanceName, key, { ...tracking, method: 'label' })
        : setAppInstance(obj, options.appInstanceName, key, tracking);
    const res: DesiredResource = {
      key,
      version: parseApiVersion(obj.apiVersion).version,
      object: tracked,
      hook: isHook(obj),
      skip: isSkipped(obj),
      syncWave: getSyncWave(obj),
      normalized: normalizeDesired(tracked, key, settings) as unknown as NormalizedObject,
    };
    if (key.name === '') {
      generated.push(res);
      continue;
    }
    const ks = formatResourceKey(key);
    counts.set(ks, (counts.get(ks) ?? 0) + 1);
    byKey.set(ks, res); // the last one wins
  }
  const conditions: CompareCondition[] = [];
  for (const [ks, n] of counts) {
    if (n > 1) {
      conditions.push({
        type: 'RepeatedResourceWarning',
        message: `Resource ${ks} appeared ${n} times among application resources.`,
      });
    }
  }
  const named = [...byKey.values()].sort((a, b) => compareResourceKeys(a.key, b.key));
  return {
    resources: Object.freeze([...named, ...generated]),
    byKey,
    options,
    conditions: Object.freeze(conditions),
  };
}
