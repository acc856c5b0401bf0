/**
 * A name-keyed copy of one collection in the control-plane namespace, fed by a src/kube `Informer`
 * (list, then watch; relist after 410 with exact differences). Writes made by this server are
 * applied at once through `observe` (read-your-writes on this replica); the watch event that
 * follows carries the same or a newer resourceVersion and is applied as usual.
 */
import type { ObjectMeta } from '../../apis/index.js';

/** Anything with Kubernetes object metadata. */
export interface CachedObject {
  readonly metadata: ObjectMeta;
}
import { Informer, type KubeClient, type KubeLog, type ResourceRef } from '../../kube/index.js';

export type CacheChange = 'added' | 'modified' | 'deleted';

export type CacheListener<T extends CachedObject> = (
  change: CacheChange,
  obj: T,
  old: T | undefined,
) => void;

/** resourceVersions are opaque strings; etcd's are integers, which we compare when both are. */
function isOlder(candidate: string | undefined, current: string | undefined): boolean {
  if (candidate === undefined || current === undefined) return false;
  if (!/^\d+$/.test(candidate) || !/^\d+$/.test(current)) return false;
  return BigInt(candidate) < BigInt(current);
}

export interface ObjectCacheOptions {
  readonly client: KubeClient;
  readonly resource: ResourceRef;
  readonly labelSelector?: string;
  readonly log?: KubeLog;
  readonly name: string;
}

export class ObjectCache<T extends CachedObject> {
  readonly #objects = new Map<string, T>();
  /** names deleted by this server whose watch event has not come yet */
  readonly #deletedRv = new Map<string, string | undefined>();
  readonly #listeners = new Set<CacheListener<T>>();
  readonly #informer: Informer;
  #listing: Set<string> | undefined;

  constructor(options: ObjectCacheOptions) {
    this.#informer = new Informer({
      client: options.client,
      resource: options.resource,
      name: options.name,
      ...(options.labelSelector !== undefined ? { labelSelector: options.labelSelector } : {}),
      ...(options.log !== undefined ? { log: options.log } : {}),
      backoff: { initialMs: 200, maxMs: 10_000 },
      handler: {
        listStart: () => {
          this.#listing = new Set();
          // a full list is the truth: pending deletions are settled by it
          this.#deletedRv.clear();
        },
        listItem: (obj) => {
          const name = obj.metadata.name ?? '';
          this.#listing?.add(name);
          this.#put(obj as unknown as T);
        },
        listEnd: () => {
          const seen = this.#listing ?? new Set();
          this.#listing = undefined;
          for (const [name, old] of [...this.#objects]) {
            if (!seen.has(name)) this.#remove(name, old);
          }
        },
        event: (type, obj) => {
          if (type === 'DELETED') {
            const name = obj.metadata.name ?? '';
            const old = this.#objects.get(name);
            this.#deletedRv.delete(name);
            if (old) this.#remove(name, old);
          } else {
            this.#put(obj as unknown as T);
          }
        },
        notServed: () => {
          for (const [name, old] of [...this.#objects]) this.#remove(name, old);
        },
      },
    });
  }

  start(): void {
    this.#informer.start();
  }

  /** Resolves after the first complete list (rejects at once when it fails, with its error). */
  waitForSync(): Promise<void> {
    return this.#informer.waitForSync(true);
  }

  get synced(): boolean {
    return this.#informer.synced;
  }

  stop(): Promise<void> {
    return this.#informer.stop();
  }

  get(name: string): T | undefined {
    return this.#objects.get(name);
  }

  list(): T[] {
    return [...this.#objects.values()];
  }

  get size(): number {
    return this.#objects.size;
  }

  onChange(listener: CacheListener<T>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Applies an object this server just wrote (create/update response), unless a newer one is held. */
  observe(obj: T): void {
    this.#put(obj);
  }

  /** Forgets an object this server just deleted (the watch event confirms it later). */
  observeDeleted(name: string): void {
    const old = this.#objects.get(name);
    if (!old) return;
    this.#deletedRv.set(name, old.metadata.resourceVersion);
    this.#remove(name, old);
  }

  #put(obj: T): void {
    const name = obj.metadata.name ?? '';
    const old = this.#objects.get(name);
    if (old && isOlder(obj.metadata.resourceVersion, old.metadata.resourceVersion)) return;
    if (this.#deletedRv.has(name)) {
      // an event about the version we deleted arriving late must not resurrect it
      const deleted = this.#deletedRv.get(name);
      if (!isOlder(deleted, obj.metadata.resourceVersion)) return;
      this.#deletedRv.delete(name);
    }
    if (
      old &&
      old.metadata.resourceVersion === obj.metadata.resourceVersion &&
      old.metadata.resourceVersion !== undefined
    )
      return;
    this.#objects.set(name, obj);
    this.#emit(old ? 'modified' : 'added', obj, old);
  }

  #remove(name: string, old: T): void {
    this.#objects.delete(name);
    this.#emit('deleted', old, old);
  }

  #emit(change: CacheChange, obj: T, old: T | undefined): void {
    for (const l of this.#listeners) l(change, obj, old);
  }
}
