/**
 * sync-cold (performance anchors §7 rows 2 and 3): N apps × 4 objects (Deployment scaled to 0,
 * ServiceAccount, Service, ConfigMap) synced from scratch by automated sync, on the real
 * kube-apiserver with both of the controller's clients (control plane: Application writes and
 * Events; managed cluster: discovery, watches, applies) at Argo CD's defaults (QPS 50, burst 100),
 * 10 operation processors and 20 parallel requests per sync.
 *
 * Candidate: time from creating the Applications to every app Synced with its operation Succeeded.
 * Reference: a bare `KubeClient` replaying the same server-side applies — a server-side dry run of
 * each object, then the apply, as the sync does — with the same concurrency (10 apps at a time)
 * and the same rate limiter settings, into another namespace. Ratio = reference time / candidate
 * time (throughput ratio); target ≥ 0.8. Flux's kustomize-controller needs 26 s for 100 and 4m13s
 * for 1,000 such apps on 2 CPUs (context only: different hardware).
 */
import type { KubeObject } from '../../src/apis/index.js';
import { KubeClient, loadKubeconfig } from '../../src/kube/index.js';
import { testCluster } from '../../src/kubeenv/index.js';
import { tempNamespace } from '../../test/support/kube.js';
import { startControllerBench, toYaml, waitUntil } from '../controller-lib.js';
import { round, type BenchResult, type Scenario } from '../lib.js';

const SIZES = { S: [100], M: [100, 1000], L: [100, 1000] } as const;
const QPS = 50;
const BURST = 100;
const OPERATION_PROCESSORS = 10;

function appObjects(app: string): KubeObject[] {
  const labels = { app };
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: app },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: app },
      spec: {
        replicas: 0,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: app,
            containers: [{ name: 'web', image: 'registry.example/web:1.0.0' }],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: app },
      // headless: the test API server's service IP range holds a few hundred addresses
      spec: {
        clusterIP: 'None',
        selector: labels,
        ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${app}-config` },
      data: { greeting: `hello from ${app}` },
    },
  ];
}

/** The reference: dry run then apply of each app's objects, 10 apps at a time, one limiter. */
async function bareReplay(apps: readonly string[], ns: string): Promise<number> {
  const cluster = await testCluster();
  const client = new KubeClient(loadKubeconfig(cluster.kubeconfigPath), { qps: QPS, burst: BURST });
  const t0 = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < apps.length) {
      const app = apps[next++] ?? '';
      const objs = appObjects(app).map((o) => ({
        ...o,
        metadata: { ...o.metadata, namespace: ns },
      }));
      await Promise.all(
        objs.map((o) =>
          client.apply(o, { fieldManager: 'argocd-controller', force: true, dryRun: true }),
        ),
      );
      await Promise.all(
        objs.map((o) => client.apply(o, { fieldManager: 'argocd-controller', force: true })),
      );
    }
  };
  await Promise.all(Array.from({ length: OPERATION_PROCESSORS }, worker));
  const ms = performance.now() - t0;
  client.close();
  return ms;
}

export const scenario: Scenario = {
  name: 'sync-cold',
  description:
    'N apps × 4 objects synced from scratch (QPS 50/burst 100) vs a bare client replaying the same dry-run + server-side applies',
  async run(ctx): Promise<BenchResult[]> {
    const results: BenchResult[] = [];
    for (const n of SIZES[ctx.size]) {
      const names = Array.from({ length: n }, (_, i) => `cold${i}`);
      const files: Record<string, string> = {};
      for (const a of names) files[`${a}/all.yaml`] = toYaml(appObjects(a));
      const bench = await startControllerBench('cold', files);
      const refNs = await tempNamespace('cold-ref');
      try {
        const refMs = await bareReplay(names, refNs.name);
        ctx.log(`reference: ${n} apps × 4 objects in ${Math.round(refMs)} ms`);
        // per-app phase times from the controller's own log (auto-sync decided, sync planned)
        const decided = new Map<string, number>();
        const planned = new Map<string, number>();
        const created = new Map<string, number>();
        const ctl = await bench.startController({
          // every client of the controller at the same limits, as the binary sets them
          // (--k8s-client-qps/--k8s-client-burst apply to the control-plane clients too)
          client: bench.client(QPS, BURST),
          eventClient: bench.client(QPS, BURST),
          log: (_level, message, fields) => {
            const app = typeof fields?.application === 'string' ? fields.application : undefined;
            if (app === undefined) return;
            if (message === 'sync planned') {
              if (!planned.has(app)) planned.set(app, performance.now());
            } else if (message.startsWith('initiated automated sync')) {
              if (!decided.has(app)) decided.set(app, performance.now());
            }
          },
          operationProcessors: OPERATION_PROCESSORS,
          kubectlParallelismLimit: 20,
          clusterClientOptions: { qps: QPS, burst: BURST },
        });
        const c = ctl.controller;
        const t0 = performance.now();
        await bench.createApps(names, (name) => {
          created.set(name, performance.now());
          return { syncPolicy: { automated: { prune: true } } };
        });
        await waitUntil(
          'every app is Synced',
          () =>
            c
              .listApps()
              .filter(
                (a) =>
                  a.status?.sync?.status === 'Synced' &&
                  a.status.operationState?.phase === 'Succeeded' &&
                  a.operation === undefined,
              ).length === n,
          1_800_000,
          100,
        );
        const candMs = performance.now() - t0;
        // timeline from the apps' own timestamps (1 s resolution)
        const t0Wall = Date.now() - candMs;
        const secs = (iso: string | undefined): number =>
          iso === undefined ? NaN : (Date.parse(iso) - t0Wall) / 1000;
        const apps = c.listApps();
        const started = apps
          .map((a) => secs(a.status?.operationState?.startedAt))
          .sort((x, y) => x - y);
        const finished = apps
          .map((a) => secs(a.status?.operationState?.finishedAt))
          .sort((x, y) => x - y);
        const durations = apps
          .map(
            (a) =>
              secs(a.status?.operationState?.finishedAt) -
              secs(a.status?.operationState?.startedAt),
          )
          .sort((x, y) => x - y);
        const median = (xs: number[]): number =>
          round((xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? NaN) / 1000, 2);
        const gap = (a: Map<string, number>, b: Map<string, number>): number[] =>
          names.map((x) => (b.get(x) ?? NaN) - (a.get(x) ?? NaN)).filter((x) => !isNaN(x));
        const phases = {
          medianCreatedToAutoSyncS: median(gap(created, decided)),
          medianAutoSyncToPlannedS: median(gap(decided, planned)),
          firstAutoSyncS: round((Math.min(...decided.values()) - t0) / 1000, 2),
          firstPlannedS: round((Math.min(...planned.values()) - t0) / 1000, 2),
          lastPlannedS: round((Math.max(...planned.values()) - t0) / 1000, 2),
        };
        const timeline = {
          firstStartS: round(started[0] ?? NaN, 1),
          lastStartS: round(started[started.length - 1] ?? NaN, 1),
          firstFinishS: round(finished[0] ?? NaN, 1),
          lastFinishS: round(finished[finished.length - 1] ?? NaN, 1),
          medianOperationS: round(durations[Math.floor(durations.length / 2)] ?? NaN, 1),
        };
        const failed = c.listApps().filter((a) => a.status?.operationState?.phase !== 'Succeeded');
        const managed = (await c.registry.acquire('https://kubernetes.default.svc')).client.stats();
        ctx.log(`candidate: ${n} apps Synced in ${Math.round(candMs)} ms`);
        const ratio = refMs / candMs;
        results.push({
          scenario: 'sync-cold',
          metric: `apps-${n}`,
          value: candMs / 1000,
          unit: 's',
          reference: refMs / 1000,
          ratio,
          target: '>= 0.8x the bare replay throughput (ratio = reference time / candidate time)',
          pass: ratio >= 0.8 && failed.length === 0,
          details: {
            apps: n,
            objects: n * 4,
            appsPerSecond: round(n / (candMs / 1000), 1),
            referenceAppsPerSecond: round(n / (refMs / 1000), 1),
            clusterApiCalls: c.apiCalls(),
            managedClusterRequests: managed.requests,
            // time requests of the managed cluster's client spent waiting for the limiter
            managedClusterThrottledS: round(managed.throttledMs / 1000, 1),
            statusPatches: c.counters.statusPatches,
            failed: failed.length,
            timeline,
            phases,
          },
        });
      } finally {
        await refNs.cleanup();
        await bench.close();
      }
    }
    return results;
  },
};
