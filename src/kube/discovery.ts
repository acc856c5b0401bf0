/**
 * A snapshot of the API server's discovery: every served resource with its group, version, kind,
 * scope and verbs, which version of each group the server prefers, and lookups the engine needs
 * (`isNamespaced(group, kind)`, the preferred resource of a kind, the kinds a cache can watch).
 */

export interface ApiResourceInfo {
  readonly group: string;
  readonly version: string;
  /** plural resource name, e.g. `configmaps` */
  readonly resource: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly verbs: readonly string[];
  /** true when `version` is the server's preferred version of `group` */
  readonly preferred: boolean;
}

/** `group/version/Kind`, the key of `ApiResources.byGvk` (core group is ''). */
export function gvkKey(group: string, version: string, kind: string): string {
  return `${group}/${version}/${kind}`;
}

function gkKey(group: string, kind: string): string {
  return `${group}/${kind}`;
}

/** Served resources, as discovered at `fetchedAt` (milliseconds, the client's clock). */
export class ApiResources {
  readonly all: readonly ApiResourceInfo[];
  /** keyed `group/version/Kind` */
  readonly byGvk: ReadonlyMap<string, ApiResourceInfo>;
  readonly fetchedAt: number;
  private readonly byGk = new Map<string, ApiResourceInfo[]>();

  constructor(resources: readonly ApiResourceInfo[], fetchedAt: number) {
    this.all = resources;
    this.fetchedAt = fetchedAt;
    const byGvk = new Map<string, ApiResourceInfo>();
    for (const r of resources) {
      byGvk.set(gvkKey(r.group, r.version, r.kind), r);
      const k = gkKey(r.group, r.kind);
      const list = this.byGk.get(k);
      if (list) list.push(r);
      else this.byGk.set(k, [r]);
    }
    // preferred version first, then the order the server listed the versions in
    for (const list of this.byGk.values())
      list.sort((a, b) => Number(b.preferred) - Number(a.preferred));
    this.byGvk = byGvk;
  }

  get(group: string, version: string, kind: string): ApiResourceInfo | undefined {
    return this.byGvk.get(gvkKey(group, version, kind));
  }

  /** Every served version of a kind, preferred first. */
  versionsOf(group: string, kind: string): readonly ApiResourceInfo[] {
    return this.byGk.get(gkKey(group, kind)) ?? [];
  }

  /** The resource of a kind in the group's preferred version (or the first served version). */
  preferred(group: string, kind: string): ApiResourceInfo | undefined {
    return this.byGk.get(gkKey(group, kind))?.[0];
  }

  /** Whether a kind is namespaced; undefined when the server does not serve it. */
  isNamespaced(group: string, kind: string): boolean | undefined {
    return this.preferred(group, kind)?.namespaced;
  }

  /** One resource per kind (preferred version) that supports both list and watch. */
  watchable(): ApiResourceInfo[] {
    const out: ApiResourceInfo[] = [];
    for (const list of this.byGk.values()) {
      const r = list[0];
      if (r && isListWatchable(r)) out.push(r);
    }
    return out;
  }
}

/** A resource a cache can follow: not a subresource, and served with `list` and `watch`. */
export function isListWatchable(r: Pick<ApiResourceInfo, 'resource' | 'verbs'>): boolean {
  return !r.resource.includes('/') && r.verbs.includes('list') && r.verbs.includes('watch');
}
