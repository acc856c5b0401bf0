/**
 * The API server's own, read-only view of destination clusters (Argo CD's server reads the
 * controller's cache through Redis; argocd-ts has no shared cache, so the server keeps one):
 *
 * - one `ClusterRegistry` of src/kube: a client and a `ClusterCache` per cluster Secret (plus the
 *   in-cluster destination, reached with the server's own connection), created on the first
 *   request that needs the cluster, rebuilt when its Secret changes, closed when it is deleted;
 * - kinds are watched on demand only: the kinds an app manages (`status.resources`, and the desired
 *   manifests for managed-resources) plus the kinds that usually hang below them in a resource tree
 *   (ReplicaSet, Pod, Endpoints, EndpointSlice, ControllerRevision, Job, PersistentVolumeClaim).
 *   Memory therefore grows with the kinds apps use, not with everything the cluster serves; a kind
 *   the cluster does not serve, or that `resource.exclusions` excludes, is skipped. An app whose
 *   project sets `orphanedResources` makes the cache follow every kind (as the controller does),
 *   and its tree lists the orphaned objects of its destination namespace in `orphanedNodes`.
 *
 * Objects come from the cache (shared, read-only); responses that carry objects mask Secrets.
 */
import {
  IN_CLUSTER_NAME,
  IN_CLUSTER_SERVER,
  SecretTypes,
  clusterFromSecret,
  type ApplicationDestination,
  type AppProject,
  type ApplicationTree,
  type Cluster,
  type KubeObject,
} from '../../apis/index.js';
import {
  appInstanceName,
  buildResourceTree,
  carriesTracking,
  findOrphanedResources,
  installationOf,
} from '../../engine/index.js';
import {
  ClusterRegistry,
  ResourceFilterSet,
  connectionFromCluster,
  type ClusterHandle,
  type GroupKind,
} from '../../kube/index.js';
import { errorMessage } from '../../lib/index.js';
import { ApiError } from '../errors.js';
import { kubeLogger } from '../logging.js';
import type { ServiceDeps } from '../service.js';
import type { ResolvedApplicationsOptions } from './options.js';
import type { StoredApplication } from './types.js';

/** Kinds that usually appear below managed objects in a resource tree. */
export const CHILD_KINDS: readonly GroupKind[] = [
  { group: 'apps', kind: 'ReplicaSet' },
  { group: '', kind: 'Pod' },
  { group: 'apps', kind: 'ControllerRevision' },
  { group: '', kind: 'Endpoints' },
  { group: 'discovery.k8s.io', kind: 'EndpointSlice' },
  { group: 'batch', kind: 'Job' },
  { group: '', kind: 'PersistentVolumeClaim' },
];

/** A destination with both server and (when known) name resolved. */
export interface ResolvedCluster {
  readonly server: string;
  readonly name: string | undefined;
  readonly namespace: string;
}

function gkKey(g: GroupKind): string {
  return `${g.group}/${g.kind}`;
}

export class LiveState {
  readonly #deps: ServiceDeps;
  readonly #options: ResolvedApplicationsOptions;
  #registry: ClusterRegistry | undefined;
  /** per cluster handle (a rebuilt cluster starts afresh): kinds asked for, in progress or done */
  readonly #kinds = new WeakMap<ClusterHandle, Map<string, Promise<void>>>();
  /** caches asked to follow every kind (an app's project watches orphaned resources) */
  readonly #followingAll = new WeakMap<ClusterHandle, Promise<void>>();
  #syncedCredentials = -1;
  #credentialsVersion = 0;
  readonly #onStoreChange: (what: string) => void;
  #closed = false;

  constructor(deps: ServiceDeps, options: ResolvedApplicationsOptions) {
    this.#deps = deps;
    this.#options = options;
    this.#onStoreChange = (what) => {
      if (what === 'credentials' || what === 'argocd-cm') this.#credentialsVersion++;
    };
    deps.store.on('change', this.#onStoreChange);
  }

  /** Clusters from the cluster Secrets of the namespace (the in-cluster one when enabled). */
  clusters(): Cluster[] {
    const out: Cluster[] = [];
    for (const s of this.#deps.store.secretsOfType(SecretTypes.cluster)) {
      try {
        out.push(clusterFromSecret(s));
      } catch (err) {
        this.#deps.log.warn(
          { secret: s.metadata.name, err: errorMessage(err) },
          'ignoring an invalid cluster secret',
        );
      }
    }
    if (
      this.#deps.store.settings().inClusterEnabled &&
      !out.some((c) => c.server === IN_CLUSTER_SERVER)
    )
      out.push({
        name: IN_CLUSTER_NAME,
        server: IN_CLUSTER_SERVER,
        namespaces: [],
        clusterResources: true,
        config: {},
      });
    return out;
  }

  /**
   * Resolves `spec.destination` to a known cluster (by server or by name); throws a 400 that
   * names the missing cluster.
   */
  resolveDestination(dest: ApplicationDestination, what = 'application'): ResolvedCluster {
    const clusters = this.clusters();
    const namespace = dest.namespace ?? '';
    if (dest.name !== undefined && dest.name !== '') {
      if (dest.server !== undefined && dest.server !== '')
        throw new ApiError(
          'ERR_API_INVALID_ARGUMENT',
          `failed to validate ${what}: spec.destination sets both server and name; set only one`,
        );
      const c = clusters.find((x) => x.name === dest.name);
      if (!c)
        throw new ApiError(
          'ERR_API_INVALID_ARGUMENT',
          `failed to validate ${what}: there is no cluster named "${dest.name}" (add it with a cluster Secret)`,
        );
      return { server: c.server, name: c.name, namespace };
    }
    const server = (dest.server ?? '').replace(/\/+$/, '');
    if (server === '')
      throw new ApiError(
        'ERR_API_INVALID_ARGUMENT',
        `failed to validate ${what}: spec.destination needs a server or a name`,
      );
    const c = clusters.find((x) => x.server === server);
    if (!c)
      throw new ApiError(
        'ERR_API_INVALID_ARGUMENT',
        `failed to validate ${what}: cluster ${server} is not configured (add it with a cluster Secret${server === IN_CLUSTER_SERVER ? ', or enable cluster.inClusterEnabled' : ''})`,
      );
    return { server: c.server, name: c.name, namespace };
  }

  #registryNow(): ClusterRegistry {
    if (this.#closed) throw new ApiError('ERR_API_UNAVAILABLE', 'the server is shutting down');
    if (!this.#registry) {
      const deps = this.#deps;
      const own = this.#options.inClusterConnection === 'server' ? deps.kube.connection : undefined;
      this.#registry = new ClusterRegistry({
        log: kubeLogger(deps.log),
        inClusterEnabled: false,
        connect: (c) => connectionFromCluster(c, { inCluster: () => own }),
        cacheOptions: () => {
          const s = deps.store.settings();
          return {
            filter: ResourceFilterSet.fromSettings(s),
            instanceLabelKey: s.instanceLabelKey,
            // the server reads; nothing is applied, so no managed fields beyond the controller's
            keepManagedFieldsOf: ['argocd-controller'],
          };
        },
      });
    }
    const registry = this.#registry;
    if (this.#syncedCredentials !== this.#credentialsVersion) {
      this.#syncedCredentials = this.#credentialsVersion;
      const wanted = this.clusters();
      const servers = new Set(wanted.map((c) => c.server));
      for (const c of registry.list()) if (!servers.has(c.server)) void registry.remove(c.server);
      for (const c of wanted) registry.upsert(c);
    }
    return registry;
  }

  /** The client and cache of a destination cluster (connects on first use). */
  async cluster(server: string): Promise<ClusterHandle> {
    try {
      return await this.#registryNow().acquire(server);
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw new ApiError(
        'ERR_API_UNAVAILABLE',
        `failed to reach cluster ${server}: ${errorMessage(err)}`,
        { cause: err },
      );
    }
  }

  /** Makes the cluster's cache follow `kinds` (errors for kinds not served are logged, not thrown). */
  async ensureKinds(
    server: string,
    handle: ClusterHandle,
    kinds: readonly GroupKind[],
  ): Promise<void> {
    let known = this.#kinds.get(handle);
    if (!known) {
      known = new Map();
      this.#kinds.set(handle, known);
    }
    const waits: Promise<void>[] = [];
    for (const gk of kinds) {
      const key = gkKey(gk);
      let p = known.get(key);
      if (!p) {
        p = handle.cache.ensureWatching(gk).catch((err: unknown) => {
          this.#deps.log.debug(
            { server, kind: key, err: errorMessage(err) },
            'not watching a kind for the resource tree',
          );
        });
        known.set(key, p);
      }
      waits.push(p);
    }
    await Promise.all(waits);
  }

  /** The instance name the app's objects are tracked by. */
  instanceName(app: StoredApplication): string {
    return appInstanceName(
      { name: app.metadata.name ?? '', namespace: app.metadata.namespace },
      this.#deps.namespace,
    );
  }

  /** Kinds the app manages according to its status (and the usual children). */
  kindsOf(app: StoredApplication, extra: readonly GroupKind[] = []): GroupKind[] {
    const seen = new Map<string, GroupKind>();
    for (const r of app.status?.resources ?? [])
      if (r.kind !== undefined)
        seen.set(gkKey({ group: r.group ?? '', kind: r.kind }), {
          group: r.group ?? '',
          kind: r.kind,
        });
    for (const k of [...extra, ...CHILD_KINDS]) seen.set(gkKey(k), k);
    return [...seen.values()];
  }

  /** Live objects the app manages (by its tracking method), from a cache that follows their kinds. */
  managedObjects(handle: ClusterHandle, app: StoredApplication): KubeObject[] {
    const s = this.#deps.store.settings();
    const instance = this.instanceName(app);
    const tracked =
      s.trackingMethod === 'label'
        ? handle.cache.byInstance(instance)
        : handle.cache.byApp(instance);
    // an app of the same name in another installation (argocd-cm installationID) is not this one
    return tracked.filter((o) => installationOf(o) === s.installationId);
  }

  /** Everything needed to read an app's live state: its cluster handle, watching its kinds. */
  async forApp(
    app: StoredApplication,
    extraKinds: readonly GroupKind[] = [],
  ): Promise<{ handle: ClusterHandle; cluster: ResolvedCluster }> {
    const cluster = this.resolveDestination(app.spec.destination);
    const handle = await this.cluster(cluster.server);
    await this.ensureKinds(cluster.server, handle, this.kindsOf(app, extraKinds));
    if (this.#orphanedRuleOf(app)) await this.#followAllKinds(cluster.server, handle);
    return { handle, cluster };
  }

  /** The app's resource tree (engine `buildResourceTree` over the live objects). */
  async tree(app: StoredApplication): Promise<ApplicationTree> {
    const { handle } = await this.forApp(app);
    return this.treeFrom(handle, app);
  }

  /** The tree from a cache that already follows the app's kinds (synchronous). */
  treeFrom(handle: ClusterHandle, app: StoredApplication): ApplicationTree {
    const managed = this.managedObjects(handle, app);
    return buildResourceTree({
      managed,
      children: (uid) => handle.cache.children(uid),
      orphaned: this.#orphanedObjects(handle, app, managed),
    });
  }

  /** The app's project when it watches orphaned resources and the app has a namespace. */
  #orphanedRuleOf(app: StoredApplication): AppProject | undefined {
    if ((app.spec.destination.namespace ?? '') === '') return undefined;
    const project = this.#deps.store.project(app.spec.project);
    return project?.spec.orphanedResources ? project : undefined;
  }

  /**
   * The orphaned objects of the app's destination namespace (engine `findOrphanedResources`):
   * empty unless its project sets `orphanedResources` (as in Argo CD, whether or not it warns).
   */
  #orphanedObjects(
    handle: ClusterHandle,
    app: StoredApplication,
    managed: readonly KubeObject[],
  ): KubeObject[] {
    const project = this.#orphanedRuleOf(app);
    const namespace = app.spec.destination.namespace ?? '';
    if (!project || namespace === '') return [];
    const s = this.#deps.store.settings();
    const tracking = { method: s.trackingMethod, labelKey: s.instanceLabelKey };
    return findOrphanedResources({
      project,
      live: handle.cache.byNamespace(namespace),
      managed: new Set(managed),
      isTracked: (o) => carriesTracking(o, tracking),
    }).map((r) => r.object);
  }

  /** Makes the cache follow every kind once (failures are logged; the tree then lacks orphans). */
  async #followAllKinds(server: string, handle: ClusterHandle): Promise<void> {
    let p = this.#followingAll.get(handle);
    if (!p) {
      p = handle.cache.start().catch((err: unknown) => {
        this.#followingAll.delete(handle);
        this.#deps.log.warn(
          { server, err: errorMessage(err) },
          'cannot follow every kind for orphaned resources',
        );
      });
      this.#followingAll.set(handle, p);
    }
    await p;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#deps.store.off('change', this.#onStoreChange);
    await this.#registry?.close();
  }
}
