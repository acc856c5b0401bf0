/**
 * reconcile-noop (performance anchors §7 row 1): N apps × 20 resources, all in sync, warm caches,
 * on the real kube-apiserver with the real repo server process.
 *
 * The live objects are created the way a sync leaves them (server-side apply as
 * `argocd-controller`, tracking annotation), then the controller starts and compares every app once
 * (they must all come out Synced). Measured, interleaved with the floor:
 * - `refresh-recent`: every app refreshed once as a live-state change triggers it (manifests from
 *   the controller's cache, compare against the cluster cache, no status write when nothing
 *   changed): app refreshes per second and API calls made (target: ≥ 1,000 apps/s, 0 calls).
 * - `refresh-periodic`: the same at the periodic level (revision resolved through the repo server,
 *   coalesced per repository; `reconciledAt` written, one PATCH per app as Argo CD does).
 * - `memory-per-app`: heap held by the controller (apps, cluster cache, manifest and desired-state
 *   caches) after a forced GC, per app (target ≤ 100 KiB).
 * Floor: a subset-equal loop over the same in-memory desired and live objects.
 */
import type { KubeObject } from '../../src/apis/index.js';
import { formatTrackingId } from '../../src/kube/index.js';
import { gc, startControllerBench, toYaml, waitUntil } from '../controller-lib.js';
import { interleave, median, round, type BenchResult, type Scenario } from '../lib.js';

const SIZES = {
  S: { apps: 100, pairs: 3 },
  M: { apps: 1000, pairs: 5 },
  L: { apps: 2000, pairs: 5 },
} as const;

/** The 20 desired objects of one app (as stored in git: no namespace, no tracking). */
function appManifests(app: string): KubeObject[] {
  const labels = { app };
  return [
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
            containers: [
              {
                name: 'web',
                image: 'registry.example/web:1.2.3',
                ports: [{ containerPort: 8080, protocol: 'TCP' }],
                env: Array.from({ length: 10 }, (_, j) => ({ name: `VAR_${j}`, value: `v${j}` })),
                resources: { requests: { cpu: '100m', memory: '128Mi' } },
              },
            ],
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
      kind: 'Secret',
      metadata: { name: `${app}-creds` },
      data: { password: Buffer.from(`pw-${app}`).toString('base64') },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: app },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: app },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: app },
      subjects: [{ kind: 'ServiceAccount', name: 'default' }],
    },
    ...Array.from({ length: 15 }, (_, i): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${app}-cm${i}` },
      data: Object.fromEntries(
        Array.from({ length: 8 }, (_, j) => [`key${j}`, `value-${i}-${j}-${'x'.repeat(60)}`]),
      ),
    })),
  ];
}

/** What a sync applies: the namespace and the tracking annotation set. */
function asApplied(obj: KubeObject, app: string, ns: string): KubeObject {
  const group = obj.apiVersion.includes('/') ? (obj.apiVersion.split('/')[0] ?? '') : '';
  const copy = JSON.parse(JSON.stringify(obj)) as KubeObject;
  copy.metadata.namespace = ns;
  copy.metadata.annotations = {
    'argocd.argoproj.io/tracking-id': formatTrackingId(app, {
      group,
      kind: obj.kind,
      namespace: ns,
      name: obj.metadata.name ?? '',
    }),
  };
  if (obj.kind === 'RoleBinding')
    (copy as unknown as { subjects: { namespace?: string }[] }).subjects[0] = {
      ...(copy as unknown as { subjects: object[] }).subjects[0],
      namespace: ns,
    };
  return copy;
}

/** desired ⊆ live: every field desired sets has the same value live (lists element-wise). */
function isSubset(desired: unknown, live: unknown): boolean {
  if (desired === live) return true;
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return false;
    for (let i = 0; i < desired.length; i++) if (!isSubset(desired[i], live[i])) return false;
    return true;
  }
  if (typeof desired === 'object' && desired !== null) {
    if (typeof live !== 'object' || live === null) return false;
    for (const [k, v] of Object.entries(desired))
      if (!isSubset(v, (live as Record<string, unknown>)[k])) return false;
    return true;
  }
  return String(desired) === String(live);
}

export const scenario: Scenario = {
  name: 'reconcile-noop',
  description:
    'N apps × 20 resources all in sync: app refreshes/s (recent and periodic), API calls, heap per app, vs a subset-equal loop',
  async run(ctx): Promise<BenchResult[]> {
    const size = SIZES[ctx.size];
    const names = Array.from({ length: size.apps }, (_, i) => `app${i}`);
    const files: Record<string, string> = {};
    for (const n of names) files[`${n}/all.yaml`] = toYaml(appManifests(n));
    const t0 = performance.now();
    const bench = await startControllerBench('noop', files);
    const results: BenchResult[] = [];
    try {
      const { admin, dest } = bench;
      const live: KubeObject[] = names.flatMap((n) =>
        appManifests(n).map((o) => asApplied(o, n, dest)),
      );
      let next = 0;
      const applyWorker = async (): Promise<void> => {
        while (next < live.length) {
          const o = live[next++];
          if (o) await admin.apply(o, { fieldManager: 'argocd-controller', force: true });
        }
      };
      await Promise.all(Array.from({ length: 32 }, applyWorker));
      ctx.log(
        `applied ${live.length} live objects (${Math.round(performance.now() - t0)} ms since start)`,
      );
      await bench.createApps(names, () => ({}));
      gc();
      const heapBefore = process.memoryUsage().heapUsed;
      const ctl = await bench.startController({ statusProcessors: 20 });
      const c = ctl.controller;
      await waitUntil(
        'every app is compared',
        () => c.listApps().filter((a) => a.status?.sync?.status !== undefined).length === size.apps,
        600_000,
        200,
      );
      const outOfSync = c.listApps().filter((a) => a.status?.sync?.status !== 'Synced');
      if (outOfSync.length > 0)
        throw new Error(
          `${outOfSync.length} apps are not Synced, e.g. ${outOfSync[0]?.metadata.name ?? ''}: ${JSON.stringify(outOfSync[0]?.status?.resources?.filter((r) => r.status !== 'Synced').slice(0, 3))}`,
        );
      ctx.log(
        `controller settled: ${size.apps} apps Synced (${Math.round(performance.now() - t0)} ms since start)`,
      );
      await new Promise((r) => setTimeout(r, 1_000));
      gc();
      const heapAfter = process.memoryUsage().heapUsed;
      const perAppKiB = (heapAfter - heapBefore) / size.apps / 1024;

      const idle = (): boolean => c.refreshQueue.len() === 0 && c.refreshQueue.inFlight() === 0;
      const refreshAll = async (
        level: 'recent' | 'latest',
      ): Promise<{ ms: number; calls: number; patches: number }> => {
        await waitUntil('the queue is idle', idle, 60_000, 5);
        const calls0 = c.apiCalls();
        const patches0 = c.counters.statusPatches;
        const before = c.counters.refreshes;
        const t = performance.now();
        for (const n of names) c.requestRefresh(n, level);
        await waitUntil(
          'every app refreshed',
          () => c.counters.refreshes - before >= size.apps && idle(),
          120_000,
          1,
        );
        const ms = performance.now() - t;
        return { ms, calls: c.apiCalls() - calls0, patches: c.counters.statusPatches - patches0 };
      };
      // floor inputs: the same desired objects (as the controller holds them) and live objects
      const cache = await c.registry.acquire('https://kubernetes.default.svc');
      const pairs: [KubeObject, KubeObject][] = [];
      for (const o of live) {
        const got = cache.cache.get({
          group: o.apiVersion.includes('/') ? (o.apiVersion.split('/')[0] ?? '') : '',
          kind: o.kind,
          namespace: dest,
          name: o.metadata.name ?? '',
        });
        if (!got) throw new Error(`${o.kind} ${o.metadata.name ?? ''} is not in the cluster cache`);
        pairs.push([o, got]);
      }
      const floor = (): Promise<number> => {
        const t = performance.now();
        let ok = 0;
        for (const [d, l] of pairs)
          if (
            isSubset(
              d.spec ?? d.data ?? d.rules ?? d.roleRef,
              l.spec ?? l.data ?? l.rules ?? l.roleRef,
            )
          )
            ok++;
        if (ok !== pairs.length) throw new Error(`floor: ${pairs.length - ok} objects differ`);
        return Promise.resolve(performance.now() - t);
      };
      const recentRuns: { ms: number; calls: number; patches: number }[] = [];
      const recent = await interleave(size.pairs, floor, async () => {
        const r = await refreshAll('recent');
        recentRuns.push(r);
        return r.ms;
      });
      const recentRate = size.apps / (median(recent.candidate) / 1000);
      const floorRate = size.apps / (median(recent.reference) / 1000);
      const calls = Math.max(...recentRuns.map((r) => r.calls));
      results.push({
        scenario: 'reconcile-noop',
        metric: 'refresh-recent',
        value: recentRate,
        unit: 'apps/s',
        reference: floorRate,
        ratio: median(recent.ratios),
        target: '>= 1000 apps/s and 0 API calls',
        pass: recentRate >= 1000 && calls === 0,
        details: {
          apps: size.apps,
          resourcesPerApp: 20,
          candidateMs: recent.candidate.map((x) => round(x, 1)),
          floorMs: recent.reference.map((x) => round(x, 2)),
          apiCallsPerRound: recentRuns.map((r) => r.calls),
          statusPatchesPerRound: recentRuns.map((r) => r.patches),
        },
      });
      const periodicRuns: { ms: number; calls: number; patches: number }[] = [];
      const periodic = await interleave(Math.min(3, size.pairs), floor, async () => {
        // a new second, so reconciledAt changes as on a real periodic refresh
        await new Promise((r) => setTimeout(r, 1_100));
        const r = await refreshAll('latest');
        periodicRuns.push(r);
        return r.ms;
      });
      const periodicRate = size.apps / (median(periodic.candidate) / 1000);
      results.push({
        scenario: 'reconcile-noop',
        metric: 'refresh-periodic',
        value: periodicRate,
        unit: 'apps/s',
        reference: size.apps / (median(periodic.reference) / 1000),
        ratio: median(periodic.ratios),
        target: '>= 1000 apps/s (one reconciledAt PATCH per app, revision resolved once per repo)',
        pass: periodicRate >= 1000,
        details: {
          candidateMs: periodic.candidate.map((x) => round(x, 1)),
          apiCallsPerRound: periodicRuns.map((r) => r.calls),
          repoServerCalls: { ...c.manifestSource.calls },
        },
      });
      results.push({
        scenario: 'reconcile-noop',
        metric: 'memory-per-app',
        value: perAppKiB,
        unit: 'KiB/app',
        reference: 100,
        ratio: perAppKiB / 100,
        target: '<= 100 KiB per 20-resource app (Argo CD: 200-450 KiB)',
        pass: perAppKiB <= 100,
        details: {
          heapBeforeMiB: round(heapBefore / 1048576, 1),
          heapAfterMiB: round(heapAfter / 1048576, 1),
          cachedObjects: cache.cache.size(),
          rssMiB: round(process.memoryUsage().rss / 1048576, 1),
        },
      });
    } finally {
      await bench.close();
    }
    return results;
  },
};
