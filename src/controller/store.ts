/**
 * A watch-driven, in-memory copy of one collection of the control-plane namespace (Applications,
 * AppProjects, repository Secrets, a ConfigMap), built on `src/kube` `Informer`: list once, then
 * watch, relist on 410 with exact add/update/delete callbacks. Objects that fail `decode` are left
 * out and reported through `onInvalid` (a malformed Application never stops the others).
 */
import type { KubeObject } from '../apis/index.js';
import { Informer, type KubeClient, type KubeLog, type ResourceRef } from '../kube/index.js';

export type StoreEvent = 'added' | 'updated' | 'deleted';

export interface ObjectStoreOptions<T> {
  readonly client: KubeClient;
  readonly resource: ResourceRef;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** narrows an untrusted object; throws when it is invalid */
  readonly decode: (obj: KubeObject) => T;
  readonly onInvalid?: (obj: KubeObject, err: unknown) => void;
  readonly log?: KubeLog;
  readonly name?: string;
}

type Handler<T> = (event: StoreEvent, obj: T, old: T | undefined) => void;

/** Objects by name (one namespace) with change callbacks. */
export class ObjectStore<T extends { metadata: { name?: string; resourceVersion?: string } }> {
  private readonly items = new Map<string, T>();
  private readonly handlers = new Set<Handler<T>>();
  private readonly informer: Informer;
  private seen: Set<string> | undefined;

  private readonly o: ObjectStoreOptions<T>;

  constructor(o: ObjectStoreOptions<T>) {
    this.o = o;
    this.informer = new Informer({
      client: o.client,
      resource: o.resource,
      ...(o.labelSelector ? { labelSelector: o.labelSelector } : {}),
      ...(o.fieldSelector ? { fieldSelector: o.fieldSelector } : {}),
      ...(o.log ? { log: o.log } : {}),
      name: o.name ?? o.resource.resource,
      handler: {
        listStart: () => {
          this.seen = new Set();
        },
        listItem: (obj) => {
          this.seen?.add(obj.metadata.name ?? '');
          this.upsert(obj);
        },
        listEnd: () => {
          const keep = this.seen ?? new Set<string>();
          this.seen = undefined;
          for (const [name, old] of [...this.items.entries()])
            if (!keep.has(name)) {
              this.items.delete(name);
              this.emit('deleted', old, old);
            }
        },
        event: (type, obj) => {
          if (type === 'DELETED') {
            const name = obj.metadata.name ?? '';
            const old = this.items.get(name);
            if (old) {
              this.items.delete(name);
              this.emit('deleted', old, old);
            }
          } else this.upsert(obj);
        },
      },
    });
  }

  /** Starts the watch; resolves once the first list is complete. */
  async start(): Promise<void> {
    this.informer.start();
    await this.informer.waitForSync(true);
  }

  async stop(): Promise<void> {
    await this.informer.stop();
  }

  get(name: string): T | undefined {
    return this.items.get(name);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  get size(): number {
    return this.items.size;
  }

  /** Calls `fn` for each change; returns the unsubscribe function. */
  onChange(fn: Handler<T>): () => void {
    this.handlers.add(fn);
    return () => this.handlers.delete(fn);
  }

  /**
   * Records an object the controller just wrote (the API server's answer), so the next reconcile
   * sees it even before the watch event arrives; an older resourceVersion never replaces a newer.
   */
  observe(obj: KubeObject): void {
    this.upsert(obj);
  }

  private upsert(raw: KubeObject): void {
    let obj: T;
    try {
      obj = this.o.decode(raw);
    } catch (err) {
      this.o.onInvalid?.(raw, err);
      return;
    }
    const name = obj.metadata.name ?? '';
    const old = this.items.get(name);
    if (old && !isNewer(obj.metadata.resourceVersion, old.metadata.resourceVersion)) return;
    this.items.set(name, obj);
    this.emit(old ? 'updated' : 'added', obj, old);
  }

  private emit(event: StoreEvent, obj: T, old: T | undefined): void {
    for (const h of this.handlers) h(event, obj, old);
  }
}

/** resourceVersions are opaque but etcd's are integers; compare them when both are. */
function isNewer(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return true;
  if (a === b) return false;
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(a) > BigInt(b);
  return true;
}
