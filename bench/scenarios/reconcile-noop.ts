/**
 * reconcile-noop (performance anchors §7 rows 1 and 13): N apps × 20 resources, all in sync, warm
 * caches, on the real kube-apiserver with the real repo server process. The controller's clients
 * have Argo CD's default rate limit (QPS 50, burst 100) and 20 status processors.
 *
 * The live objects are created the way a sync leaves them (server-side apply as
 * `argocd-controller`, tracking annotation); the controller compares every app (they must all come
 * out Synced and Healthy). Measured:
 * - `memory-per-app`: heap after a forced GC with N/2 apps and with N apps (the second half's live
 *   objects and apps added while the controller runs): the per-app slope between the two sizes
 *   (target ≤ 100 KiB), and beside it the total per app including the controller's fixed
 *   overhead (heap before the controller started subtracted).
 * - `refresh-recent`: every app refreshed once as a live-state change triggers it (manifests from
 *   the controller's cache, compare against the cluster cache, no write when nothing changed):
 *   app refreshes per second and API calls made (target ≥ 1,000 apps/s, 0 calls); interleaved with
 *   the floor, a subset-equal loop over the same in-memory desired and live objects.
 * - `refresh-periodic`: the same at the periodic level (revision resolved through the repo server,
 *   coalesced per repository); `reconciledAt` is recent, so no write (target ≥ 1,000 apps/s).
 * - `refresh-periodic-stale`: every app's `reconciledAt` older than the bound
 *   (`--reconciled-at-max-age-seconds`), so each periodic refresh writes one PATCH (what Argo CD
 *   does on every refresh). Reference, interleaved: the raw kube-apiserver PATCH throughput of the
 *   same merge patch of each Application's status with a client of the same QPS/burst and the same
 *   concurrency (20). Ratio = reference time / candidate time (target ≥ 0.8).
 */
import type { KubeObject } from '../../src/apis/index.js';
import { formatTrackingId } from '../../src/kube/index.js';
import { APPS } from '../../test/support/controller.js';
import {
  gc,
  heapSnapshotIfAsked,
  profiled,
  startControllerBench,
  toYaml,
  waitUntil,
} from '../controller-lib.js';
import { interleave, median, round, type BenchResult, type Scenario } from '../lib.js';

const SIZES = {
  S: { apps: 100, pairs: 3 },
  M: { apps: 1000, pairs: 5 },
  L: { apps: 2000, pairs: 5 },
} as const;
/** Argo CD's client defaults (`ARGOCD_K8S_CLIENT_QPS/BURST`) and `--status-processors` */
const QPS = 50;
const BURST = 100;
const STATUS_PROCESSORS = 20;

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
    'N apps × 20 resources all in sync: app refreshes/s (recent, periodic, periodic with a reconciledAt write vs raw PATCH), API calls, heap per app',
  async run(ctx): Promise<BenchResult[]> {
    const size = SIZES[ctx.size];
    const names = Array.from({ length: size.apps }, (_, i) => `app${i}`);
    const half = Math.floor(size.apps / 2);
    const files: Record<string, string> = {};
    for (const n of names) files[`${n}/all.yaml`] = toYaml(appManifests(n));
    const t0 = performance.now();
    const since = (): string => `${Math.round(performance.now() - t0)} ms since start`;
    const bench = await startControllerBench('noop', files);
    const results: BenchResult[] = [];
    try {
      const { dest, argo } = bench;
      const liveOf = (ns: readonly string[]): KubeObject[] =>
        ns.flatMap((n) => appManifests(n).map((o) => asApplied(o, n, dest)));
      const live = liveOf(names);
      await bench.applyAll(live.slice(0, half * 20));
      await bench.createApps(names.slice(0, half), () => ({}));
      ctx.log(`applied ${half * 20} live objects, created ${half} apps (${since()})`);
      const client = bench.client(QPS, BURST);
      gc();
      const heap0 = process.memoryUsage().heapUsed;
      const ctl = await bench.startController({
        client,
        statusProcessors: STATUS_PROCESSORS,
        clusterClientOptions: { qps: QPS, burst: BURST },
        // the rounds trigger every refresh themselves: no periodic timer may write reconciledAt
        // in between (a run at 1,000 apps lasts longer than the default 120 s)
        resyncMs: 86_400_000,
        resyncJitterMs: 0,
      });
      const c = ctl.controller;
      const idle = (): boolean => c.refreshQueue.len() === 0 && c.refreshQueue.inFlight() === 0;
      const settled = async (count: number): Promise<void> => {
        await waitUntil(
          `${count} apps are Synced and Healthy`,
          () =>
            c
              .listApps()
              .filter(
                (a) => a.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy',
              ).length === count && idle(),
          900_000,
          200,
        );
        const bad = c.listApps().filter((a) => a.status?.sync?.status !== 'Synced');
        if (bad.length > 0)
          throw new Error(
            `${bad.length} apps are not Synced, e.g. ${bad[0]?.metadata.name ?? ''}: ${JSON.stringify(bad[0]?.status?.resources?.filter((r) => r.status !== 'Synced').slice(0, 3))}`,
          );
        await new Promise((r) => setTimeout(r, 1_000));
        await waitUntil('the queue is idle', idle, 60_000, 20);
      };
      await settled(half);
      gc();
      const heapHalf = process.memoryUsage().heapUsed;
      ctx.log(`${half} apps settled (${since()})`);
      await bench.applyAll(live.slice(half * 20));
      await bench.createApps(names.slice(half), () => ({}));
      await settled(size.apps);
      gc();
      const heapFull = process.memoryUsage().heapUsed;
      heapSnapshotIfAsked('settled');
      ctx.log(`${size.apps} apps settled (${since()})`);
      const slopeKiB = (heapFull - heapHalf) / (size.apps - half) / 1024;
      const totalKiB = (heapFull - heap0) / size.apps / 1024;

      const refreshAll = async (
        level: 'recent' | 'periodic',
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
          300_000,
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
        const r = await profiled(`recent-${recentRuns.length}`, () => refreshAll('recent'));
        recentRuns.push(r);
        return r.ms;
      });
      const recentRate = size.apps / (median(recent.candidate) / 1000);
      const recentCalls = Math.max(...recentRuns.map((r) => r.calls));
      results.push({
        scenario: 'reconcile-noop',
        metric: 'refresh-recent',
        value: recentRate,
        unit: 'apps/s',
        reference: size.apps / (median(recent.reference) / 1000),
        ratio: median(recent.ratios),
        target: '>= 1000 apps/s and 0 API calls',
        pass: recentRate >= 1000 && recentCalls === 0,
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
      const periodic = await interleave(size.pairs, floor, async () => {
        const r = await profiled(`periodic-${periodicRuns.length}`, () => refreshAll('periodic'));
        periodicRuns.push(r);
        return r.ms;
      });
      const periodicRate = size.apps / (median(periodic.candidate) / 1000);
      const periodicCalls = Math.max(...periodicRuns.map((r) => r.calls));
      results.push({
        scenario: 'reconcile-noop',
        metric: 'refresh-periodic',
        value: periodicRate,
        unit: 'apps/s',
        reference: size.apps / (median(periodic.reference) / 1000),
        ratio: median(periodic.ratios),
        target: '>= 1000 apps/s and 0 API calls (reconciledAt recent: no write)',
        pass: periodicRate >= 1000 && periodicCalls === 0,
        details: {
          candidateMs: periodic.candidate.map((x) => round(x, 1)),
          apiCallsPerRound: periodicRuns.map((r) => r.calls),
          statusPatchesPerRound: periodicRuns.map((r) => r.patches),
        },
      });

      // every reconciledAt older than the bound: one PATCH per app, through the QPS 50/100 limiter
      const raw = bench.client(QPS, BURST);
      let round_ = 0;
      const staleIso = (): string =>
        new Date(Date.now() - 3_600_000 - round_ * 1_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const rawPatches = async (): Promise<number> => {
        round_++;
        const at = staleIso();
        await new Promise((r) => setTimeout(r, 2_500)); // a full bucket, as the candidate gets
        const t = performance.now();
        let next = 0;
        const worker = async (): Promise<void> => {
          while (next < names.length) {
            const n = names[next++] ?? '';
            await raw.patch(
              { ...APPS, namespace: argo.name, name: n },
              { status: { reconciledAt: at, observedAt: at } },
            );
          }
        };
        await Promise.all(Array.from({ length: STATUS_PROCESSORS }, worker));
        const ms = performance.now() - t;
        // the controller must see the stale values before its turn (not timed)
        await waitUntil(
          'the controller sees the stale reconciledAt',
          () => names.every((n) => c.getApp(n)?.status?.reconciledAt === at),
          120_000,
          20,
        );
        return ms;
      };
      const staleRuns: { ms: number; calls: number; patches: number }[] = [];
      const stale = await interleave(Math.min(3, size.pairs), rawPatches, async () => {
        await new Promise((r) => setTimeout(r, 2_500)); // refill the controller's bucket
        const r = await refreshAll('periodic');
        staleRuns.push(r);
        return r.ms;
      });
      const staleRate = size.apps / (median(stale.candidate) / 1000);
      const rawRate = size.apps / (median(stale.reference) / 1000);
      const staleRatio = median(stale.ratios.map((x) => 1 / x));
      const patchesOk = staleRuns.every((r) => r.patches === size.apps);
      results.push({
        scenario: 'reconcile-noop',
        metric: 'refresh-periodic-stale',
        value: staleRate,
        unit: 'apps/s',
        reference: rawRate,
        ratio: staleRatio,
        target:
          '>= 0.8x raw PATCH throughput (same client QPS 50/burst 100, concurrency 20; one reconciledAt PATCH per app)',
        pass: staleRatio >= 0.8 && patchesOk,
        details: {
          candidateMs: stale.candidate.map((x) => round(x, 1)),
          rawPatchMs: stale.reference.map((x) => round(x, 1)),
          statusPatchesPerRound: staleRuns.map((r) => r.patches),
          apiCallsPerRound: staleRuns.map((r) => r.calls),
          repoServerCalls: { ...c.manifestSource.calls },
        },
      });

      results.push({
        scenario: 'reconcile-noop',
        metric: 'memory-per-app',
        value: slopeKiB,
        unit: 'KiB/app',
        reference: 100,
        ratio: slopeKiB / 100,
        target:
          '<= 100 KiB per 20-resource app (slope between N/2 and N apps; Argo CD: 200-450 KiB)',
        pass: slopeKiB <= 100,
        details: {
          totalPerAppKiB: round(totalKiB, 1),
          fixedOverheadMiB: round((heapFull - heap0 - slopeKiB * 1024 * size.apps) / 1048576, 1),
          heapBeforeControllerMiB: round(heap0 / 1048576, 1),
          heapHalfMiB: round(heapHalf / 1048576, 1),
          heapFullMiB: round(heapFull / 1048576, 1),
          cachedObjects: cache.cache.size(),
          cacheApproximateMiB: round(cache.cache.approximateBytes() / 1048576, 1),
          rssMiB: round(process.memoryUsage().rss / 1048576, 1),
        },
      });
    } finally {
      await bench.close();
    }
    return results;
  },
};
