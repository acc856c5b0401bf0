/**
 * engine-agent: a reference consumer of `src/engine` alone (≈ gitops-engine's `agent`). It keeps an
 * in-memory "cluster" in sync with a set of manifests: parse → prepare → compare → plan → run the
 * sync state machine to completion, executing its actions against the in-memory cluster, which
 * plays the Kubernetes controllers (Deployments become available, Jobs complete).
 *
 *   npx tsx examples/engine-agent.ts        prints each round's sync result
 *
 * It imports nothing but the engine's, apis' and lib's public entry points (dependency-cruiser rule
 * `examples-use-engine-only`), so CI proves the engine is usable without the product.
 */
import { pathToFileURL } from 'node:url';
import type { KubeObject } from '../src/apis/index.js';
import {
  compareAppState,
  formatResourceKey,
  parseManifests,
  planSync,
  prepareDesired,
  resourceKeyOf,
  startSync,
  stepSync,
  type CompareResult,
  type ResourceInfoProvider,
  type ResourceKey,
  type SyncAction,
  type SyncActionResult,
  type SyncStep,
} from '../src/engine/index.js';

/** Kinds this toy cluster serves, with their scope. */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
]);

/** An in-memory Kubernetes: a map of objects and a few controllers. */
export class InMemoryCluster implements ResourceInfoProvider {
  private readonly objects = new Map<string, KubeObject>();
  private readonly terminating = new Set<string>();
  private seq = 0;

  isNamespaced(_group: string, kind: string): boolean {
    return !CLUSTER_SCOPED.has(kind);
  }

  get(key: ResourceKey): KubeObject | undefined {
    return this.objects.get(formatResourceKey(key));
  }

  list(): KubeObject[] {
    return [...this.objects.values()];
  }

  /** Executes sync actions as an API server would (server-side apply is a merge-free replace here). */
  execute(actions: readonly SyncAction[]): SyncActionResult[] {
    return actions.map((a): SyncActionResult => {
      if (a.type === 'delete') {
        const k = formatResourceKey(a.key);
        const cur = this.objects.get(k);
        if (cur === undefined || (a.uid !== undefined && cur.metadata.uid !== a.uid)) {
          return {
            id: a.id,
            ok: true,
            notFound: true,
            message: `${a.key.kind} ${a.key.name} not found`,
          };
        }
        if (!a.dryRun) this.terminating.add(k);
        return { id: a.id, ok: true, message: `${a.key.kind.toLowerCase()}/${a.key.name} deleted` };
      }
      const obj = structuredClone(a.object);
      this.seq++;
      if (obj.metadata.name === undefined)
        obj.metadata.name = `${obj.metadata.generateName ?? 'obj-'}${this.seq}`;
      const k = formatResourceKey(resourceKeyOf(obj));
      const label = `${obj.kind.toLowerCase()}/${obj.metadata.name}`;
      if (a.dryRun)
        return { id: a.id, ok: true, message: `${label} serverside-applied (server dry run)` };
      const prev = this.objects.get(k);
      obj.metadata.uid = prev?.metadata.uid ?? `uid-${this.seq}`;
      const specChanged = JSON.stringify(prev?.spec) !== JSON.stringify(obj.spec);
      obj.metadata.generation = (prev?.metadata.generation ?? 0) + (specChanged ? 1 : 0);
      obj.metadata.resourceVersion = String(this.seq);
      if (prev?.status !== undefined && obj.kind !== 'Job') obj.status = prev.status;
      this.objects.set(k, obj);
      return {
        id: a.id,
        ok: true,
        message: `${label} ${prev === undefined ? 'created' : 'serverside-applied'}`,
        object: { metadata: obj.metadata },
      };
    });
  }

  /** One round of the controllers: deletions finish, Deployments roll out, Jobs complete. */
  tick(): void {
    for (const k of this.terminating) this.objects.delete(k);
    this.terminating.clear();
    for (const o of this.objects.values()) {
      if (o.kind === 'Deployment') {
        const spec = o.spec as { replicas?: number } | undefined;
        const replicas = spec?.replicas ?? 1;
        o.status = {
          observedGeneration: o.metadata.generation,
          replicas,
          updatedReplicas: replicas,
          readyReplicas: replicas,
          availableReplicas: replicas,
        };
      }
      if (o.kind === 'Job')
        o.status = { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] };
    }
  }
}

/** What one round of the agent did. */
export interface RoundResult {
  readonly before: CompareResult;
  readonly sync: SyncStep | undefined;
  readonly after: CompareResult;
  /** actions executed, as `<type> <Kind>/<name>` (dry runs left out) */
  readonly actions: readonly string[];
}

/** Options of one round. */
export interface RoundOptions {
  readonly appName: string;
  readonly namespace: string;
  readonly prune?: boolean;
  readonly maxSteps?: number;
}

function compare(
  cluster: InMemoryCluster,
  manifests: readonly string[],
  opts: RoundOptions,
): CompareResult {
  const desired = prepareDesired(parseManifests(manifests), {
    appInstanceName: opts.appName,
    destinationNamespace: opts.namespace,
    resourceInfo: cluster,
  });
  return compareAppState({ desired, live: cluster.list() });
}

/**
 * Compares the manifests with the cluster and, when out of sync, syncs: plans, then steps the
 * state machine, executing its actions and letting the cluster's controllers run whenever the
 * machine waits.
 */
export function syncRound(
  cluster: InMemoryCluster,
  manifests: readonly string[],
  opts: RoundOptions,
): RoundResult {
  const before = compare(cluster, manifests, opts);
  const actions: string[] = [];
  let sync: SyncStep | undefined;
  if (before.syncStatus !== 'Synced') {
    const plan = planSync(before, {
      prune: opts.prune ?? true,
      destinationNamespace: opts.namespace,
      syncOptions: ['CreateNamespace=true'],
      destinationNamespaceExists:
        cluster.get({ group: '', kind: 'Namespace', namespace: '', name: opts.namespace }) !==
        undefined,
    });
    let state = startSync(plan);
    let results: SyncActionResult[] = [];
    for (let i = 0; ; i++) {
      if (i >= (opts.maxSteps ?? 100)) throw new Error('the sync did not finish');
      const step = stepSync(plan, state, { results, live: (k) => cluster.get(k) });
      // the state is plain JSON: a real controller would persist it (or its resource results) here
      state = step.state;
      if (step.done) {
        sync = step;
        break;
      }
      for (const a of step.actions) {
        if (a.dryRun) continue;
        const key = a.type === 'delete' ? a.key : resourceKeyOf(a.object);
        actions.push(
          `${a.type} ${key.kind}/${key.name || (a.type !== 'delete' ? (a.object.metadata.generateName ?? '') : '')}`,
        );
      }
      results = cluster.execute(step.actions);
      if (step.actions.length === 0) cluster.tick();
    }
    cluster.tick();
  }
  return { before, sync, after: compare(cluster, manifests, opts), actions };
}

/** Version 1 of the demo app: a PreSync hook, a wave -1 ConfigMap, a Deployment, a Service, a ConfigMap v2 drops. */
const demoV1 = `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations:
    argocd.argoproj.io/hook: PreSync
    argocd.argoproj.io/hook-delete-policy: BeforeHookCreation
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: example/migrate:1
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  annotations:
    argocd.argoproj.io/sync-wave: "-1"
data:
  mode: production
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: example/web:1
          resources:
            limits: {cpu: 1000m, memory: 1Gi}
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
    - port: 80
      targetPort: 8080
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: legacy
data:
  retired: "soon"
`;

/** The manifests of the demo app, version 1 and version 2 (new image, one object removed). */
export const demoManifests: { readonly v1: readonly string[]; readonly v2: readonly string[] } = {
  v1: [demoV1],
  v2: [
    demoV1
      .replace('example/web:1', 'example/web:2')
      .replace(
        /---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n {2}name: legacy\ndata:\n {2}retired: "soon"\n/,
        '',
      ),
  ],
};

/** Runs the demo: sync v1 into an empty cluster, sync again (no-op), then sync v2. */
export function runDemo(print: (line: string) => void = () => undefined): RoundResult[] {
  const cluster = new InMemoryCluster();
  const opts: RoundOptions = { appName: 'demo', namespace: 'demo' };
  const rounds = [
    syncRound(cluster, demoManifests.v1, opts),
    syncRound(cluster, demoManifests.v1, opts),
    syncRound(cluster, demoManifests.v2, opts),
  ];
  rounds.forEach((r, i) => {
    print(
      `round ${i + 1}: ${r.before.syncStatus} -> ${r.after.syncStatus} (${r.after.health.status})`,
    );
    if (r.sync) print(`  sync ${r.sync.phase}: ${r.sync.message}`);
    for (const a of r.actions) print(`  ${a}`);
  });
  return rounds;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runDemo((line) => {
    process.stdout.write(`${line}\n`);
  });
}
