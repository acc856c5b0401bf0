/**
 * The application controller (≈ Argo CD `controller/appcontroller.go`): watches Applications and
 * AppProjects of its namespace, the settings and credential Secrets, and the live state of the
 * clusters it owns; refreshes apps through the refresh queue and runs operations (sync, deletion)
 * through the operation queue. See docs/controller.md for the full behaviour.
 *
 * Reconcile contract (conventions E.6): a queue key is an app name only; the refresh is a list of
 * ordered sub-steps that fill a `RefreshState`; steps never write conditions or status themselves;
 * one summarise-and-patch step writes the status once, as a merge patch of the fields the refresh
 * owns, and only when something changed. Operations own `status.operationState` and
 * `status.history` and write them the same way, so the two queues never overwrite each other.
 */
import type { Registry } from 'prom-client';
import {
  API_GROUP,
  API_VERSION,
  Annotations,
  ApplicationSchema,
  AppProjectSchema,
  ConfigNames,
  Finalizers,
  IN_CLUSTER_SERVER,
  Labels,
  SecretTypes,
  getSources,
  validate,
  type AppProject,
  type Application,
  type ApplicationCondition,
  type ApplicationSource,
  type ApplicationSpec,
  type ApplicationStatus,
  type Cluster,
  type ConfigMap,
  type KubeObject,
  type Operation,
  type OperationState,
} from '../apis/index.js';
import {
  appInstanceName,
  carriesTracking,
  compareAppState,
  compileIgnoreDifferences,
  createCompareCache,
  findOrphanedResources,
  getAppInstance,
  planCascadeDeletion,
  prepareDesired,
  type CompareResult,
  type DesiredState,
  type TrackingOptions,
} from '../engine/index.js';
import {
  ClusterRegistry,
  EventRecorder,
  EventReasons,
  KubeApplier,
  connectionFromCluster,
  isConflict,
  isNotFound,
  parseTrackingId,
  silentLog,
  withSsaDefaults,
  type ClusterCacheOptions,
  type ClusterHandle,
  type KubeClient,
  type KubeClientOptions,
  type KubeConnection,
  type KubeLog,
} from '../kube/index.js';
import { errorMessage } from '../lib/index.js';
import type { RepoServerClient } from '../reposerver/client.js';
import {
  DEFAULT_SELF_HEAL_BACKOFF,
  decideAutoSync,
  retryDelayMs,
  type SelfHealBackoff,
} from './autosync.js';
import { appendHistory, isoSeconds, mergeConditions } from './conditions.js';
import { ControllerError } from './errors.js';
import { ManifestSource } from './manifests.js';
import { registerControllerMetrics, type ControllerMetrics } from './metrics.js';
import {
  checkApplicationSpec,
  checkResources,
  type ProjectViolation,
  type ResolvedDestination,
} from '../engine/index.js';
import { WorkQueue, runWorkers } from './queue.js';
import {
  DEFAULT_RECONCILED_AT_MAX_AGE_MS,
  REFRESH_LEVEL_ORDER,
  maxRefreshLevel,
  reconciledAtDue,
  repoErrorAction,
  type RefreshLevel,
} from './refresh-policy.js';
import { RepoCredentials } from './repo-creds.js';
import { shardForCluster, type ShardingAlgorithm } from './sharding.js';
import { controllerSettings, type ControllerSettings } from './settings.js';
import { jsonEqual, mergePatch } from './status-patch.js';
import { ObjectStore } from './store.js';
import { SyncRunner, type SyncStepResult } from './sync-runner.js';

export type { RefreshLevel } from './refresh-policy.js';

export interface ApplicationControllerOptions {
  /** the control-plane namespace (Applications, AppProjects, Secrets, ConfigMaps) */
  readonly namespace: string;
  /** the control plane's own client */
  readonly client: KubeClient;
  /**
   * the client the audit Events are written with (default `client`). Argo CD records Events through
   * a clientset of its own, so they have their own rate limiter and a burst of Events never delays
   * the Application writes that operations wait for.
   */
  readonly eventClient?: KubeClient;
  readonly repoServer: RepoServerClient;
  /**
   * the connection used for `https://kubernetes.default.svc` when no cluster Secret gives it
   * credentials (the controller's own kubeconfig outside a pod)
   */
  readonly inClusterConnection?: KubeConnection;
  /** options of every managed cluster's client (QPS/burst, metrics registry) */
  readonly clusterClientOptions?: KubeClientOptions;
  readonly clusterCacheOptions?: Omit<ClusterCacheOptions, 'client'>;
  readonly statusProcessors?: number;
  readonly operationProcessors?: number;
  /** `--app-resync` (argocd-cm `timeout.reconciliation` wins when set) */
  readonly resyncMs?: number;
  readonly resyncJitterMs?: number;
  readonly hardResyncMs?: number;
  readonly selfHeal?: SelfHealBackoff;
  /** `--sync-timeout` (0 = none) */
  readonly syncTimeoutMs?: number;
  readonly kubectlParallelismLimit?: number;
  readonly repoServerTimeoutMs?: number;
  /**
   * `--repo-error-grace-period-seconds`: how long a failing repo server keeps an app's last good
   * comparison before it becomes a ComparisonError (default 180 s; 0 = report at once)
   */
  readonly repoErrorGracePeriodMs?: number;
  /**
   * `--reconciled-at-max-age-seconds`: a periodic refresh of an unchanged app writes
   * `status.reconciledAt` only when it is older than this (default 600 s; 0 = every refresh, as
   * Argo CD)
   */
  readonly reconciledAtMaxAgeMs?: number;
  readonly sharding?: {
    readonly replicas: number;
    readonly shard: number;
    readonly algorithm: ShardingAlgorithm;
  };
  readonly metricsRegistry?: Registry;
  /** `--enable-k8s-event` */
  readonly events?: 'all' | 'none' | readonly string[];
  readonly log?: KubeLog;
  readonly now?: () => number;
  readonly random?: () => number;
}

/** What the refresh sub-steps found; summarised into the status once at the end. */
interface RefreshState {
  readonly app: Application;
  /** the level asked for; lowered to `recent` when the repo server fails within its grace period */
  level: RefreshLevel;
  conditions: { type: string; message: string }[];
  project?: AppProject;
  cluster?: Cluster;
  dest?: ResolvedDestination;
  handle?: ClusterHandle;
  target?: Target;
  desired?: DesiredState;
  compare?: CompareResult;
  /** stop after this step (a condition explains why) */
  halted: boolean;
  /** write nothing: the last good comparison stays (repo server error within the grace period) */
  keepStatus?: boolean;
  /** retry the refresh with the queue's backoff (repo server or cluster unreachable) */
  retry?: boolean;
  /** `operation` to set (automated sync) */
  startOperation?: Operation;
  requeueAfterMs?: number;
}

/** A kind an app manages; `id` is `group/kind`. */
interface KindRef {
  readonly group: string;
  readonly kind: string;
  readonly id: string;
}

/** The prepared desired state of an app at one revision (what `desiredCache` keeps per app). */
interface DesiredCacheEntry {
  /** `Target.key` it was prepared for */
  readonly key: string;
  readonly desired: DesiredState;
  readonly revision: string;
  readonly sourceType: string;
  /** the kinds of its objects */
  readonly kinds: readonly KindRef[];
}

/**
 * The desired state a refresh or a sync compares with: the resolved revision and either the
 * prepared state from `desiredCache` or the manifests the repo server generated (prepared later,
 * once the cluster's discovery is at hand).
 */
interface Target {
  /** the manifest keys of the sources and the settings `prepareDesired` depends on */
  readonly key: string;
  readonly revision: string;
  readonly sourceType: string;
  readonly cached?: DesiredCacheEntry;
  readonly objects?: readonly KubeObject[];
}

/** Fields of `status` each queue owns (the other never writes them). */
const REFRESH_FIELDS = [
  'sync',
  'health',
  'resources',
  'conditions',
  'reconciledAt',
  'observedAt',
  'sourceType',
  'sourceTypes',
  'summary',
  'controllerNamespace',
] as const;
const OPERATION_FIELDS = ['operationState', 'history'] as const;

function pick(
  status: ApplicationStatus | undefined,
  keys: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!status) return out;
  const s = status as Record<string, unknown>;
  for (const k of keys) if (s[k] !== undefined) out[k] = s[k];
  return out;
}

const APP_REF = { group: API_GROUP, version: API_VERSION, resource: 'applications' } as const;
const RESOURCE_FINALIZERS: readonly string[] = [
  Finalizers.resources,
  Finalizers.resourcesBackground,
  Finalizers.resourcesForeground,
];

/** The controller; `start()` then `stop()`. */
export class ApplicationController {
  readonly namespace: string;
  readonly refreshQueue: WorkQueue;
  readonly operationQueue: WorkQueue;
  readonly registry: ClusterRegistry;
  readonly manifestSource: ManifestSource;
  private readonly o: ApplicationControllerOptions;
  private readonly log: KubeLog;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly apps: ObjectStore<Application>;
  private readonly projects: ObjectStore<AppProject>;
  private readonly repoSecrets: ObjectStore<KubeObject>;
  private readonly configMaps: ObjectStore<ConfigMap>;
  private readonly creds = new RepoCredentials();
  private readonly recorder: EventRecorder;
  private readonly syncRunner = new SyncRunner();
  private readonly metrics: ControllerMetrics | undefined;
  private settings: ControllerSettings;
  /** memo of per-resource comparisons by object identity (live objects are never mutated) */
  private readonly compareCache = createCompareCache();
  private readonly pendingLevel = new Map<string, RefreshLevel>();
  /** when each app is due for its periodic full refresh */
  private readonly nextFull = new Map<string, number>();
  private readonly nextHard = new Map<string, number>();
  private readonly desiredCache = new Map<string, DesiredCacheEntry>();
  private readonly violationCache = new WeakMap<
    DesiredState,
    { key: string; violations: readonly ProjectViolation[] }
  >();
  /** the project's source and destination rules per app spec (specs are replaced, never mutated) */
  private readonly specRulesCache = new WeakMap<
    ApplicationSpec,
    { project: AppProject; cluster: Cluster; violations: readonly ProjectViolation[] }
  >();
  /** when each app's current run of repo server errors started */
  private readonly repoErrorsSince = new Map<string, number>();
  /** cluster caches asked to follow every kind (a project watches orphaned resources) */
  private readonly followingAll = new WeakMap<object, Promise<boolean>>();
  /** per cluster: kinds its cache follows and has listed, attempts in flight, failures */
  private readonly kindState = new Map<
    string,
    {
      cache: unknown;
      ready: Set<string>;
      pending: Map<string, Promise<boolean>>;
      failedAt: Map<string, number>;
    }
  >();
  private readonly subscribed = new Set<string>();
  /** the cluster handles in use (API call accounting) */
  private readonly handles = new Map<string, ClusterHandle>();
  private readonly replicas: number;
  private readonly shard: number;
  private readonly algorithm: ShardingAlgorithm;
  private ticker: NodeJS.Timeout | undefined;
  private workers: Promise<void>[] = [];
  private started = false;
  /** counters for tests and benchmarks */
  readonly counters = { refreshes: 0, statusPatches: 0, operations: 0, reconcileErrors: 0 };
  /** clusters this replica reconciled apps for (sharding tests) */
  readonly clustersReconciled = new Set<string>();

  constructor(options: ApplicationControllerOptions) {
    this.o = options;
    this.namespace = options.namespace;
    this.log = options.log ?? silentLog;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.replicas = options.sharding?.replicas ?? 1;
    this.shard = options.sharding?.shard ?? 0;
    this.algorithm = options.sharding?.algorithm ?? 'legacy';
    this.settings = controllerSettings(undefined, this.settingsDefaults());
    this.refreshQueue = new WorkQueue({
      name: 'app_reconciliation_queue',
      baseDelayMs: 1_000,
      maxDelayMs: 60_000,
    });
    this.operationQueue = new WorkQueue({
      name: 'app_operation_processing_queue',
      baseDelayMs: 500,
      maxDelayMs: 60_000,
    });
    const client = options.client;
    const ns = options.namespace;
    this.apps = new ObjectStore<Application>({
      client,
      resource: { group: API_GROUP, version: API_VERSION, resource: 'applications', namespace: ns },
      decode: (o) => validate(ApplicationSchema, o, `Application ${o.metadata.name ?? ''}`),
      onInvalid: (o, err) => {
        this.log('warn', 'ignoring an invalid Application', {
          application: o.metadata.name,
          error: errorMessage(err),
        });
      },
      log: this.log,
      name: `applications in ${ns}`,
    });
    this.projects = new ObjectStore<AppProject>({
      client,
      resource: { group: API_GROUP, version: API_VERSION, resource: 'appprojects', namespace: ns },
      decode: (o) => validate(AppProjectSchema, o, `AppProject ${o.metadata.name ?? ''}`),
      onInvalid: (o, err) => {
        this.log('warn', 'ignoring an invalid AppProject', {
          project: o.metadata.name,
          error: errorMessage(err),
        });
      },
      log: this.log,
      name: `appprojects in ${ns}`,
    });
    this.repoSecrets = new ObjectStore<KubeObject>({
      client,
      resource: { group: '', version: 'v1', resource: 'secrets', namespace: ns },
      labelSelector: `${Labels.secretType} in (${SecretTypes.repository},${SecretTypes.repoCreds})`,
      decode: (o) => o,
      log: this.log,
      name: `repository secrets in ${ns}`,
    });
    this.configMaps = new ObjectStore<ConfigMap>({
      client,
      resource: { group: '', version: 'v1', resource: 'configmaps', namespace: ns },
      decode: (o) => o as ConfigMap,
      log: this.log,
      name: `configmaps in ${ns}`,
    });
    this.recorder = new EventRecorder(options.eventClient ?? client, {
      component: 'argocd-application-controller',
      enabled: options.events ?? 'all',
      log: this.log,
    });
    const inCluster = options.inClusterConnection;
    this.registry = new ClusterRegistry({
      ...(options.clusterClientOptions ? { clientOptions: options.clusterClientOptions } : {}),
      cacheOptions: () => ({
        ...options.clusterCacheOptions,
        keepManagedFieldsOf: ['argocd-controller'],
        filter: this.settings.filter,
        instanceLabelKey: this.settings.instanceLabelKey,
      }),
      connect: (c) =>
        c.server === IN_CLUSTER_SERVER && inCluster && !hasCredentials(c)
          ? inCluster
          : connectionFromCluster(c),
      onChange: (server) => {
        this.subscribed.delete(server);
        this.kindState.delete(server);
        for (const a of this.apps.list()) this.requestRefresh(a.metadata.name ?? '', 'periodic');
      },
      log: this.log,
    });
    this.manifestSource = new ManifestSource(options.repoServer, this.creds, {
      timeoutMs: options.repoServerTimeoutMs ?? 60_000,
      // the prepared desired state is cached per app instead (desiredCache)
      maxEntries: 0,
    });
    this.metrics = options.metricsRegistry
      ? registerControllerMetrics(options.metricsRegistry, {
          apps: () => this.apps.list(),
          queues: [this.refreshQueue, this.operationQueue],
          shard: this.shard,
        })
      : undefined;
  }

  private settingsDefaults(): {
    reconciliationTimeoutMs: number;
    reconciliationJitterMs: number;
    hardReconciliationTimeoutMs: number;
  } {
    return {
      reconciliationTimeoutMs: this.o.resyncMs ?? 120_000,
      reconciliationJitterMs: this.o.resyncJitterMs ?? 60_000,
      hardReconciliationTimeoutMs: this.o.hardResyncMs ?? 0,
    };
  }

  // ------------------------------------------------------------------ lifecycle

  /** Starts the watches and the workers; resolves once everything has been listed once. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.configMaps.onChange((_e, cm) => {
      this.onConfigMap(cm);
    });
    await this.configMaps.start();
    for (const name of [ConfigNames.cm, ConfigNames.tlsCertsCm, ConfigNames.sshKnownHostsCm]) {
      const cm = this.configMaps.get(name);
      if (cm) this.onConfigMap(cm);
    }
    this.repoSecrets.onChange((event, s) => {
      if (event === 'deleted') this.creds.deleteSecret(s.metadata.name ?? '');
      else {
        const problem = this.creds.upsertSecret(s, s.metadata.labels?.[Labels.secretType] ?? '');
        if (problem)
          this.log('warn', 'ignoring an invalid repository secret', {
            secret: s.metadata.name,
            error: problem,
          });
      }
    });
    await this.repoSecrets.start();
    await this.registry.watchSecrets(this.o.client, this.namespace);
    this.projects.onChange((_e, p) => {
      for (const a of this.apps.list())
        if (a.spec.project === p.metadata.name)
          this.requestRefresh(a.metadata.name ?? '', 'periodic');
    });
    await this.projects.start();
    this.apps.onChange((event, app, old) => {
      this.onAppChange(event, app, old);
    });
    await this.apps.start();
    const statusWorkers = this.o.statusProcessors ?? 20;
    const opWorkers = this.o.operationProcessors ?? 10;
    this.workers.push(
      runWorkers(
        this.refreshQueue,
        statusWorkers,
        (k) => this.processRefresh(k),
        (k, err) => {
          this.reconcileFailed(this.refreshQueue, k, err);
        },
      ),
      runWorkers(
        this.operationQueue,
        opWorkers,
        (k) => this.processOperation(k),
        (k, err) => {
          this.reconcileFailed(this.operationQueue, k, err);
        },
      ),
    );
    this.ticker = setInterval(() => {
      this.tick();
    }, 1_000);
    this.ticker.unref();
    this.log('info', 'application controller started', {
      namespace: this.namespace,
      shard: this.shard,
      replicas: this.replicas,
      apps: this.apps.size,
    });
  }

  /** Stops workers, watches and cluster caches (an operation in progress resumes after restart). */
  async stop(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    this.refreshQueue.shutDown();
    this.operationQueue.shutDown();
    await Promise.all(this.workers);
    await Promise.all([
      this.apps.stop(),
      this.projects.stop(),
      this.repoSecrets.stop(),
      this.configMaps.stop(),
    ]);
    await this.registry.close();
    this.o.repoServer.close();
  }

  /** Runs until `signal` aborts (≈ controller-runtime `Runnable.Start`). */
  async run(signal: AbortSignal): Promise<void> {
    await this.start();
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else
        signal.addEventListener(
          'abort',
          () => {
            resolve();
          },
          { once: true },
        );
    });
    await this.stop();
  }

  /** Asks for a refresh of `name` at least at `level`. */
  requestRefresh(name: string, level: RefreshLevel, delayMs = 0): void {
    if (name === '') return;
    const cur = this.pendingLevel.get(name);
    if (cur === undefined || REFRESH_LEVEL_ORDER[level] > REFRESH_LEVEL_ORDER[cur])
      this.pendingLevel.set(name, level);
    if (delayMs > 0) this.refreshQueue.addAfter(name, delayMs);
    else this.refreshQueue.add(name);
  }

  /**
   * Kubernetes API requests made so far by the control-plane client and the managed clusters'
   * clients, watches excluded (a refresh served from the caches makes none).
   */
  apiCalls(): number {
    const count = (c: KubeClient): number => {
      const st = c.stats();
      return st.total - st.watches;
    };
    let n = count(this.o.client);
    for (const h of this.handles.values()) n += count(h.client);
    return n;
  }

  /** The Applications as last seen (read-only). */
  listApps(): Application[] {
    return this.apps.list();
  }

  getApp(name: string): Application | undefined {
    return this.apps.get(name);
  }

  /** The current settings (argocd-cm merged with the flags). */
  currentSettings(): ControllerSettings {
    return this.settings;
  }

  // ------------------------------------------------------------------ watches

  private onConfigMap(cm: ConfigMap): void {
    const name = cm.metadata.name;
    if (name === ConfigNames.cm) {
      const before = this.settings;
      this.settings = controllerSettings(cm.data, this.settingsDefaults());
      for (const p of this.settings.problems)
        this.log('warn', 'ignoring an invalid argocd-cm setting', { key: p.key, error: p.message });
      if (before.filterDigest !== this.settings.filterDigest) {
        // the kinds a cache may follow changed: rebuild the caches with the new filter
        for (const c of this.registry.list())
          void this.registry.remove(c.server).then(() => {
            this.registry.upsert(c);
          });
      }
      if (
        before.reconciliationTimeoutMs !== this.settings.reconciliationTimeoutMs ||
        before.reconciliationJitterMs !== this.settings.reconciliationJitterMs
      )
        this.nextFull.clear();
    } else if (name === ConfigNames.tlsCertsCm) this.creds.setTlsCerts(cm);
    else if (name === ConfigNames.sshKnownHostsCm) this.creds.setKnownHosts(cm);
  }

  private onAppChange(
    event: 'added' | 'updated' | 'deleted',
    app: Application,
    old: Application | undefined,
  ): void {
    const name = app.metadata.name ?? '';
    if (event === 'deleted') {
      this.pendingLevel.delete(name);
      this.nextFull.delete(name);
      this.nextHard.delete(name);
      this.desiredCache.delete(name);
      this.repoErrorsSince.delete(name);
      return;
    }
    if (app.metadata.deletionTimestamp) {
      this.operationQueue.add(name);
      return;
    }
    const refresh = app.metadata.annotations?.[Annotations.refresh];
    // a requested refresh resolves the revision anew (Argo CD's CompareWithLatestForceResolve)
    if (refresh !== undefined) this.requestRefresh(name, refresh === 'hard' ? 'hard' : 'resolve');
    // an app seen for the first time is new (no reconciledAt yet: written) or known from before a
    // restart or relist (compared again; reconciledAt written only by the periodic rule)
    if (event === 'added') this.requestRefresh(name, 'periodic');
    else if (old && !jsonEqual(old.spec, app.spec)) this.requestRefresh(name, 'latest');
    if (app.operation && (event === 'added' || !jsonEqual(old?.operation, app.operation)))
      this.operationQueue.add(name);
    else if (event === 'added' && isRunning(app.status?.operationState))
      this.operationQueue.add(name);
  }

  /** A live object of a managed cluster changed: refresh the app that tracks it. */
  private onLiveChange(newObj: KubeObject | undefined, oldObj: KubeObject | undefined): void {
    for (const obj of [newObj, oldObj]) {
      const id = obj?.metadata.annotations?.[Annotations.trackingId];
      const tracked = id !== undefined ? parseTrackingId(id)?.appName : undefined;
      const byLabel =
        this.settings.trackingMethod === 'label'
          ? obj?.metadata.labels?.[this.settings.instanceLabelKey]
          : undefined;
      const name = tracked ?? byLabel;
      const app = name === undefined ? undefined : this.apps.get(name);
      if (name === undefined || !app) continue;
      if (app.operation && isRunning(app.status?.operationState)) {
        // a sync is changing the app's objects: drive the sync now, and coalesce the refreshes its
        // many events would cause into one a second later (the sync's end refreshes anyway)
        this.operationQueue.add(name);
        this.requestRefresh(name, 'recent', 1_000);
      } else this.requestRefresh(name, 'recent');
      return;
    }
    this.onUntrackedChange(newObj ?? oldObj);
  }

  /**
   * An untracked object changed: apps whose project warns about orphaned resources in its
   * namespace compare again (≈ Argo CD refreshing apps on orphaned resource changes), so the
   * warning appears and clears without waiting for the periodic refresh.
   */
  private onUntrackedChange(obj: KubeObject | undefined): void {
    const ns = obj?.metadata.namespace;
    if (!ns) return;
    let watching: Set<string> | undefined;
    for (const p of this.projects.list())
      if (p.spec.orphanedResources) (watching ??= new Set()).add(p.metadata.name ?? '');
    if (!watching) return;
    for (const a of this.apps.list())
      if (watching.has(a.spec.project) && a.spec.destination.namespace === ns)
        this.requestRefresh(a.metadata.name ?? '', 'recent');
  }

  /** Periodic refreshes: every app after `timeout.reconciliation` plus its jitter. */
  private tick(): void {
    const now = this.now();
    const s = this.settings;
    for (const app of this.apps.list()) {
      const name = app.metadata.name ?? '';
      if (s.reconciliationTimeoutMs > 0) {
        const due = this.nextFull.get(name);
        if (due === undefined)
          this.nextFull.set(
            name,
            now + s.reconciliationTimeoutMs + this.random() * s.reconciliationJitterMs,
          );
        else if (due <= now) {
          this.nextFull.set(
            name,
            now + s.reconciliationTimeoutMs + this.random() * s.reconciliationJitterMs,
          );
          this.requestRefresh(name, 'periodic');
        }
      }
      if (s.hardReconciliationTimeoutMs > 0) {
        const due = this.nextHard.get(name);
        if (due === undefined) this.nextHard.set(name, now + s.hardReconciliationTimeoutMs);
        else if (due <= now) {
          this.nextHard.set(name, now + s.hardReconciliationTimeoutMs);
          this.requestRefresh(name, 'hard');
        }
      }
    }
  }

  private reconcileFailed(queue: WorkQueue, key: string, err: unknown): void {
    this.counters.reconcileErrors++;
    const delay = queue.addRateLimited(key);
    this.log('warn', 'reconcile failed; retrying', {
      queue: queue.name,
      application: key,
      retryInMs: delay,
      error: errorMessage(err),
    });
  }

  // ------------------------------------------------------------------ ownership

  /** How objects are tracked (argocd-cm: method, instance label, installation id). */
  private tracking(): TrackingOptions {
    const s = this.settings;
    return {
      method: s.trackingMethod,
      labelKey: s.instanceLabelKey,
      ...(s.installationId !== '' ? { installationId: s.installationId } : {}),
    };
  }

  /** The app's instance name in tracking ids. */
  private instanceOf(app: Application): string {
    return appInstanceName(
      { name: app.metadata.name ?? '', namespace: app.metadata.namespace },
      this.namespace,
    );
  }

  /** The destination cluster of an app (by server, else by name). */
  private clusterOf(app: Application): Cluster | undefined {
    const d = app.spec.destination;
    if (d.server) return this.registry.get(d.server);
    if (d.name) return this.registry.getByName(d.name);
    return undefined;
  }

  /** Whether this replica processes the app (its destination cluster is in our shard). */
  ownsApp(app: Application): boolean {
    if (this.replicas <= 1) return true;
    const c = this.clusterOf(app);
    // an app whose cluster is unknown is reported (InvalidSpecError) by shard 0
    const shard = c ? shardForCluster(c, this.replicas, this.algorithm, this.registry.list()) : 0;
    return shard === this.shard;
  }

  // ------------------------------------------------------------------ refresh

  private async processRefresh(name: string): Promise<void> {
    const level = this.pendingLevel.get(name) ?? 'recent';
    this.pendingLevel.delete(name);
    const app = this.apps.get(name);
    if (!app || app.metadata.deletionTimestamp) {
      this.refreshQueue.forget(name);
      return;
    }
    if (!this.ownsApp(app)) return;
    const t0 = this.now();
    const st: RefreshState = { app, level, conditions: [], halted: false };
    // ordered sub-steps; only the ones that wait for something are awaited
    this.stepProject(st);
    if (!st.halted) this.stepDestination(st);
    if (!st.halted) this.stepSpecRules(st);
    if (!st.halted) await this.stepManifests(st);
    if (!st.halted) await this.stepCluster(st);
    if (!st.halted) this.stepCompare(st);
    if (!st.halted) this.stepAutoSync(st);
    if (!st.keepStatus) await this.summarizeRefresh(st);
    this.counters.refreshes++;
    this.metrics?.observeReconcile(app, (this.now() - t0) / 1000);
    if (st.retry) {
      this.pendingLevel.set(name, maxRefreshLevel(level, 'periodic'));
      this.refreshQueue.addRateLimited(name);
      return;
    }
    this.refreshQueue.forget(name);
    if (st.requeueAfterMs !== undefined) this.requestRefresh(name, 'periodic', st.requeueAfterMs);
  }

  private halt(s: RefreshState, type: string, message: string): void {
    s.conditions.push({ type, message });
    s.halted = true;
  }

  private stepProject(s: RefreshState): void {
    const p = this.projects.get(s.app.spec.project);
    if (!p) {
      this.halt(
        s,
        'InvalidSpecError',
        `Application referencing project ${s.app.spec.project} which does not exist`,
      );
      return;
    }
    s.project = p;
  }

  private stepDestination(s: RefreshState): void {
    const d = s.app.spec.destination;
    const c = this.clusterOf(s.app);
    if (!c) {
      this.halt(
        s,
        'InvalidSpecError',
        d.server
          ? `cluster ${d.server} has not been configured: add a cluster Secret for it`
          : d.name
            ? `there are no clusters with this name: ${d.name}`
            : 'the destination names neither a server nor a cluster name',
      );
      return;
    }
    s.cluster = c;
    this.clustersReconciled.add(c.server);
    s.dest = { server: c.server, name: c.name, namespace: d.namespace ?? '' };
  }

  private stepSpecRules(s: RefreshState): void {
    if (!s.project || !s.dest || !s.cluster) return;
    const spec = s.app.spec;
    let violations: readonly ProjectViolation[];
    const hit = this.specRulesCache.get(spec);
    if (hit && hit.project === s.project && hit.cluster === s.cluster) violations = hit.violations;
    else {
      const sources = getSources(spec);
      if (sources.length === 0) {
        this.halt(s, 'InvalidSpecError', 'spec.source or spec.sources is required');
        return;
      }
      violations = checkApplicationSpec(s.project, sources, s.dest);
      this.specRulesCache.set(spec, { project: s.project, cluster: s.cluster, violations });
    }
    if (violations.length > 0) {
      for (const x of violations)
        s.conditions.push({ type: 'InvalidSpecError', message: x.message });
      s.halted = true;
    }
  }

  private async stepManifests(s: RefreshState): Promise<void> {
    if (!s.dest) return;
    const name = s.app.metadata.name ?? '';
    try {
      s.target = await this.refreshTarget(s.app, s.level, s.dest.server);
      this.repoErrorsSince.delete(name);
      return;
    } catch (err) {
      // the repo server may be down: try again with backoff (1 s doubling to 60 s)
      s.retry = true;
      const now = this.now();
      const since = this.repoErrorsSince.get(name);
      if (since === undefined) this.repoErrorsSince.set(name, now);
      const prevSync = s.app.status?.sync?.status;
      const action = repoErrorAction({
        level: s.level,
        firstErrorMs: since,
        nowMs: now,
        graceMs: this.o.repoErrorGracePeriodMs ?? 180_000,
        hasComparison: prevSync === 'Synced' || prevSync === 'OutOfSync',
      });
      if (action === 'keep') {
        // within the grace period: keep the last good comparison. The revision compared last is
        // still known; when its desired state is cached, live changes keep being compared with it.
        this.log('warn', 'repo server error within the grace period; keeping the last comparison', {
          application: name,
          error: errorMessage(err),
        });
        const fallback = s.level !== 'recent' ? this.cachedTarget(s.app, s.dest.server) : undefined;
        if (fallback) {
          s.target = fallback;
          s.level = 'recent';
        } else {
          s.halted = true;
          s.keepStatus = true;
        }
        return;
      }
      this.halt(
        s,
        'ComparisonError',
        `Failed to load target state: failed to generate manifest for source 1 of 1: ${errorMessage(err)}`,
      );
    }
  }

  /** The revision each source is compared at for a refresh of `level` (see RefreshLevel). */
  private async refreshTarget(
    app: Application,
    level: RefreshLevel,
    server: string,
  ): Promise<Target> {
    const sources = manifestSources(app.spec);
    const known = app.status?.sync?.revision;
    const resolved: { source: ApplicationSource; revision: string }[] = [];
    for (const source of sources) {
      let revision: string;
      if (
        level === 'recent' &&
        known &&
        sources.length === 1 &&
        jsonEqual(app.status?.sync?.comparedTo?.source, app.spec.source)
      )
        revision = known;
      else
        revision = await this.manifestSource.resolveRevision(
          source,
          level === 'hard' || level === 'resolve',
        );
      resolved.push({ source, revision });
    }
    return this.loadTarget(app, resolved, server, level === 'hard');
  }

  /** The target of the revision last compared, when its prepared state is cached (else undefined). */
  private cachedTarget(app: Application, server: string): Target | undefined {
    const known = app.status?.sync?.revision;
    const sources = manifestSources(app.spec);
    if (
      !known ||
      sources.length !== 1 ||
      !jsonEqual(app.status?.sync?.comparedTo?.source, app.spec.source)
    )
      return undefined;
    const key = this.targetKey(
      app,
      sources.map((source) => ({ source, revision: known })),
      server,
    );
    const hit = this.desiredCache.get(app.metadata.name ?? '');
    return hit?.key === key ? targetOf(hit) : undefined;
  }

  /** The cache key of a target: the manifest keys of its sources and the preparation settings. */
  private targetKey(
    app: Application,
    resolved: readonly { source: ApplicationSource; revision: string }[],
    server: string,
  ): string {
    const ctx = { appName: this.instanceOf(app), namespace: app.spec.destination.namespace ?? '' };
    return JSON.stringify([
      resolved.map((r) => this.manifestSource.manifestKey(r.source, r.revision, ctx)),
      app.spec.ignoreDifferences ?? null,
      this.settings.trackingMethod,
      this.settings.instanceLabelKey,
      this.settings.installationId,
      server,
    ]);
  }

  /**
   * The desired state of `app` at the resolved revisions: the prepared state when it is cached
   * (`hard` bypasses it), else the manifests from the repo server (prepared by `desiredFor`).
   */
  private async loadTarget(
    app: Application,
    resolved: readonly { source: ApplicationSource; revision: string }[],
    server: string,
    hard: boolean,
  ): Promise<Target> {
    const key = this.targetKey(app, resolved, server);
    const hit = this.desiredCache.get(app.metadata.name ?? '');
    if (hit?.key === key && !hard) return targetOf(hit);
    const ctx = {
      appName: this.instanceOf(app),
      namespace: app.spec.destination.namespace ?? '',
      hard,
    };
    const results = await Promise.all(
      resolved.map((r) => this.manifestSource.generate(r.source, r.revision, ctx)),
    );
    const first = results[0];
    return {
      key,
      revision: first?.revision ?? '',
      sourceType: first?.sourceType ?? '',
      objects: results.length === 1 && first ? first.objects : results.flatMap((r) => r.objects),
    };
  }

  private async stepCluster(s: RefreshState): Promise<void> {
    if (!s.cluster || !s.target) return;
    let handle: ClusterHandle;
    try {
      handle = await this.registry.acquire(s.cluster.server);
    } catch (err) {
      this.halt(
        s,
        'ComparisonError',
        `failed to connect to cluster ${s.cluster.server}: ${errorMessage(err)}`,
      );
      s.retry = true;
      return;
    }
    s.handle = handle;
    this.subscribe(handle);
    const kinds = s.target.cached?.kinds ?? kindRefsOf(s.target.objects ?? []);
    let ok = await this.ensureKinds(handle, kinds);
    ok = (await this.ensureKinds(handle, statusKindsOf(s.app))) && ok;
    ok = (await this.ensureKinds(handle, createdNamespaceKinds(s.app))) && ok;
    if (s.project?.spec.orphanedResources) ok = (await this.followAllKinds(handle)) && ok;
    // compare anyway (what is known), and come back once the kinds can be followed
    if (!ok) s.retry = true;
  }

  /** Makes the cluster cache follow every kind (orphaned resources are searched among all kinds). */
  private followAllKinds(handle: ClusterHandle): Promise<boolean> {
    let p = this.followingAll.get(handle.cache);
    if (!p) {
      p = handle.cache.start().then(
        () => true,
        (err: unknown) => {
          this.followingAll.delete(handle.cache);
          this.log('warn', 'cannot follow every kind for orphaned resources', {
            cluster: handle.cluster.server,
            error: errorMessage(err),
          });
          return false;
        },
      );
      this.followingAll.set(handle.cache, p);
    }
    return p;
  }

  private subscribe(handle: ClusterHandle): void {
    this.handles.set(handle.cluster.server, handle);
    if (this.subscribed.has(handle.cluster.server)) return;
    this.subscribed.add(handle.cluster.server);
    handle.cache.onResourceUpdated((_key, newObj, oldObj) => {
      this.onLiveChange(newObj, oldObj);
    });
  }

  /**
   * Makes the cluster cache follow `kinds` and waits until each is listed (concurrent callers share
   * one attempt per kind). Returns false when a kind could not be followed (not served yet,
   * excluded, list failed): the caller retries later; a failed kind is tried again after 10 s.
   */
  private async ensureKinds(handle: ClusterHandle, kinds: readonly KindRef[]): Promise<boolean> {
    const server = handle.cluster.server;
    let st = this.kindState.get(server);
    if (!st || st.cache !== handle.cache) {
      st = { cache: handle.cache, ready: new Set(), pending: new Map(), failedAt: new Map() };
      this.kindState.set(server, st);
    }
    const state = st;
    let waits: Promise<boolean>[] | undefined;
    for (const k of kinds) {
      const id = k.id;
      if (state.ready.has(id)) continue;
      // excluded kinds are not followed (resource.exclusions): nothing to wait for
      if (this.settings.filter.isExcluded(k.group, k.kind, server)) continue;
      waits ??= [];
      const pending = state.pending.get(id);
      if (pending) {
        waits.push(pending);
        continue;
      }
      const failed = state.failedAt.get(id);
      if (failed !== undefined && this.now() - failed < 10_000) {
        waits.push(Promise.resolve(false));
        continue;
      }
      const attempt = handle.cache.ensureWatching(k).then(
        () => {
          state.ready.add(id);
          state.failedAt.delete(id);
          return true;
        },
        (err: unknown) => {
          state.failedAt.set(id, this.now());
          this.log('debug', 'cannot watch a kind yet', {
            cluster: server,
            kind: `${k.kind}.${k.group}`,
            error: errorMessage(err),
          });
          return false;
        },
      );
      const tracked = attempt.finally(() => state.pending.delete(id));
      state.pending.set(id, tracked);
      waits.push(tracked);
    }
    if (waits === undefined) return true;
    return (await Promise.all(waits)).every(Boolean);
  }

  /** The prepared desired state of a target (prepared once per app + target key, then cached). */
  private desiredFor(app: Application, target: Target, handle: ClusterHandle): DesiredState {
    if (target.cached) return target.cached.desired;
    const name = app.metadata.name ?? '';
    // compare what is applied: the protocol defaults server-side apply adds (see withSsaDefaults)
    const desired = prepareDesired((target.objects ?? []).map(withSsaDefaults), {
      appInstanceName: this.instanceOf(app),
      tracking: this.tracking(),
      destinationNamespace: app.spec.destination.namespace ?? '',
      resourceInfo: { isNamespaced: (g, k) => handle.cache.isNamespaced(g, k) },
      ...(app.spec.ignoreDifferences
        ? { ignoreDifferences: compileIgnoreDifferences(app.spec.ignoreDifferences) }
        : {}),
    });
    this.desiredCache.set(name, {
      key: target.key,
      desired,
      revision: target.revision,
      sourceType: target.sourceType,
      kinds: kindRefsOf(desired.resources.map((r) => r.object)),
    });
    return desired;
  }

  /** The project's resource rules for a desired state (cached per state, project version, destination). */
  private resourceViolations(
    project: AppProject,
    dest: ResolvedDestination,
    desired: DesiredState,
    handle: ClusterHandle,
  ): readonly ProjectViolation[] {
    const key = violationKey(project, dest);
    const hit = this.violationCache.get(desired);
    if (hit?.key === key) return hit.violations;
    const violations = checkResources(
      project,
      dest,
      desired.resources.map((r) => ({
        ...r.key,
        namespaced: handle.cache.isNamespaced(r.key.group, r.key.kind) ?? r.key.namespace !== '',
      })),
    );
    this.violationCache.set(desired, { key, violations });
    return violations;
  }

  /**
   * The live objects a comparison needs: the one at each desired key and every object tracked by
   * the app. Cached objects are shared, so duplicates are found by identity.
   */
  private liveFor(s: {
    handle: ClusterHandle;
    desired: DesiredState;
    app: Application;
  }): KubeObject[] {
    const cache = s.handle.cache;
    const out: KubeObject[] = [];
    for (const d of s.desired.resources) {
      const o = cache.get(d.key);
      if (o !== undefined) out.push(o);
    }
    const instance = this.instanceOf(s.app);
    const tracked =
      this.settings.trackingMethod === 'label' ? cache.byInstance(instance) : cache.byApp(instance);
    if (tracked.length === 0) return out;
    const seen = new Set<KubeObject>(out);
    for (const o of tracked) if (!seen.has(o)) out.push(o);
    return out;
  }

  private stepCompare(s: RefreshState): void {
    if (!s.handle || !s.target || !s.project || !s.dest) return;
    const handle = s.handle;
    let desired: DesiredState;
    try {
      desired = this.desiredFor(s.app, s.target, handle);
    } catch (err) {
      // e.g. an ignoreDifferences rule the engine refuses, or a malformed manifest
      this.halt(s, 'ComparisonError', `failed to prepare the desired state: ${errorMessage(err)}`);
      return;
    }
    s.desired = desired;
    const violations = this.resourceViolations(s.project, s.dest, desired, handle);
    if (violations.length > 0) {
      for (const v of violations)
        s.conditions.push({ type: 'InvalidSpecError', message: v.message });
      s.halted = true;
      return;
    }
    const live = this.liveFor({ handle, desired, app: s.app });
    s.compare = compareAppState({ desired, live, cache: this.compareCache });
    for (const c of desired.conditions) s.conditions.push({ type: c.type, message: c.message });
    for (const c of s.compare.conditions) s.conditions.push({ type: c.type, message: c.message });
    const orphanedRule = s.project.spec.orphanedResources;
    if (orphanedRule && orphanedRule.warn !== false && s.dest.namespace !== '') {
      const managed = new Set<KubeObject>();
      for (const it of s.compare.items) if (it.live) managed.add(it.live);
      const orphaned = findOrphanedResources({
        project: s.project,
        live: handle.cache.byNamespace(s.dest.namespace),
        managed,
        isTracked: (o) => carriesTracking(o, this.tracking()),
      });
      if (orphaned.length > 0)
        s.conditions.push({
          type: 'OrphanedResourceWarning',
          message: `Application has ${orphaned.length} orphaned resources`,
        });
    }
  }

  private stepAutoSync(s: RefreshState): void {
    if (!s.compare || !s.target) return;
    const d = decideAutoSync({
      app: s.app,
      syncStatus: s.compare.syncStatus,
      revision: s.target.revision,
      resources: s.compare.resources,
      now: this.now(),
      selfHeal: this.o.selfHeal ?? DEFAULT_SELF_HEAL_BACKOFF,
    });
    switch (d.action) {
      case 'sync':
        s.startOperation = d.operation;
        this.log('info', d.message, { application: s.app.metadata.name });
        break;
      case 'refuse':
        s.conditions.push({ type: 'SyncError', message: d.message });
        break;
      case 'wait':
        s.requeueAfterMs = d.delayMs;
        break;
      case 'none':
        break;
    }
  }

  /** The summarise-and-patch step of a refresh: one write, only when something changed. */
  private async summarizeRefresh(s: RefreshState): Promise<void> {
    const app = s.app;
    const prev = app.status ?? {};
    const nowIso = isoSeconds(this.now());
    const next: ApplicationStatus = { ...prev };
    const comparedTo = {
      ...(app.spec.source ? { source: app.spec.source } : {}),
      ...(app.spec.sources ? { sources: app.spec.sources } : {}),
      destination: app.spec.destination,
      ...(app.spec.ignoreDifferences ? { ignoreDifferences: app.spec.ignoreDifferences } : {}),
    };
    if (s.compare && s.target) {
      next.sync = {
        status: s.compare.syncStatus,
        comparedTo,
        revision: s.target.revision,
      };
      next.resources = s.compare.resources;
      const prevHealth = prev.health;
      next.health = {
        status: s.compare.health.status,
        ...(s.compare.health.message ? { message: s.compare.health.message } : {}),
        lastTransitionTime:
          prevHealth?.status === s.compare.health.status && prevHealth.lastTransitionTime
            ? prevHealth.lastTransitionTime
            : nowIso,
      };
      if (s.target.sourceType) next.sourceType = s.target.sourceType;
      next.summary = {
        ...(prev.summary?.externalURLs ? { externalURLs: prev.summary.externalURLs } : {}),
        ...(s.compare.images.length > 0 ? { images: [...s.compare.images] } : {}),
      };
      if (Object.keys(next.summary).length === 0) delete next.summary;
    } else if (s.halted) {
      next.sync = {
        status: 'Unknown',
        comparedTo,
        ...(prev.sync?.revision ? { revision: prev.sync.revision } : {}),
      };
      if (!prev.health) next.health = { status: 'Unknown', lastTransitionTime: nowIso };
    }
    const conds = mergeConditions(prev.conditions, s.conditions, nowIso);
    if (conds) next.conditions = conds;
    else delete next.conditions;
    next.controllerNamespace = this.namespace;
    let changed = mergePatch(pick(prev, REFRESH_FIELDS), pick(next, REFRESH_FIELDS));
    const stamp = reconciledAtDue({
      level: s.level,
      previous: prev.reconciledAt,
      nowMs: this.now(),
      maxAgeMs: this.o.reconciledAtMaxAgeMs ?? DEFAULT_RECONCILED_AT_MAX_AGE_MS,
      statusChanged: changed !== undefined,
    });
    if (stamp && prev.reconciledAt !== nowIso) {
      next.reconciledAt = nowIso;
      changed = { ...(changed as object | undefined), reconciledAt: nowIso };
    }
    // observedAt moves only with a write (it would otherwise force a write every refresh)
    const statusPatch =
      changed === undefined ? undefined : { ...(changed as object), observedAt: nowIso };
    const name = app.metadata.name ?? '';
    const body: Record<string, unknown> = {};
    if (statusPatch !== undefined) body.status = statusPatch;
    const refreshAnnotation = app.metadata.annotations?.[Annotations.refresh];
    if (refreshAnnotation !== undefined && s.level !== 'recent')
      body.metadata = { annotations: { [Annotations.refresh]: null } };
    if (s.startOperation && !app.operation) {
      body.operation = s.startOperation;
    }
    if (Object.keys(body).length === 0) return;
    try {
      // setting an operation must not replace one a user set meanwhile: guard it by resourceVersion
      await this.patchApp(name, body, body.operation ? app.metadata.resourceVersion : undefined);
    } catch (err) {
      if (body.operation && err instanceof ControllerError && isConflict(err.cause)) {
        this.requestRefresh(name, 'latest');
        return;
      }
      throw err;
    }
    if (statusPatch !== undefined) this.emitStatusEvents(app, prev, next);
  }

  private emitStatusEvents(
    app: Application,
    prev: ApplicationStatus,
    next: ApplicationStatus,
  ): void {
    const ps = prev.sync?.status;
    const ns = next.sync?.status;
    if (ns !== undefined && ps !== ns)
      void this.appEvent(
        app,
        EventReasons.ResourceUpdated,
        `Updated sync status: ${ps ?? ''} -> ${ns}`,
      );
    const ph = prev.health?.status;
    const nh = next.health?.status;
    if (nh !== undefined && ph !== nh)
      void this.appEvent(
        app,
        EventReasons.ResourceUpdated,
        `Updated health status: ${ph ?? ''} -> ${nh}`,
      );
  }

  private appEvent(
    app: Application,
    reason: string,
    message: string,
    extra: { user?: string; type?: 'Normal' | 'Warning' } = {},
  ): Promise<unknown> {
    return this.recorder.record({
      involvedObject: {
        apiVersion: `${API_GROUP}/${API_VERSION}`,
        kind: 'Application',
        name: app.metadata.name ?? '',
        namespace: app.metadata.namespace ?? this.namespace,
        ...(app.metadata.uid ? { uid: app.metadata.uid } : {}),
      },
      reason,
      message,
      ...(extra.type ? { type: extra.type } : {}),
      ...(extra.user !== undefined ? { user: extra.user } : {}),
      ...(app.spec.destination.server ? { destServer: app.spec.destination.server } : {}),
      ...(app.spec.destination.namespace ? { destNamespace: app.spec.destination.namespace } : {}),
    });
  }

  /** Merge-patches an Application and records the answer in the store. */
  private async patchApp(
    name: string,
    body: unknown,
    resourceVersion?: string,
  ): Promise<Application | undefined> {
    const patch =
      resourceVersion !== undefined
        ? {
            ...(body as Record<string, unknown>),
            metadata: { ...((body as { metadata?: object }).metadata ?? {}), resourceVersion },
          }
        : body;
    try {
      const res = await this.o.client.patch({ ...APP_REF, namespace: this.namespace, name }, patch);
      this.counters.statusPatches++;
      this.apps.observe(res);
      return this.apps.get(name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw new ControllerError(
        'ERR_STATUS_PATCH',
        `failed to patch application ${name}: ${errorMessage(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  // ------------------------------------------------------------------ operations

  private async processOperation(name: string): Promise<void> {
    const app = this.apps.get(name);
    if (!app) {
      this.syncRunner.forget(name);
      return;
    }
    if (!this.ownsApp(app)) return;
    if (app.metadata.deletionTimestamp) {
      await this.finalizeDeletion(app);
      return;
    }
    if (!app.operation) return;
    const state = app.status?.operationState;
    let current: OperationState;
    if (!state || !isRunning(state) || !jsonEqual(state.operation, app.operation)) {
      current = {
        operation: app.operation,
        phase: 'Running',
        message: '',
        startedAt: isoSeconds(this.now()),
      };
      this.counters.operations++;
      this.syncRunner.forget(name);
      // the Running state is written with the first round's progress (one write less per sync);
      // an operation interrupted before that simply starts again
      const initiated = app.operation.initiatedBy;
      const user = initiated?.automated ? 'automated sync' : (initiated?.username ?? '');
      const target = app.operation.sync?.revision ?? app.spec.source?.targetRevision ?? 'HEAD';
      void this.appEvent(
        app,
        EventReasons.OperationStarted,
        initiated?.automated
          ? `Initiated automated sync to '${target}'`
          : `${user} initiated sync to ${target}`,
        { user },
      );
    } else current = state;
    const fresh = this.apps.get(name) ?? app;
    const retryAt = Number(fresh.metadata.annotations?.[RETRY_AT_ANNOTATION] ?? '0');
    if (current.phase !== 'Terminating' && retryAt > this.now()) {
      this.operationQueue.addAfter(name, retryAt - this.now());
      return;
    }
    const result = await this.syncRound(fresh, current);
    if (result.phase === 'Running' || result.phase === 'Terminating') {
      // re-read: the API may have asked for termination while the round ran
      const latest = this.apps.get(name) ?? fresh;
      const st = sameOperation(latest.status?.operationState, current) ?? current;
      await this.writeOperationState(latest, {
        ...st,
        message: result.message,
        ...syncResultOf(latest, st, result),
      });
      this.operationQueue.addAfter(name, result.requeueAfterMs ?? 1_000);
      return;
    }
    this.syncRunner.forget(name);
    await this.completeOperation(this.apps.get(name) ?? fresh, current, result);
  }

  /** Advances the sync of an operation as far as it can go now (see SyncRunner). */
  private async syncRound(app: Application, state: OperationState): Promise<SyncStepResult> {
    const op = state.operation;
    const fail = (phase: 'Failed' | 'Error', message: string): SyncStepResult => ({
      phase,
      message,
      resources: state.syncResult?.resources ?? [],
      ...(state.syncResult?.revision ? { revision: state.syncResult.revision } : {}),
    });
    if (state.phase === 'Terminating' && !this.syncRunner.isRunning(app.metadata.name ?? ''))
      return fail('Failed', 'Operation terminated');
    const project = this.projects.get(app.spec.project);
    const cluster = this.clusterOf(app);
    if (!project)
      return fail(
        'Error',
        `Application referencing project ${app.spec.project} which does not exist`,
      );
    if (!cluster) return fail('Error', 'the destination cluster has not been configured');
    const dest = {
      server: cluster.server,
      name: cluster.name,
      namespace: app.spec.destination.namespace ?? '',
    };
    const specViolations = checkApplicationSpec(project, getSources(app.spec), dest);
    if (specViolations.length > 0)
      return fail('Failed', specViolations.map((v) => v.message).join('; '));
    let target: Target;
    try {
      const src = op.sync?.source ?? app.spec.source ?? getSources(app.spec)[0];
      if (!src) throw new ControllerError('ERR_INVALID_SPEC', 'the application has no source');
      const wanted = { ...src, targetRevision: op.sync?.revision || src.targetRevision || 'HEAD' };
      const revision =
        state.syncResult?.revision ?? (await this.manifestSource.resolveRevision(wanted));
      target = await this.loadTarget(app, [{ source: wanted, revision }], cluster.server, false);
    } catch (err) {
      return fail('Error', `failed to load target state: ${errorMessage(err)}`);
    }
    const handle = await this.registry.acquire(cluster.server);
    this.subscribe(handle);
    await this.ensureKinds(handle, target.cached?.kinds ?? kindRefsOf(target.objects ?? []));
    await this.ensureKinds(handle, statusKindsOf(app));
    await this.ensureKinds(handle, createdNamespaceKinds(app));
    const desired = this.desiredFor(app, target, handle);
    const violations = this.resourceViolations(project, dest, desired, handle);
    if (violations.length > 0) return fail('Failed', violations.map((v) => v.message).join('; '));
    const name = app.metadata.name ?? '';
    return this.syncRunner.round({
      app,
      operation: op,
      operationKey: `${state.startedAt}/${JSON.stringify(op)}`,
      revision: target.revision,
      compare: () =>
        compareAppState({
          desired,
          live: this.liveFor({ handle, desired, app }),
          cache: this.compareCache,
        }),
      live: (k) => handle.cache.get(k),
      applier: new KubeApplier(handle.client),
      concurrency: Math.max(1, this.o.kubectlParallelismLimit ?? 20),
      persisted: state.syncResult?.resources,
      terminate: state.phase === 'Terminating',
      nowMs: this.now(),
      timeoutMs: this.o.syncTimeoutMs ?? 0,
      progress: async (r) => {
        const cur = this.apps.get(name) ?? app;
        const st = sameOperation(cur.status?.operationState, state) ?? state;
        await this.writeOperationState(cur, {
          ...st,
          message: r.message,
          ...syncResultOf(cur, st, r),
        });
      },
      log: this.log,
    });
  }

  /** Writes `status.operationState` as one merge patch (only what changed). */
  private async writeOperationState(
    app: Application,
    state: OperationState,
    opts: { clearRetry?: boolean } = {},
  ): Promise<void> {
    const prev = pick(app.status, OPERATION_FIELDS);
    const statusPatch = mergePatch(prev, { ...prev, operationState: state });
    const body: Record<string, unknown> = {};
    if (statusPatch !== undefined) body.status = statusPatch;
    if (opts.clearRetry && app.metadata.annotations?.[RETRY_AT_ANNOTATION] !== undefined)
      body.metadata = { annotations: { [RETRY_AT_ANNOTATION]: null } };
    if (Object.keys(body).length === 0) return;
    await this.patchApp(app.metadata.name ?? '', body);
  }

  /** Finishes an operation (or schedules its retry), records history, events and metrics. */
  private async completeOperation(
    app: Application,
    state: OperationState,
    result: SyncStepResult,
  ): Promise<void> {
    const name = app.metadata.name ?? '';
    const op = state.operation;
    const finishedAt = isoSeconds(this.now());
    const failed = result.phase === 'Failed' || result.phase === 'Error';
    const retryCount = state.retryCount ?? 0;
    const terminated = app.status?.operationState?.phase === 'Terminating';
    const retryIn = failed && !terminated ? retryDelayMs(op.retry, retryCount) : undefined;
    const syncPart = syncResultOf(app, state, result);
    const prev = pick(app.status, OPERATION_FIELDS);
    if (retryIn !== undefined) {
      const at = this.now() + retryIn;
      const next: OperationState = {
        ...state,
        ...syncPart,
        phase: 'Running',
        retryCount: retryCount + 1,
        message: `Retrying attempt #${retryCount + 1} at ${new Date(at).toISOString().slice(11, 19)}. ${result.message}`,
      };
      // a retry starts from a fresh plan: drop the per-resource results of the failed attempt
      if (next.syncResult) next.syncResult = { ...next.syncResult, resources: [] };
      const statusPatch = mergePatch(prev, { ...prev, operationState: next });
      await this.patchApp(name, {
        ...(statusPatch !== undefined ? { status: statusPatch } : {}),
        metadata: { annotations: { [RETRY_AT_ANNOTATION]: String(at) } },
      });
      this.operationQueue.addAfter(name, retryIn);
      return;
    }
    const finalState: OperationState = {
      ...state,
      ...syncPart,
      phase: result.phase,
      message: result.message,
      finishedAt,
    };
    let cur = app;
    for (let attempt = 0; ; attempt++) {
      const base = pick(cur.status, OPERATION_FIELDS);
      const next: Record<string, unknown> = { ...base, operationState: finalState };
      if (result.phase === 'Succeeded' && op.sync?.dryRun !== true) {
        next.history = appendHistory(
          cur.status,
          {
            revision: syncPart.syncResult?.revision ?? '',
            deployedAt: finishedAt,
            deployStartedAt: state.startedAt,
            ...(cur.spec.source ? { source: cur.spec.source } : {}),
            ...(cur.spec.sources ? { sources: cur.spec.sources } : {}),
            ...(op.initiatedBy ? { initiatedBy: op.initiatedBy } : {}),
          },
          cur.spec.revisionHistoryLimit,
        );
      }
      const statusPatch = mergePatch(base, next);
      const body: Record<string, unknown> = {
        ...(statusPatch !== undefined ? { status: statusPatch } : {}),
        operation: null,
      };
      if (cur.metadata.annotations?.[RETRY_AT_ANNOTATION] !== undefined)
        body.metadata = { annotations: { [RETRY_AT_ANNOTATION]: null } };
      try {
        // the resourceVersion precondition keeps a new operation a user set meanwhile
        await this.patchApp(name, body, cur.metadata.resourceVersion);
        break;
      } catch (err) {
        if (!(err instanceof ControllerError && isConflict(err.cause))) throw err;
        // someone else wrote the app (often our own refresh): re-read it and finish this
        // operation again, unless a new operation replaced it
        const latest = await this.o.client.get({
          ...APP_REF,
          namespace: this.namespace,
          name,
        });
        this.apps.observe(latest);
        cur = this.apps.get(name) ?? cur;
        if (attempt >= 4 || !jsonEqual(cur.operation, op)) {
          this.operationQueue.add(name);
          return;
        }
      }
    }
    this.metrics?.countSync(app, result.phase);
    const rev = syncPart.syncResult?.revision ?? '';
    void this.appEvent(
      app,
      EventReasons.OperationCompleted,
      result.phase === 'Succeeded'
        ? `Sync operation to ${rev} succeeded`
        : `Sync operation to ${rev} failed: ${result.message}`,
      { type: result.phase === 'Succeeded' ? 'Normal' : 'Warning' },
    );
    this.requestRefresh(name, 'latest');
  }

  // ------------------------------------------------------------------ deletion

  /** Cascade deletion of an app with the resources finalizer, then the finalizer is removed. */
  private async finalizeDeletion(app: Application): Promise<void> {
    const name = app.metadata.name ?? '';
    const finalizers = app.metadata.finalizers ?? [];
    const ours = finalizers.filter((f) => RESOURCE_FINALIZERS.includes(f));
    if (ours.length === 0) return;
    const cluster = this.clusterOf(app);
    if (cluster) {
      let handle: ClusterHandle;
      try {
        handle = await this.registry.acquire(cluster.server);
      } catch (err) {
        throw new ControllerError(
          'ERR_DELETION',
          `failed to delete the resources of application ${name}: ${errorMessage(err)}`,
          { cause: err },
        );
      }
      this.subscribe(handle);
      await this.ensureKinds(handle, statusKindsOf(app));
      const instance = this.instanceOf(app);
      const tracking = this.tracking();
      // same app name, another installation (installationID): not ours to delete
      const tracked = (
        this.settings.trackingMethod === 'label'
          ? handle.cache.byInstance(instance)
          : handle.cache.byApp(instance)
      ).filter((o) => getAppInstance(o, tracking) === instance);
      const plan = planCascadeDeletion(tracked);
      const remaining = plan.delete;
      const live = plan.delete.filter((o) => !o.metadata.deletionTimestamp);
      if (live.length > 0) {
        const policy = ours.includes(Finalizers.resourcesBackground) ? 'Background' : 'Foreground';
        const results = await new KubeApplier(handle.client, {
          concurrency: Math.max(1, this.o.kubectlParallelismLimit ?? 20),
        }).deleteAll(live, { propagationPolicy: policy });
        const failed = results.filter((r) => !r.ok);
        if (failed.length > 0)
          throw new ControllerError(
            'ERR_DELETION',
            `failed to delete the resources of application ${name}: ${failed.map((f) => f.message).join('; ')}`,
          );
        void this.appEvent(
          app,
          EventReasons.ResourceDeleted,
          `Deleted ${results.length} resource(s) of application ${name} (cascade, ${policy})`,
        );
      }
      if (remaining.length > 0) {
        // wait until the cluster cache shows them gone
        this.operationQueue.addAfter(name, 500);
        return;
      }
    }
    await this.removeFinalizers(app, ours);
  }

  private async removeFinalizers(app: Application, remove: readonly string[]): Promise<void> {
    const name = app.metadata.name ?? '';
    const before = app.metadata.finalizers ?? [];
    const after = before.filter((f) => !remove.includes(f));
    try {
      const res = await this.o.client.patch({ ...APP_REF, namespace: this.namespace, name }, [
        { op: 'test', path: '/metadata/finalizers', value: before },
        { op: 'replace', path: '/metadata/finalizers', value: after },
      ]);
      this.apps.observe(res);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }
}

/** Persisted retry time of an operation (epoch ms), so a restart keeps the backoff. */
const RETRY_AT_ANNOTATION = 'argocd-ts.argoproj.io/operation-retry-at';

function isRunning(state: OperationState | undefined): state is OperationState {
  return state !== undefined && (state.phase === 'Running' || state.phase === 'Terminating');
}

/** The persisted state when it is the running state of the same operation (else undefined). */
function sameOperation(
  persisted: OperationState | undefined,
  current: OperationState,
): OperationState | undefined {
  return persisted &&
    isRunning(persisted) &&
    persisted.startedAt === current.startedAt &&
    jsonEqual(persisted.operation, current.operation)
    ? persisted
    : undefined;
}

function hasCredentials(c: Cluster): boolean {
  const cfg = c.config;
  return Boolean(cfg.bearerToken || cfg.username || cfg.tlsClientConfig?.certData);
}

/** The sources that generate manifests (a `ref`-only source only provides values files). */
function manifestSources(spec: ApplicationSpec): ApplicationSource[] {
  return getSources(spec).filter((src) => src.path !== undefined || src.chart !== undefined);
}

function targetOf(entry: DesiredCacheEntry): Target {
  return {
    key: entry.key,
    revision: entry.revision,
    sourceType: entry.sourceType,
    cached: entry,
  };
}

function kindRef(group: string, kind: string): KindRef {
  return { group, kind, id: `${group}/${kind}` };
}

/** The distinct kinds of some objects. */
function kindRefsOf(objects: readonly KubeObject[]): KindRef[] {
  const kinds = new Map<string, KindRef>();
  for (const o of objects) {
    const k = kindRef(groupOfApiVersion(o.apiVersion), o.kind);
    if (!kinds.has(k.id)) kinds.set(k.id, k);
  }
  return [...kinds.values()];
}

/** Kinds listed in the app's status (removed manifests are still seen, and so pruned). */
const statusKinds = new WeakMap<object, readonly KindRef[]>();
function statusKindsOf(app: Application): readonly KindRef[] {
  const resources = app.status?.resources;
  if (!resources || resources.length === 0) return [];
  let kinds = statusKinds.get(resources);
  if (!kinds) {
    const m = new Map<string, KindRef>();
    for (const r of resources) {
      if (!r.kind) continue;
      const k = kindRef(r.group ?? '', r.kind);
      if (!m.has(k.id)) m.set(k.id, k);
    }
    kinds = [...m.values()];
    statusKinds.set(resources, kinds);
  }
  return kinds;
}

const NAMESPACE_KINDS: readonly KindRef[] = [kindRef('', 'Namespace')];

/**
 * CreateNamespace=true: the sync creates the destination namespace and waits for it to be
 * healthy, so the cache must follow namespaces too.
 */
function createdNamespaceKinds(app: Application): readonly KindRef[] {
  const options = [
    ...(app.spec.syncPolicy?.syncOptions ?? []),
    ...(app.operation?.sync?.syncOptions ?? []),
  ];
  return options.includes('CreateNamespace=true') ? NAMESPACE_KINDS : [];
}

/** What the project's resource rules depend on besides the objects. */
function violationKey(project: AppProject, dest: ResolvedDestination): string {
  return `${project.metadata.name ?? ''}@${project.metadata.resourceVersion ?? ''}|${dest.server}|${dest.namespace}`;
}

function groupOfApiVersion(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

function syncResultOf(
  app: Application,
  state: OperationState,
  result: SyncStepResult,
): Pick<OperationState, 'syncResult'> {
  const revision = result.revision ?? state.syncResult?.revision;
  if (revision === undefined) return {};
  return {
    syncResult: {
      revision,
      ...(result.resources.length > 0 ? { resources: result.resources } : {}),
      ...(state.operation.sync?.source
        ? { source: state.operation.sync.source }
        : app.spec.source
          ? { source: app.spec.source }
          : {}),
      ...(app.spec.sources ? { sources: app.spec.sources } : {}),
    },
  };
}

export type { ApplicationCondition };
