/**
 * Desired against live for one resource, server-side-apply aware (docs/engine.md "Diff"):
 * a live object is in sync when every field of the normalised desired object equals the live
 * value (`subset.ts`) and no field our field manager applied before has been dropped from desired
 * (`managed-fields.ts`).
 */
import type { KubeObject } from '../../apis/index.js';
import { resourceKeyOf, type ResourceKey } from '../resource/key.js';
import { IgnoreDifferences } from './ignore.js';
import { hasPrefix, type JsonPath } from './json-pointer.js';
import { fieldSetsOf, ownedButDropped, ownsDroppedField, stripOwned } from './managed-fields.js';
import { predictLive } from './merge.js';
import {
  cloneClean,
  isAggregatedRole,
  normalizeDesired,
  normalizeLive,
  type JsonObject,
  type NormalizeSettings,
} from './normalize.js';
import { isSecret, maskObjects } from './secrets.js';
import { collectDifferences, isSubset, removalDifferences } from './subset.js';
import type { DiffOptions, Difference, ResourceDiff } from './types.js';

/** The field manager of our server-side applies. */
export const DEFAULT_FIELD_MANAGER = 'argocd-controller';

/** DiffOptions with defaults applied. */
export interface ResolvedDiffOptions extends NormalizeSettings {
  readonly fieldManager: string;
  readonly sensitiveAnnotations: readonly string[];
}

/** Applies the defaults of `DiffOptions` (one resolver, conventions C "Options"). */
export function resolveDiffOptions(o: DiffOptions = {}): ResolvedDiffOptions {
  return {
    ignore: o.ignoreDifferences ?? IgnoreDifferences.none,
    fieldManager: o.fieldManager ?? DEFAULT_FIELD_MANAGER,
    ignoreResourceStatusField: o.ignoreResourceStatusField ?? 'all',
    ignoreAggregatedRoles: o.ignoreAggregatedRoles ?? true,
    sensitiveAnnotations: o.sensitiveAnnotations ?? [],
  };
}

/** Result of comparing a normalised desired object with a live object. */
export interface CompareOutcome {
  readonly modified: boolean;
  /** empty unless asked for */
  readonly differences: Difference[];
  /** live paths the next apply removes */
  readonly removals: JsonPath[];
  /** desired after `managedFieldsManagers` stripping (the input itself when none applies) */
  readonly desired: JsonObject;
}

const AGGREGATED_SKIP: ReadonlySet<string> = new Set(['rules']);
const NOTHING: never[] = [];

function inSync(desired: JsonObject): CompareOutcome {
  return { modified: false, differences: NOTHING, removals: NOTHING, desired };
}
const NO_SKIP: ReadonlySet<string> = new Set();

/**
 * Compares normalised desired `d` with the raw `live` object without copying either on the
 * in-sync path. Differences are computed only when `wantDifferences` and the object differs;
 * the caller masks Secrets first when the differences leave the engine.
 */
export function compareToLive(
  key: ResourceKey,
  d: JsonObject,
  live: KubeObject,
  opts: ResolvedDiffOptions,
  wantDifferences: boolean,
): CompareOutcome {
  let desired = d;
  const managers = opts.ignore.managersFor(key);
  if (managers.length > 0) {
    const sets = fieldSetsOf(live, managers, false);
    if (sets.length > 0) {
      desired = cloneClean(d) as JsonObject;
      for (const s of sets) stripOwned(s, desired);
    }
  }
  const subset = isSubset(desired, live, undefined, undefined);
  const ignoring = opts.ignore.appliesTo(key);
  const extraSkip = isAggregatedRole(live, opts) ? AGGREGATED_SKIP : NO_SKIP;
  if (subset && !wantDifferences && !ignoring) {
    // the refresh path: one allocation-free walk, no paths collected
    const dropped = ownsDroppedField(live, opts.fieldManager, d, extraSkip);
    return dropped ? { modified: true, differences: [], removals: [], desired } : inSync(desired);
  }
  let removals: JsonPath[] = [];
  if (subset || wantDifferences) {
    const ownSets = fieldSetsOf(live, [opts.fieldManager], true);
    for (const s of ownSets) {
      // against the unstripped desired: a field ignored for another manager is not dropped
      removals.push(...ownedButDropped(s, d, live, !wantDifferences && !ignoring, extraSkip));
    }
    if (removals.length > 0 && ignoring) {
      const ignored = opts.ignore.pathsIn(key, live);
      removals = removals.filter((r) => !ignored.some((ip) => hasPrefix(r, ip)));
    }
  }
  const modified = !subset || removals.length > 0;
  const differences: Difference[] = [];
  if (wantDifferences && modified) {
    collectDifferences(desired, live, undefined, undefined, [], differences);
    differences.push(...removalDifferences(removals, live));
  }
  return { modified, differences, removals, desired };
}

/**
 * Diffs one desired object against its live object. Either may be undefined (not desired:
 * extraneous; not live: missing); `modified` is then false and the differences empty. Secrets and
 * sensitive annotations are masked in every output field (the masking happens before the
 * comparison, so no value can reach a difference or a state).
 *
 * This is the full form for read paths (API server, CLI); `compareAppState` uses a faster path
 * that computes only `modified` and `differences`.
 * @example
 * const d = diffResource(desired, live, { ignoreDifferences: compileIgnoreDifferences(app.spec.ignoreDifferences ?? []) });
 * if (d.modified) process.stdout.write(formatDiffText([d]));
 */
export function diffResource(
  desired: KubeObject | undefined,
  live: KubeObject | undefined,
  options: DiffOptions = {},
): ResourceDiff {
  const source = desired ?? live;
  if (source === undefined) {
    throw new TypeError('diffResource needs a desired or a live object');
  }
  const key = resourceKeyOf(source);
  const opts = resolveDiffOptions(options);
  const [target, liveOut] = maskObjects([desired, live], opts.sensitiveAnnotations);
  const d = target === undefined ? undefined : normalizeDesired(target, key, opts);
  const nl =
    liveOut === undefined
      ? undefined
      : normalizeLive(liveOut, key, opts, d !== undefined && d.status !== undefined);
  if (d === undefined || liveOut === undefined || nl === undefined) {
    return {
      key,
      modified: false,
      differences: [],
      target,
      live: liveOut,
      normalizedLive: nl as KubeObject | undefined,
      // not live: desired is the prediction; not desired (extraneous): nothing is predicted
      predictedLive: d as KubeObject | undefined,
    };
  }
  const outcome = compareToLive(key, d, liveOut, opts, true);
  return {
    key,
    modified: outcome.modified,
    differences: outcome.differences,
    target,
    live: liveOut,
    normalizedLive: nl as KubeObject,
    predictedLive: predictLive(nl, outcome.desired, outcome.removals) as KubeObject,
  };
}

/**
 * Differences of a resource known to be modified, masked when it is a Secret or carries sensitive
 * annotations (used by `compareAppState`).
 */
export function maskedDifferences(
  key: ResourceKey,
  d: JsonObject,
  live: KubeObject,
  opts: ResolvedDiffOptions,
): Difference[] {
  const masked = maskObjects([d as KubeObject, live], opts.sensitiveAnnotations);
  const md = masked[0];
  const ml = masked[1];
  if (md === d && ml === live) return compareToLive(key, d, live, opts, true).differences;
  if (md === undefined || ml === undefined) return [];
  return compareToLive(key, md, ml, opts, true).differences;
}

/** Whether an object's diff output needs masking. */
export function needsMask(obj: KubeObject | undefined, opts: ResolvedDiffOptions): boolean {
  if (obj === undefined) return false;
  if (isSecret(obj)) return true;
  const ann = obj.metadata.annotations;
  return ann !== undefined && opts.sensitiveAnnotations.some((k) => k in ann);
}
