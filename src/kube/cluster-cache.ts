/**
 * The cluster cache (≈ gitops-engine `pkg/cache`): an in-memory copy of the live objects of a
 * cluster, kept current by one list+watch per kind (per namespace when the cluster is restricted
 * to namespaces), with the indices the controller needs to find an app's objects in O(1):
 * by namespace, by owner UID (resource tree), by Argo CD tracking id (app name) and by instance
 * label value.
 *
 * Two ways to choose kinds, which combine: `start()` follows every listable+watchable kind that
 * discovery reports minus `resource.exclusions` (and only `resource.inclusions` when set), and
 * keeps following new CRDs; `ensureWatching(groupKind)` adds one kind on demand.
 *
 * Handlers registered with `onResourceUpdated` run synchronously, in event order per watch
 * (kind, or kind+namespace), with `(key, newObj, oldObj)`: `newObj` undefined = deleted,
 * `oldObj` undefined = created. A relist after 410 Gone reports exactly the differences.
 *
 * Memory stays bounded by storing compact objects (no managedFields except configured managers,
 * no last-applied annotation unless asked, shared strings); `approximateBytes()` reports the
 * estimate. Cached objects are shared: treat them as read-only.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { Annotations, Labels, type KubeObject } from '../apis/index.js';
import { errorMessage } from '../lib/index.js';
import type { KubeClient, ResourceRef } from './client.js';
import { approximateSize, compactObject, StringPool, type CompactOptions } from './compact.js';
import { isListWatchable, type ApiResourceInfo, type ApiResources } from './discovery.js';
import { KubeCacheError } from './errors.js';
import { Informer, type BackoffOptions, type InformerStats } from './informer.js';
import { silentLog, type KubeLog } from './log.js';
import type { Sleep } from './rate-limiter.js';
import {
  formatResourceKey,
  groupOf,
  parseTrackingId,
  resourceKeyOf,
  type GroupKind,
  type GroupVersionKind,
  type ResourceKey,
} from './resource-key.js';
import { ResourceFilterSet } from './resource-filter.js';

export type ResourceUpdatedHandler = (
  key: ResourceKey,
  newObj: KubeObject | undefined,
  oldObj: KubeObject | undefined,
) => void;

export interface WatchTuning {
  /** longest server-side watch in seconds; each watch takes a random 50–100 % of it (default 600) */
  readonly timeoutSeconds?: number;
  /** a watch with no byte (not even a bookmark) for this long is restarted (default timeout + 60 s) */
  readonly stallTimeoutMs?: number;
  /**
   * periodic full relist of every kind, checked whenever a watch ends (default 12 h, Argo CD's
   * cluster resync; 0 = never)
   */
  readonly resyncIntervalMs?: number;
  /** list page size (default 500, Argo CD's `ARGOCD_CLUSTER_CACHE_LIST_PAGE_SIZE`) */
  readonly pageSize?: number;
  /** backoff after failures (default 500 ms doubling to 30 s, with jitter) */
  readonly backoff?: BackoffOptions;
}

export interface ClusterCacheOptions {
  readonly client: KubeClient;
  /** the cluster's server URL, matched by `clusters` in resource filters (default: the client's) */
  readonly cluster?: string;
  readonly filter?: ResourceFilterSet;
  /** restrict namespaced kinds to these namespaces (a cluster Secret's `namespaces`) */
  readonly namespaces?: readonly string[];
  /** follow cluster-scoped kinds (default: true unless `namespaces` is set) */
  readonly clusterResources?: boolean;
  /** managedFields entries kept per object, by manager (default: `argocd-controller`) */
  readonly keepManagedFieldsOf?: readonly string[];
  readonly keepLastApplied?: boolean;
  /** label read for the instance index (default `app.kubernetes.io/instance`) */
  readonly instanceLabelKey?: string;
  readonly watch?: WatchTuning;
  readonly metricsRegistry?: Registry;
  readonly log?: KubeLog;
  readonly now?: () => number;
  readonly sleep?: Sleep;
  readonly random?: () => number;
}

export interface CachedKindStats extends InformerStats {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly objects: number;
}

export interface ClusterCacheStats {
  readonly cluster: string;
  readonly objects: number;
  readonly approximateBytes: number;
  readonly kinds: number;
  readonly watches: number;
  readonly synced: boolean;
  readonly events: number;
  readonly relists: number;
  readonly restarts: number;
  readonly perWatch: readonly CachedKindStats[];
}

/** What the cache holds per object: the compact object and its estimated size. */
interface Entry {
  readonly obj: KubeObject;
  readonly bytes: number;
}

interface Watch {
  readonly info: ApiResourceInfo;
  readonly apiVersion: string;
  readonly namespace: string | undefined;
  readonly informer: Informer;
  /** objects currently cached from this watch */
  count: number;
  /** keys seen during the list in progress */
  seen: Set<string> | undefined;
}

interface KindEntry {
  readonly info: ApiResourceInfo;
  readonly watches: Watch[];
  /** added by ensureWatching (kept when discovery-driven resync runs) */
  pinned: boolean;
}

function gk(group: string, kind: string): string {
  return `${group}/${kind}`;
}

function addTo(index: Map<string, Set<string>>, k: string | undefined, ks: string): void {
  if (k === undefined) return;
  const set = index.get(k);
  if (set) set.add(ks);
  else index.set(k, new Set([ks]));
}

function removeFrom(index: Map<string, Set<string>>, k: string | undefined, ks: string): void {
  if (k === undefined) return;
  const set = index.get(k);
  if (!set) return;
  set.delete(ks);
  if (set.size === 0) index.delete(k);
}

const CRD_GROUP = 'apiextensions.k8s.io';
const DEFAULT_RESYNC_MS = 12 * 3_600_000;
const CRD_KIND = 'CustomResourceDefinition';

/** Prometheus collectors per registry, reading every live cache at scrape time. */
const registries = new WeakMap<Registry, Set<ClusterCache>>();

function registerMetrics(registry: Registry, cache: ClusterCache): () => void {
  let caches = registries.get(registry);
  if (!caches) {
    const set = new Set<ClusterCache>();
    caches = set;
    registries.set(registry, set);
    new Gauge({
      name: 'argocd_cluster_api_resource_objects',
      help: 'Number of k8s resource objects in the cache.',
      labelNames: ['server'],
      registers: [registry],
      collect() {
        this.reset();
        for (const c of set) this.set({ server: c.cluster }, c.size());
      },
    });
    new Gauge({
      name: 'argocd_cluster_api_resources',
      help: 'Number of monitored Kubernetes API resources.',
      labelNames: ['server'],
      registers: [registry],
      collect() {
        this.reset();
        for (const c of set) this.set({ server: c.cluster }, c.watchedKinds().length);
      },
    });
    new Gauge({
      name: 'argocd_cluster_cache_age_seconds',
      help: 'Cluster cache age in seconds.',
      labelNames: ['server'],
      registers: [registry],
      collect() {
        this.reset();
        for (const c of set) {
          const age = c.ageSeconds();
          if (age !== undefined) this.set({ server: c.cluster }, age);
        }
      },
    });
    new Counter({
      name: 'argocd_cluster_events_total',
      help: 'Number of processed k8s resource events.',
      labelNames: ['server', 'group', 'kind'],
      registers: [registry],
      collect() {
        this.reset();
        for (const c of set)
          for (const [g, kinds] of c.eventCounts())
            for (const [kind, n] of kinds) this.inc({ server: c.cluster, group: g, kind }, n);
      },
    });
  }
  caches.add(cache);
  const mine = caches;
  return () => {
    mine.delete(cache);
  };
}

/** An in-memory, watch-driven copy of a cluster's live objects. */
export class ClusterCache {
  readonly cluster: string;
  private readonly client: KubeClient;
  private readonly filter: ResourceFilterSet;
  private readonly namespaces: readonly string[];
  private readonly clusterResources: boolean;
  private readonly compactOpts: CompactOptions;
  private readonly instanceLabelKey: string;
  private readonly tuning: WatchTuning;
  private readonly log: KubeLog;
  private readonly now: () => number;
  private readonly sleep: Sleep | undefined;
  private readonly random: (() => number) | undefined;
  private readonly pool = new StringPool();

  private readonly objects = new Map<string, Entry>();
  private readonly byNs = new Map<string, Set<string>>();
  private readonly byOwner = new Map<string, Set<string>>();
  private readonly byUidIdx = new Map<string, string>();
  private readonly byAppIdx = new Map<string, Set<string>>();
  private readonly byInstanceIdx = new Map<string, Set<string>>();
  private readonly kinds = new Map<string, KindEntry>();
  private readonly handlers = new Set<ResourceUpdatedHandler>();
  private readonly events = new Map<string, Map<string, number>>();
  private bytes = 0;
  private stopped = false;
  private watchAll = false;
  private resources: ApiResources | undefined;
  private syncedAt: number | undefined;
  private kindResync: NodeJS.Timeout | undefined;
  private kindResyncRunning: Promise<void> | undefined;
  private readonly unregisterMetrics: (() => void) | undefined;

  constructor(options: ClusterCacheOptions) {
    this.client = options.client;
    this.cluster = options.cluster ?? options.client.server;
    this.filter = options.filter ?? new ResourceFilterSet();
    this.namespaces = [...new Set(options.namespaces ?? [])];
    this.clusterResources = options.clusterResources ?? this.namespaces.length === 0;
    this.compactOpts = {
      keepManagedFieldsOf: new Set(options.keepManagedFieldsOf ?? ['argocd-controller']),
      keepLastApplied: options.keepLastApplied ?? false,
    };
    this.instanceLabelKey = options.instanceLabelKey ?? Labels.instance;
    this.tuning = options.watch ?? {};
    this.log = options.log ?? silentLog;
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep;
    this.random = options.random;
    this.unregisterMetrics = options.metricsRegistry
      ? registerMetrics(options.metricsRegistry, this)
      : undefined;
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Follows every kind discovery reports (minus exclusions) and, from then on, new and removed
   * CRDs. Resolves when every kind has been listed once or has failed its first list (failures
   * keep retrying in the background and show in `stats()`).
   */
  async start(): Promise<void> {
    this.assertRunning();
    this.watchAll = true;
    this.resources = await this.client.apiResources();
    await this.syncKinds(this.resources);
  }

  /**
   * Follows one kind (in its preferred version unless `version` is given); resolves once it is
   * listed. Rejects with KubeCacheError when the kind is excluded, not served (CRD missing) or
   * cannot be listed and watched, and with the API error when the first list fails.
   */
  async ensureWatching(target: GroupKind & { version?: string }): Promise<void> {
    this.assertRunning();
    const key = gk(target.group, target.kind);
    const existing = this.kinds.get(key);
    if (existing) {
      existing.pinned = true;
      await Promise.all(existing.watches.map((w) => w.informer.waitForSync(true)));
      return;
    }
    if (this.filter.isExcluded(target.group, target.kind, this.cluster)) {
      throw new KubeCacheError(
        'ERR_KUBE_CACHE_EXCLUDED',
        `failed to watch ${describeGk(target)}: it is excluded by resource.exclusions/inclusions (or always excluded)`,
      );
    }
    const info = await this.findResource(target);
    this.assertRunning(); // stop() may have run meanwhile
    if (!isListWatchable(info)) {
      throw new KubeCacheError(
        'ERR_KUBE_CACHE_NOT_SERVED',
        `failed to watch ${describeGk(target)}: the server does not allow list and watch on ${info.resource}`,
      );
    }
    if (!info.namespaced && !this.clusterResources) {
      throw new KubeCacheError(
        'ERR_KUBE_CACHE_EXCLUDED',
        `failed to watch ${describeGk(target)}: it is cluster-scoped and this cluster is restricted to namespaces (clusterResources is false)`,
      );
    }
    const entry = this.kinds.get(key) ?? this.addKind(info);
    entry.pinned = true;
    await Promise.all(entry.watches.map((w) => w.informer.waitForSync(true)));
  }

  /** Stops following a kind and forgets its objects (emitting deletes). */
  async stopWatching(target: GroupKind): Promise<void> {
    const entry = this.kinds.get(gk(target.group, target.kind));
    if (entry) await this.removeKind(entry);
  }

  /** Stops every watch; the cache keeps its last contents but no longer changes. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.kindResync) clearTimeout(this.kindResync);
    await this.kindResyncRunning;
    const all = [...this.kinds.values()].flatMap((k) => k.watches);
    await Promise.all(all.map((w) => w.informer.stop()));
    this.unregisterMetrics?.();
  }

  /** Resolves when every followed kind has been listed at least once. */
  async waitForSync(): Promise<void> {
    const all = [...this.kinds.values()].flatMap((k) => k.watches);
    await Promise.all(all.map((w) => w.informer.waitForSync()));
  }

  /** Re-reads discovery and starts/stops kinds to match it (new or deleted CRDs). */
  async refreshKinds(): Promise<void> {
    this.assertRunning();
    const resources = await this.client.refreshDiscovery();
    this.resources = resources;
    if (this.watchAll) await this.syncKinds(resources);
    else {
      for (const entry of [...this.kinds.values()]) {
        if (!resources.preferred(entry.info.group, entry.info.kind)) await this.removeKind(entry);
      }
    }
  }

  // ---------------------------------------------------------------- queries

  onResourceUpdated(handler: ResourceUpdatedHandler): () => void {
    this.handlers.add(handler);
    return () => {
      this.handlers.delete(handler);
    };
  }

  get(key: ResourceKey): KubeObject | undefined {
    return this.objects.get(formatResourceKey(key))?.obj;
  }

  /** Objects, optionally of one kind and/or one namespace ('' = cluster-scoped). */
  list(query: { group?: string; kind?: string; namespace?: string } = {}): KubeObject[] {
    const out: KubeObject[] = [];
    const source =
      query.namespace !== undefined
        ? [...(this.byNs.get(query.namespace) ?? [])].map((ks) => this.objects.get(ks))
        : this.objects.values();
    for (const e of source) {
      if (!e) continue;
      if (query.kind !== undefined && e.obj.kind !== query.kind) continue;
      if (query.group !== undefined && groupOf(e.obj.apiVersion) !== query.group) continue;
      out.push(e.obj);
    }
    return out;
  }

  /** Every object in a namespace ('' = cluster-scoped objects). */
  byNamespace(namespace: string): KubeObject[] {
    return this.resolve(this.byNs.get(namespace));
  }

  /** Objects whose tracking id (`argocd.argoproj.io/tracking-id`) names this app and themselves. */
  byApp(appName: string): KubeObject[] {
    return this.resolve(this.byAppIdx.get(appName));
  }

  /** Objects whose instance label (`app.kubernetes.io/instance` by default) has this value. */
  byInstance(value: string): KubeObject[] {
    return this.resolve(this.byInstanceIdx.get(value));
  }

  /** Objects that name `ownerUid` in their ownerReferences (children in the resource tree). */
  children(ownerUid: string): KubeObject[] {
    return this.resolve(this.byOwner.get(ownerUid));
  }

  byUid(uid: string): KubeObject | undefined {
    const ks = this.byUidIdx.get(uid);
    return ks === undefined ? undefined : this.objects.get(ks)?.obj;
  }

  /** Whether a kind is namespaced, from the cache's last discovery; undefined when unknown. */
  isNamespaced(group: string, kind: string): boolean | undefined {
    return (
      this.kinds.get(gk(group, kind))?.info.namespaced ?? this.resources?.isNamespaced(group, kind)
    );
  }

  /** The kinds followed, with the version watched. */
  watchedKinds(): GroupVersionKind[] {
    return [...this.kinds.values()].map((k) => ({
      group: k.info.group,
      version: k.info.version,
      kind: k.info.kind,
    }));
  }

  isWatching(target: GroupKind): boolean {
    return this.kinds.has(gk(target.group, target.kind));
  }

  /** True when every followed kind has been listed at least once. */
  isSynced(): boolean {
    for (const k of this.kinds.values())
      for (const w of k.watches) if (!w.informer.synced) return false;
    return true;
  }

  size(): number {
    return this.objects.size;
  }

  /** Estimated heap bytes held by cached objects. */
  approximateBytes(): number {
    return this.bytes;
  }

  /** Seconds since the cache last finished a full sync (all kinds listed). */
  ageSeconds(): number | undefined {
    return this.syncedAt === undefined ? undefined : (this.now() - this.syncedAt) / 1000;
  }

  /** Events processed, by group then kind. */
  eventCounts(): ReadonlyMap<string, ReadonlyMap<string, number>> {
    return this.events;
  }

  stats(): ClusterCacheStats {
    const perWatch: CachedKindStats[] = [];
    let events = 0;
    let relists = 0;
    let restarts = 0;
    let watches = 0;
    for (const k of this.kinds.values()) {
      for (const w of k.watches) {
        const s = w.informer.stats();
        watches++;
        events += s.events;
        relists += s.relists;
        restarts += s.restarts;
        perWatch.push({
          ...s,
          group: k.info.group,
          version: k.info.version,
          kind: k.info.kind,
          ...(w.namespace !== undefined ? { namespace: w.namespace } : {}),
          objects: w.count,
        });
      }
    }
    return {
      cluster: this.cluster,
      objects: this.objects.size,
      approximateBytes: this.bytes,
      kinds: this.kinds.size,
      watches,
      synced: this.isSynced(),
      events,
      relists,
      restarts,
      perWatch,
    };
  }

  // ---------------------------------------------------------------- internals

  private assertRunning(): void {
    if (this.stopped)
      throw new KubeCacheError(
        'ERR_KUBE_CACHE_STOPPED',
        'failed to use the cluster cache: it was stopped',
      );
  }

  private resolve(keys: Set<string> | undefined): KubeObject[] {
    if (!keys) return [];
    const out: KubeObject[] = [];
    for (const ks of keys) {
      const e = this.objects.get(ks);
      if (e) out.push(e.obj);
    }
    return out;
  }

  private async findResource(target: GroupKind & { version?: string }): Promise<ApiResourceInfo> {
    const pick = (r: ApiResources): ApiResourceInfo | undefined =>
      target.version !== undefined
        ? r.get(target.group, target.version, target.kind)
        : r.preferred(target.group, target.kind);
    let resources = await this.client.apiResources();
    let info = pick(resources);
    // a CRD that was just created can take a moment to appear in discovery
    for (let attempt = 0; !info && attempt < 4; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 250 * attempt));
      resources = await this.client.refreshDiscovery();
      info = pick(resources);
    }
    this.resources = resources;
    if (!info) {
      throw new KubeCacheError(
        'ERR_KUBE_CACHE_NOT_SERVED',
        `failed to watch ${describeGk(target)}${target.version ? ` ${target.version}` : ''}: the server does not serve it; is its CRD installed?`,
      );
    }
    return info;
  }

  private wanted(resources: ApiResources): ApiResourceInfo[] {
    return resources
      .watchable()
      .filter((r) => !this.filter.isExcluded(r.group, r.kind, this.cluster))
      .filter((r) => r.namespaced || this.clusterResources);
  }

  private async syncKinds(resources: ApiResources): Promise<void> {
    const wanted = this.wanted(resources);
    const wantedKeys = new Set(wanted.map((r) => gk(r.group, r.kind)));
    for (const entry of [...this.kinds.values()]) {
      const key = gk(entry.info.group, entry.info.kind);
      const served = resources.preferred(entry.info.group, entry.info.kind);
      if (!served || (!wantedKeys.has(key) && !entry.pinned)) await this.removeKind(entry);
    }
    if (this.stopped) return;
    const added: KindEntry[] = [];
    for (const info of wanted) {
      if (!this.kinds.has(gk(info.group, info.kind))) added.push(this.addKind(info));
    }
    await Promise.all(
      added.flatMap((k) =>
        k.watches.map((w) => w.informer.waitForSync(true).catch(() => undefined)),
      ),
    );
    if (this.isSynced()) this.syncedAt = this.now();
  }

  private addKind(info: ApiResourceInfo): KindEntry {
    const apiVersion = this.pool.intern(
      info.group === '' ? info.version : `${info.group}/${info.version}`,
    );
    const namespaces: readonly (string | undefined)[] =
      info.namespaced && this.namespaces.length > 0 ? this.namespaces : [undefined];
    const entry: KindEntry = { info, watches: [], pinned: false };
    this.kinds.set(gk(info.group, info.kind), entry);
    for (const ns of namespaces) {
      const ref: ResourceRef = {
        group: info.group,
        version: info.version,
        resource: info.resource,
        ...(ns !== undefined ? { namespace: ns } : {}),
      };
      const holder: { w?: Watch } = {};
      const informer = new Informer({
        client: this.client,
        resource: ref,
        name: `${describeGk(info)}${ns !== undefined ? ` in ${ns}` : ''}`,
        handler: {
          listStart: () => {
            if (holder.w) holder.w.seen = new Set();
          },
          listItem: (obj) => {
            const w = holder.w;
            if (!w) return;
            const ks = this.upsert(w, obj);
            w.seen?.add(ks);
          },
          listEnd: () => {
            const w = holder.w;
            if (!w) return;
            const seen = w.seen ?? new Set<string>();
            w.seen = undefined;
            for (const ks of this.keysOf(w)) if (!seen.has(ks)) this.remove(w, ks);
            if (this.isSynced()) this.syncedAt = this.now();
          },
          event: (type, obj) => {
            const w = holder.w;
            if (!w) return;
            this.countEvent(info);
            if (type === 'DELETED') {
              this.remove(w, this.keyString(w, obj));
            } else {
              this.upsert(w, obj);
            }
            if (info.group === CRD_GROUP && info.kind === CRD_KIND) this.scheduleKindResync();
          },
          notServed: () => {
            const w = holder.w;
            if (!w) return;
            for (const ks of this.keysOf(w)) this.remove(w, ks);
          },
        },
        log: this.log,
        now: this.now,
        ...(this.sleep ? { sleep: this.sleep } : {}),
        ...(this.random ? { random: this.random } : {}),
        ...(this.tuning.timeoutSeconds !== undefined
          ? { watchTimeoutSeconds: this.tuning.timeoutSeconds }
          : {}),
        ...(this.tuning.stallTimeoutMs !== undefined
          ? { stallTimeoutMs: this.tuning.stallTimeoutMs }
          : {}),
        resyncIntervalMs: this.tuning.resyncIntervalMs ?? DEFAULT_RESYNC_MS,
        ...(this.tuning.pageSize !== undefined ? { pageSize: this.tuning.pageSize } : {}),
        ...(this.tuning.backoff !== undefined ? { backoff: this.tuning.backoff } : {}),
      });
      const w: Watch = { info, apiVersion, namespace: ns, informer, count: 0, seen: undefined };
      holder.w = w;
      entry.watches.push(w);
      informer.start();
    }
    return entry;
  }

  private async removeKind(entry: KindEntry): Promise<void> {
    this.kinds.delete(gk(entry.info.group, entry.info.kind));
    await Promise.all(entry.watches.map((w) => w.informer.stop()));
    for (const w of entry.watches) for (const ks of this.keysOf(w)) this.remove(w, ks);
  }

  /** Debounced re-discovery after CRD changes (watch-all mode). */
  private scheduleKindResync(): void {
    if (!this.watchAll || this.stopped) return;
    if (this.kindResync) clearTimeout(this.kindResync);
    this.kindResync = setTimeout(() => {
      this.kindResync = undefined;
      if (this.stopped) return;
      const run = (this.kindResyncRunning ?? Promise.resolve())
        .then(() => (this.stopped ? undefined : this.refreshKinds()))
        .catch((err: unknown) => {
          this.log('warn', 'failed to refresh the watched kinds after a CRD change', {
            cluster: this.cluster,
            error: errorMessage(err),
          });
        });
      this.kindResyncRunning = run;
    }, 500);
  }

  private countEvent(info: ApiResourceInfo): void {
    let kinds = this.events.get(info.group);
    if (!kinds) {
      kinds = new Map();
      this.events.set(info.group, kinds);
    }
    kinds.set(info.kind, (kinds.get(info.kind) ?? 0) + 1);
  }

  private keyString(w: Watch, obj: KubeObject): string {
    return formatResourceKey({
      group: w.info.group,
      kind: w.info.kind,
      namespace: obj.metadata.namespace ?? '',
      name: obj.metadata.name ?? '',
    });
  }

  /**
   * Keys of the objects a watch holds (computed: relists and removals are rare, and a per-watch
   * key set would cost memory on every object).
   */
  private keysOf(w: Watch): string[] {
    const out: string[] = [];
    const mine = (e: Entry | undefined): boolean =>
      e !== undefined && e.obj.kind === w.info.kind && e.obj.apiVersion === w.apiVersion;
    if (w.namespace !== undefined) {
      for (const ks of this.byNs.get(w.namespace) ?? [])
        if (mine(this.objects.get(ks))) out.push(ks);
    } else {
      for (const [ks, e] of this.objects) if (mine(e)) out.push(ks);
    }
    return out;
  }

  /** Stores a freshly parsed object; returns its key string. */
  private upsert(w: Watch, raw: KubeObject): string {
    const obj = compactObject(raw, this.compactOpts, this.pool, w.apiVersion, w.info.kind);
    const meta = obj.metadata;
    const key: ResourceKey = {
      group: w.info.group,
      kind: w.info.kind,
      namespace: meta.namespace ?? '',
      name: meta.name ?? '',
    };
    const ks = formatResourceKey(key);
    const old = this.objects.get(ks);
    if (old && old.obj.metadata.resourceVersion === meta.resourceVersion) return ks;
    if (old) this.unindex(ks, key, old);
    else w.count++;
    const entry: Entry = { obj, bytes: approximateSize(obj) };
    this.objects.set(ks, entry);
    this.index(ks, key, entry);
    this.emit(key, obj, old?.obj);
    return ks;
  }

  private remove(w: Watch, ks: string): void {
    const old = this.objects.get(ks);
    if (!old) return;
    w.count--;
    const key = resourceKeyOf(old.obj);
    this.objects.delete(ks);
    this.unindex(ks, key, old);
    this.emit(key, undefined, old.obj);
  }

  /** The app named by a tracking id, when the id describes this very object. */
  private appOf(key: ResourceKey, obj: KubeObject): string | undefined {
    const trackingId = obj.metadata.annotations?.[Annotations.trackingId];
    if (trackingId === undefined) return undefined;
    const t = parseTrackingId(trackingId);
    if (!t) return undefined;
    if (t.group !== key.group || t.kind !== key.kind || t.name !== key.name) return undefined;
    if (t.namespace !== key.namespace) return undefined;
    return t.appName;
  }

  private index(ks: string, key: ResourceKey, e: Entry): void {
    const meta = e.obj.metadata;
    this.bytes += e.bytes;
    addTo(this.byNs, key.namespace, ks);
    if (meta.uid !== undefined) this.byUidIdx.set(meta.uid, ks);
    for (const o of meta.ownerReferences ?? []) addTo(this.byOwner, o.uid, ks);
    addTo(this.byAppIdx, this.appOf(key, e.obj), ks);
    addTo(this.byInstanceIdx, meta.labels?.[this.instanceLabelKey], ks);
  }

  private unindex(ks: string, key: ResourceKey, e: Entry): void {
    const meta = e.obj.metadata;
    this.bytes -= e.bytes;
    removeFrom(this.byNs, key.namespace, ks);
    if (meta.uid !== undefined && this.byUidIdx.get(meta.uid) === ks)
      this.byUidIdx.delete(meta.uid);
    for (const o of meta.ownerReferences ?? []) removeFrom(this.byOwner, o.uid, ks);
    removeFrom(this.byAppIdx, this.appOf(key, e.obj), ks);
    removeFrom(this.byInstanceIdx, meta.labels?.[this.instanceLabelKey], ks);
  }

  private emit(
    key: ResourceKey,
    newObj: KubeObject | undefined,
    oldObj: KubeObject | undefined,
  ): void {
    for (const h of this.handlers) {
      try {
        h(key, newObj, oldObj);
      } catch (err) {
        this.log('error', 'a resource-updated handler threw', {
          cluster: this.cluster,
          error: errorMessage(err),
        });
      }
    }
  }
}

function describeGk(t: GroupKind): string {
  return t.group === '' ? t.kind : `${t.kind}.${t.group}`;
}
