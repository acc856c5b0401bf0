/**
 * Which kinds argocd-ts may look at, from `argocd-cm` `resource.exclusions` / `resource.inclusions`
 * (Argo CD's semantics, `util/settings` `ResourcesFilter`):
 * - a filter matches when its apiGroups, kinds and clusters all match; an empty list matches all;
 * - apiGroups and clusters are globs (gobwas, no separators); kinds are exact names or `*`;
 * - an excluded kind is never used; when inclusions exist, only included kinds are used;
 * - always excluded, whatever the settings: the `events.k8s.io` and `metrics.k8s.io` groups, core
 *   `Event` and `coordination.k8s.io` `Lease` (high churn, no desired state).
 */
import type { ArgoCdSettings, ResourceFilter } from '../apis/index.js';
import { globMatch } from '../lib/index.js';

/** Kinds no cluster cache watches and no sync touches. */
export const ALWAYS_EXCLUDED: readonly ResourceFilter[] = Object.freeze([
  { apiGroups: ['events.k8s.io', 'metrics.k8s.io'], kinds: [], clusters: [] },
  { apiGroups: [''], kinds: ['Event'], clusters: [] },
  { apiGroups: ['coordination.k8s.io'], kinds: ['Lease'], clusters: [] },
]);

function matchGlobs(patterns: readonly string[], value: string): boolean {
  if (patterns.length === 0) return true;
  return patterns.some((p) => globMatch(p, value));
}

function matchKind(kinds: readonly string[], kind: string): boolean {
  if (kinds.length === 0) return true;
  return kinds.some((k) => k === '*' || k === kind);
}

/** True when one filter matches the group, kind and cluster server URL. */
export function filterMatches(
  filter: ResourceFilter,
  group: string,
  kind: string,
  cluster: string,
): boolean {
  return (
    matchGlobs(filter.apiGroups, group) &&
    matchKind(filter.kinds, kind) &&
    matchGlobs(filter.clusters, cluster)
  );
}

/** The exclusions and inclusions in force; cheap to ask, answers are memoised per kind. */
export class ResourceFilterSet {
  readonly exclusions: readonly ResourceFilter[];
  readonly inclusions: readonly ResourceFilter[];
  private readonly memo = new Map<string, boolean>();

  constructor(
    options: {
      exclusions?: readonly ResourceFilter[];
      inclusions?: readonly ResourceFilter[];
    } = {},
  ) {
    this.exclusions = [...ALWAYS_EXCLUDED, ...(options.exclusions ?? [])];
    this.inclusions = options.inclusions ?? [];
  }

  /** From parsed `argocd-cm` settings (`parseArgoCdConfigMap(...).settings`). */
  static fromSettings(
    settings: Pick<ArgoCdSettings, 'resourceExclusions' | 'resourceInclusions'>,
  ): ResourceFilterSet {
    return new ResourceFilterSet({
      exclusions: settings.resourceExclusions,
      inclusions: settings.resourceInclusions,
    });
  }

  /** Whether a kind must be left alone on a cluster (`cluster` is its server URL). */
  isExcluded(group: string, kind: string, cluster: string): boolean {
    const key = `${group}\u0000${kind}\u0000${cluster}`;
    let v = this.memo.get(key);
    if (v === undefined) {
      v = this.compute(group, kind, cluster);
      if (this.memo.size > 10_000) this.memo.clear();
      this.memo.set(key, v);
    }
    return v;
  }

  private compute(group: string, kind: string, cluster: string): boolean {
    if (this.exclusions.some((f) => filterMatches(f, group, kind, cluster))) return true;
    if (this.inclusions.some((f) => filterMatches(f, group, kind, cluster))) return false;
    return this.inclusions.length > 0;
  }
}
