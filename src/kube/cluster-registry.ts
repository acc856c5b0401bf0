/**
 * The clusters argocd-ts manages and one KubeClient + ClusterCache per cluster, created on first
 * use, replaced when the cluster's Secret changes and closed when it is deleted (≈ Argo CD's
 * `LiveStateCache` keyed by server). Cluster definitions come from `upsert`/`remove` or from
 * watching the cluster Secrets of the control-plane namespace (`watchSecrets`). The implicit
 * in-cluster cluster (`https://kubernetes.default.svc`) is listed unless disabled or overridden
 * by a Secret with the same server.
 */
import { createHash } from 'node:crypto';
import {
  IN_CLUSTER_SERVER,
  Labels,
  SecretTypes,
  clusterFromSecret,
  inClusterCluster,
  type Cluster,
  type KubeObject,
} from '../apis/index.js';
import { errorMessage } from '../lib/index.js';
import { KubeClient, type KubeClientOptions } from './client.js';
import { ClusterCache, type ClusterCacheOptions } from './cluster-cache.js';
import { connectionFromCluster } from './cluster-connection.js';
import { KubeConfigError } from './errors.js';
import { Informer } from './informer.js';
import type { KubeConnection } from './kubeconfig.js';
import { silentLog, type KubeLog } from './log.js';

export interface ClusterHandle {
  readonly cluster: Cluster;
  readonly client: KubeClient;
  readonly cache: ClusterCache;
}

export type ClusterChange = 'added' | 'updated' | 'removed';

export interface ClusterRegistryOptions {
  /** options of every cluster's client (QPS/burst, metrics registry, ...) */
  readonly clientOptions?: KubeClientOptions;
  /** cache options per cluster; `client`, `cluster` and the Secret's namespaces are filled in */
  readonly cacheOptions?: (cluster: Cluster) => Omit<ClusterCacheOptions, 'client'>;
  /** how a cluster becomes a connection (default `connectionFromCluster`) */
  readonly connect?: (cluster: Cluster) => KubeConnection;
  /** start each cache following every kind (`ClusterCache.start()`); default false: kinds on demand */
  readonly watchAll?: boolean;
  /** list the implicit in-cluster cluster (argocd-cm `cluster.inClusterEnabled`, default true) */
  readonly inClusterEnabled?: boolean;
  readonly onChange?: (server: string, change: ClusterChange) => void;
  readonly log?: KubeLog;
}

function fingerprint(cluster: Cluster): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        cluster.server,
        cluster.name,
        cluster.namespaces,
        cluster.clusterResources,
        cluster.config,
      ]),
    )
    .digest('hex');
}

interface Slot {
  cluster: Cluster;
  print: string;
  handle?: Promise<ClusterHandle>;
}

/** One client and cache per managed cluster. */
export class ClusterRegistry {
  private readonly o: ClusterRegistryOptions;
  private readonly log: KubeLog;
  private readonly slots = new Map<string, Slot>();
  /** Secret name → server, for Secrets watched by `watchSecrets` */
  private readonly fromSecrets = new Map<string, string>();
  private readonly informers: Informer[] = [];
  private closed = false;

  constructor(options: ClusterRegistryOptions = {}) {
    this.o = options;
    this.log = options.log ?? silentLog;
  }

  /** Every known cluster, the implicit in-cluster one included when enabled. */
  list(): Cluster[] {
    const out = [...this.slots.values()].map((s) => s.cluster);
    if (this.o.inClusterEnabled !== false && !this.slots.has(IN_CLUSTER_SERVER))
      out.push(inClusterCluster());
    return out;
  }

  get(server: string): Cluster | undefined {
    const s = this.slots.get(server.replace(/\/+$/, ''));
    if (s) return s.cluster;
    if (server === IN_CLUSTER_SERVER && this.o.inClusterEnabled !== false)
      return inClusterCluster();
    return undefined;
  }

  getByName(name: string): Cluster | undefined {
    return this.list().find((c) => c.name === name);
  }

  /** Adds or changes a cluster; a changed cluster's client and cache are closed and rebuilt on next use. */
  upsert(cluster: Cluster): void {
    const server = cluster.server.replace(/\/+$/, '');
    const print = fingerprint(cluster);
    const slot = this.slots.get(server);
    if (slot && slot.print === print) {
      slot.cluster = cluster;
      return;
    }
    const old = slot?.handle;
    this.slots.set(server, { cluster, print });
    if (old) void this.closeHandle(server, old);
    this.o.onChange?.(server, slot ? 'updated' : 'added');
  }

  /** Forgets a cluster and closes its client and cache. */
  async remove(server: string): Promise<void> {
    const key = server.replace(/\/+$/, '');
    const slot = this.slots.get(key);
    if (!slot) return;
    this.slots.delete(key);
    if (slot.handle) await this.closeHandle(key, slot.handle);
    this.o.onChange?.(key, 'removed');
  }

  /** The client and cache of a cluster, created on first use. */
  async acquire(server: string): Promise<ClusterHandle> {
    if (this.closed) throw new TypeError('the cluster registry is closed');
    const key = server.replace(/\/+$/, '');
    let slot = this.slots.get(key);
    if (!slot) {
      const implicit = this.get(key);
      if (!implicit) {
        throw new KubeConfigError(
          `failed to connect to cluster ${key}: no cluster Secret names this server`,
        );
      }
      slot = { cluster: implicit, print: fingerprint(implicit) };
      this.slots.set(key, slot);
    }
    const s = slot;
    if (!s.handle) {
      const creating = this.create(s.cluster);
      s.handle = creating;
      creating.catch(() => {
        if (s.handle === creating) delete s.handle;
      });
    }
    return s.handle;
  }

  /** The handle when one exists already (no connection is made). */
  async peek(server: string): Promise<ClusterHandle | undefined> {
    return this.slots.get(server.replace(/\/+$/, ''))?.handle;
  }

  private async create(cluster: Cluster): Promise<ClusterHandle> {
    const conn = (this.o.connect ?? connectionFromCluster)(cluster);
    const client = new KubeClient(conn, this.o.clientOptions);
    const extra = this.o.cacheOptions?.(cluster) ?? {};
    const cache = new ClusterCache({
      ...(cluster.namespaces.length > 0
        ? { namespaces: cluster.namespaces, clusterResources: cluster.clusterResources }
        : {}),
      ...(this.o.log ? { log: this.o.log } : {}),
      ...extra,
      client,
      cluster: cluster.server,
    });
    if (this.o.watchAll) {
      try {
        await cache.start();
      } catch (err) {
        await cache.stop();
        client.close();
        throw err;
      }
    }
    if (this.closed) {
      // close() ran while this cluster was connecting: do not leak its watches
      await cache.stop();
      client.close();
      throw new TypeError('the cluster registry is closed');
    }
    return { cluster, client, cache };
  }

  private async closeHandle(server: string, handle: Promise<ClusterHandle>): Promise<void> {
    try {
      const h = await handle;
      await h.cache.stop();
      h.client.close();
    } catch (err) {
      this.log('debug', 'closing a cluster that never connected', {
        server,
        error: errorMessage(err),
      });
    }
  }

  private upsertFromSecret(secret: KubeObject): void {
    const name = secret.metadata.name ?? '';
    let cluster: Cluster;
    try {
      cluster = clusterFromSecret(secret);
    } catch (err) {
      this.log('warn', 'ignoring an invalid cluster secret', {
        secret: name,
        error: errorMessage(err),
      });
      void this.removeSecret(name);
      return;
    }
    const previous = this.fromSecrets.get(name);
    if (previous !== undefined && previous !== cluster.server) void this.remove(previous);
    this.fromSecrets.set(name, cluster.server);
    this.upsert(cluster);
  }

  private async removeSecret(name: string): Promise<void> {
    const server = this.fromSecrets.get(name);
    if (server === undefined) return;
    this.fromSecrets.delete(name);
    await this.remove(server);
  }

  /**
   * Follows the cluster Secrets (`argocd.argoproj.io/secret-type=cluster`) of a namespace with
   * `client` (the control plane's own); resolves once they have been listed.
   */
  async watchSecrets(client: KubeClient, namespace: string): Promise<void> {
    let seen: Set<string> | undefined;
    const informer = new Informer({
      client,
      resource: { group: '', version: 'v1', resource: 'secrets', namespace },
      labelSelector: `${Labels.secretType}=${SecretTypes.cluster}`,
      name: `cluster secrets in ${namespace}`,
      log: this.log,
      handler: {
        listStart: () => {
          seen = new Set();
        },
        listItem: (obj) => {
          seen?.add(obj.metadata.name ?? '');
          this.upsertFromSecret(obj);
        },
        listEnd: () => {
          const keep = seen ?? new Set<string>();
          seen = undefined;
          for (const name of [...this.fromSecrets.keys()])
            if (!keep.has(name)) void this.removeSecret(name);
        },
        event: (type, obj) => {
          if (type === 'DELETED') void this.removeSecret(obj.metadata.name ?? '');
          else this.upsertFromSecret(obj);
        },
      },
    });
    this.informers.push(informer);
    informer.start();
    await informer.waitForSync(true);
  }

  /** Stops the Secret watches and every cluster's cache and client. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.informers.splice(0).map((i) => i.stop()));
    const slots = [...this.slots.entries()];
    this.slots.clear();
    await Promise.all(
      slots.map(([server, s]) =>
        s.handle ? this.closeHandle(server, s.handle) : Promise.resolve(),
      ),
    );
  }
}
