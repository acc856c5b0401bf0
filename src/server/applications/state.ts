/**
 * What the applications, stream and webhook services share, once per API server:
 *
 * - ONE watch cache of the Applications (and one of the ApplicationSets) in the control-plane
 *   namespace. Every read of the API (list, get, RBAC lookups) is a synchronous snapshot of it,
 *   and every stream subscribes to it: N watchers cost N listener calls per change, never N API
 *   watches. Writes of this server are applied at once (`observe`), so a client reads its writes.
 * - the live state of destination clusters (live.ts), created on first use.
 *
 * `appStateFor(deps, routes)` creates it with the first service that asks and stops it when the
 * server closes.
 */
import { API_GROUP, API_VERSION, Resources } from '../../apis/index.js';
import { kubeLogger } from '../logging.js';
import type { ApiRoutes, ServiceDeps } from '../service.js';
import { ObjectCache } from '../state/object-cache.js';
import { LiveState } from './live.js';
import { resolveApplicationsOptions, type ResolvedApplicationsOptions } from './options.js';
import type { StoredApplication, StoredApplicationSet } from './types.js';

export type { StoredApplication, StoredApplicationSet } from './types.js';

export const APPLICATIONS = {
  group: API_GROUP,
  version: API_VERSION,
  resource: Resources.applications,
} as const;
export const APPLICATIONSETS = {
  group: API_GROUP,
  version: API_VERSION,
  resource: Resources.applicationsets,
} as const;

export class AppState {
  readonly deps: ServiceDeps;
  readonly namespace: string;
  readonly options: ResolvedApplicationsOptions;
  readonly apps: ObjectCache<StoredApplication>;
  readonly appsets: ObjectCache<StoredApplicationSet>;
  readonly live: LiveState;
  readonly #appsSynced: Promise<void>;
  #appsetsSynced: Promise<boolean> | undefined;
  #stopped = false;
  #sorted: string[] | undefined;
  #latest = '0';

  constructor(deps: ServiceDeps) {
    this.deps = deps;
    this.namespace = deps.namespace;
    this.options = resolveApplicationsOptions(deps.options.applications);
    const log = kubeLogger(deps.log);
    this.apps = new ObjectCache<StoredApplication>({
      client: deps.kube,
      resource: { ...APPLICATIONS, namespace: deps.namespace },
      name: `applications in ${deps.namespace}`,
      log,
    });
    this.appsets = new ObjectCache<StoredApplicationSet>({
      client: deps.kube,
      resource: { ...APPLICATIONSETS, namespace: deps.namespace },
      name: `applicationsets in ${deps.namespace}`,
      log,
    });
    this.live = new LiveState(deps, this.options);
    this.apps.onChange((change, obj) => {
      if (change !== 'modified') this.#sorted = undefined;
      const rv = obj.metadata.resourceVersion;
      if (
        rv !== undefined &&
        /^\d+$/.test(rv) &&
        (rv.length > this.#latest.length ||
          (rv.length === this.#latest.length && rv > this.#latest))
      )
        this.#latest = rv;
    });
    this.apps.start();
    // the first list is awaited by the first request; a failure is retried by the informer
    this.#appsSynced = this.apps.waitForSync();
    this.#appsSynced.catch(() => undefined);
  }

  /** Resolves once the Applications have been listed (at once afterwards). */
  appsReady(): Promise<void> {
    return this.#appsSynced;
  }

  /**
   * Resolves true once the ApplicationSets have been listed, false when the kind is not served
   * (its CRD is not installed): the list is then empty.
   */
  appsetsReady(): Promise<boolean> {
    if (!this.#appsetsSynced) {
      this.appsets.start();
      this.#appsetsSynced = this.appsets.waitForSync().then(
        () => true,
        () => false,
      );
    }
    return this.#appsetsSynced.then((ok) => ok || this.appsets.synced);
  }

  /** Names of every cached app, sorted (recomputed only after adds and deletes). */
  sortedNames(): readonly string[] {
    this.#sorted ??= this.apps
      .list()
      .map((a) => a.metadata.name ?? '')
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return this.#sorted;
  }

  /**
   * The highest resourceVersion the cache has seen (the list's `metadata.resourceVersion`, from
   * which a client starts its watch).
   */
  latestVersion(): string {
    return this.#latest;
  }

  /** The app named `name`, from the cache. */
  app(name: string): StoredApplication | undefined {
    return this.apps.get(name);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await Promise.all([this.apps.stop(), this.appsets.stop(), this.live.close()]);
  }
}

const states = new WeakMap<ServiceDeps, AppState>();

/**
 * The shared state of the server `deps` belongs to (created on first call). It stops when the
 * server closes (fastify's onClose, awaited by `close()`).
 */
export function appStateFor(deps: ServiceDeps, routes: ApiRoutes): AppState {
  let s = states.get(deps);
  if (!s) {
    const state = new AppState(deps);
    states.set(deps, state);
    routes.fastify.addHook('onClose', async () => {
      await state.stop();
    });
    s = state;
  }
  return s;
}
