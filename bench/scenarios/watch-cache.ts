/**
 * watch-cache: the cluster adapter against the real kube-apiserver (performance anchors 1, 2, 4, 13).
 *
 * 1. drift-detect: a PATCH made elsewhere → the ClusterCache handler sees it. Reference: a bare
 *    watcher (raw https + NDJSON parse) on the same events at the same time. Target p50 ≤ 250 ms.
 * 2. memory-per-app: heap held by a cache following every kind of a namespace of 20-resource apps
 *    (plus the ReplicaSets, Pods, Endpoints the cluster adds), per app. Reference: the same objects
 *    as parsed from the API in a plain Map. Target ≤ 100 KiB per app.
 * 3. noop-refresh: look up every app's 20 objects by tracking id (1,000 apps at size M) and count
 *    API calls. Reference: plain Map lookups of the same keys. Target 0 API calls, ≥ 1,000 apps/s.
 * 4. qps-floor: server-side applies through KubeApplier at QPS 50 / burst 100; fraction of the
 *    token-bucket floor achieved. Reference: raw https PATCHes through the same limiter. Target ≥ 0.9.
 * 5. keepalive-get: sequential GETs through KubeClient (no limit) vs raw https with a keep-alive
 *    agent, interleaved. Target ≤ 1.3× the raw time.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:https';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { KubeObject } from '../../src/apis/index.js';
import {
  ClusterCache,
  KubeApplier,
  KubeClient,
  RateLimiter,
  formatTrackingId,
  loadKubeconfig,
  type KubeConnection,
} from '../../src/kube/index.js';
import { testCluster } from '../../src/kubeenv/index.js';
import { interleave, median, percentile, round, type BenchResult, type Scenario } from '../lib.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SIZES = {
  S: { apps: 20, drift: 50, qpsN: 150, gets: 100, pairs: 3 },
  M: { apps: 50, drift: 200, qpsN: 300, gets: 300, pairs: 7 },
  L: { apps: 250, drift: 500, qpsN: 600, gets: 1000, pairs: 7 },
} as const;

function rawRequest(
  conn: KubeConnection,
  agent: Agent,
  method: string,
  path: string,
  body?: string,
  contentType?: string,
): Promise<{ status: number; text: string }> {
  const url = new URL(conn.server);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        agent,
        headers: {
          accept: 'application/json',
          ...(body !== undefined
            ? {
                'content-type': contentType ?? 'application/json',
                'content-length': Buffer.byteLength(body),
              }
            : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, text });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function agentFor(conn: KubeConnection): Agent {
  return new Agent({
    keepAlive: true,
    ...(conn.caPem ? { ca: conn.caPem } : {}),
    ...(conn.certPem ? { cert: conn.certPem } : {}),
    ...(conn.keyPem ? { key: conn.keyPem } : {}),
  });
}

function tracked(ns: string, app: number, obj: KubeObject): KubeObject {
  const [group] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : [''];
  const name = obj.metadata.name ?? '';
  obj.metadata.namespace = ns;
  obj.metadata.labels = {
    'app.kubernetes.io/instance': `app${app}`,
    'app.kubernetes.io/part-of': 'bench',
    ...obj.metadata.labels,
  };
  obj.metadata.annotations = {
    'argocd.argoproj.io/tracking-id': formatTrackingId(`app${app}`, {
      group: group ?? '',
      kind: obj.kind,
      namespace: ns,
      name,
    }),
  };
  return obj;
}

/** One ConfigMap of ~1 KB of data. */
function configMap(ns: string, app: number, i: number): KubeObject {
  return tracked(ns, app, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `app${app}-cm${i}` },
    data: Object.fromEntries(
      Array.from({ length: 8 }, (_, j) => [`key${j}`, `value-${app}-${i}-${j}-${'x'.repeat(100)}`]),
    ),
  });
}

/**
 * A 20-resource app: a Deployment (whose ReplicaSet and Pod the controller manager adds), a
 * Service (plus its Endpoints/EndpointSlice), a Secret, a Role and RoleBinding, 15 ConfigMaps.
 */
function appObjects(ns: string, app: number): KubeObject[] {
  const name = `app${app}`;
  const labels = { app: name };
  return [
    tracked(ns, app, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: 'web',
                image: 'registry.example/web:1.2.3',
                ports: [{ containerPort: 8080, protocol: 'TCP' }],
                env: Array.from({ length: 10 }, (_, j) => ({
                  name: `VAR_${j}`,
                  value: `value-${j}`,
                })),
                resources: { requests: { cpu: '100m', memory: '128Mi' } },
              },
            ],
          },
        },
      },
    }),
    tracked(ns, app, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name },
      spec: { selector: labels, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] },
    }),
    tracked(ns, app, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${name}-creds` },
      data: { password: Buffer.from(`pw-${app}`).toString('base64') },
    }),
    tracked(ns, app, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }],
    }),
    tracked(ns, app, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: ns }],
    }),
    ...Array.from({ length: 15 }, (_, i) => configMap(ns, app, i)),
  ];
}

export const scenario: Scenario = {
  name: 'watch-cache',
  description:
    'cluster cache and client on the real kube-apiserver: drift latency, memory/app, no-op lookups, QPS floor, keep-alive',
  async run(ctx): Promise<BenchResult[]> {
    const size = SIZES[ctx.size];
    const cluster = await testCluster();
    const conn = loadKubeconfig(cluster.kubeconfigPath);
    const admin = new KubeClient(conn, { qps: 0 });
    const ns = `argocd-ts-bench-${randomBytes(3).toString('hex')}`;
    await admin.create(
      { group: '', version: 'v1', resource: 'namespaces' },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    );
    const results: BenchResult[] = [];
    try {
      // ------------------------------------------------------------ setup: apps × 20 objects
      const objs: KubeObject[] = [];
      for (let a = 0; a < size.apps; a++) objs.push(...appObjects(ns, a));
      const applier = new KubeApplier(admin, { concurrency: 16 });
      const t0 = performance.now();
      const applied = await applier.applyAll(objs);
      const bad = applied.filter((r) => !r.ok);
      if (bad.length > 0) throw new Error(`setup failed: ${bad[0]?.message ?? ''}`);
      ctx.log(`applied ${objs.length} objects in ${Math.round(performance.now() - t0)} ms`);
      // the controller manager adds a ReplicaSet and a Pod per Deployment
      const podsRef = { group: '', version: 'v1', resource: 'pods', namespace: ns };
      const waitUntil = Date.now() + 120_000;
      while ((await admin.list(podsRef)).items.length < size.apps) {
        if (Date.now() > waitUntil)
          throw new Error('the controller manager did not create the Pods');
        await new Promise((r) => setTimeout(r, 500));
      }

      // ------------------------------------------------------------ 2. memory per app
      const cmRef = { group: '', version: 'v1', resource: 'configmaps', namespace: ns };
      const cacheClient = new KubeClient(conn, { qps: 0 });
      gc();
      const h1 = process.memoryUsage().heapUsed;
      const cache = new ClusterCache({ client: cacheClient, namespaces: [ns] });
      await cache.start();
      gc();
      const cacheBytes = process.memoryUsage().heapUsed - h1;
      const n = cache.size();
      // floor: the same kinds, listed raw into a plain Map
      const floorClient = new KubeClient(conn, { qps: 0 });
      const kinds = (await floorClient.apiResources()).watchable();
      const watched = new Set(cache.watchedKinds().map((g) => `${g.group}/${g.kind}`));
      gc();
      const h0 = process.memoryUsage().heapUsed;
      const floor = new Map<string, KubeObject>();
      for (const r of kinds) {
        if (!watched.has(`${r.group}/${r.kind}`)) continue;
        const items = (await floorClient.list({ ...r, namespace: ns })).items;
        for (const o of items) floor.set(`${r.group}/${r.kind}/${o.metadata.name ?? ''}`, o);
      }
      gc();
      const floorBytes = process.memoryUsage().heapUsed - h0;
      floorClient.close();
      const perAppKiB = cacheBytes / size.apps / 1024;
      const floorPerAppKiB = floorBytes / size.apps / 1024;
      results.push({
        scenario: 'watch-cache',
        metric: 'memory-per-app',
        value: perAppKiB,
        unit: 'KiB/app',
        reference: floorPerAppKiB,
        ratio: perAppKiB / floorPerAppKiB,
        target: '<= 100 KiB per 20-resource app',
        pass: perAppKiB <= 100,
        details: {
          objects: n,
          floorObjects: floor.size,
          kinds: watched.size,
          cacheHeapBytes: cacheBytes,
          floorHeapBytes: floorBytes,
          estimatedBytes: cache.approximateBytes(),
        },
      });
      floor.clear();

      // ------------------------------------------------------------ 3. no-op refresh lookups
      const keysByApp = new Map<string, string[]>();
      for (const o of objs) {
        const app = o.metadata.labels?.['app.kubernetes.io/instance'] ?? '';
        const list = keysByApp.get(app) ?? [];
        list.push(`${o.kind}/${o.metadata.name ?? ''}`);
        keysByApp.set(app, list);
      }
      const plain = new Map<string, KubeObject>(
        cache.list().map((o) => [`${o.kind}/${o.metadata.name ?? ''}`, o]),
      );
      const callsBefore = cacheClient.requestCount;
      const rounds = Math.max(1, Math.ceil(20_000 / size.apps));
      const lookup = await interleave(
        size.pairs,
        () => {
          const t = performance.now();
          let found = 0;
          for (let r = 0; r < rounds; r++)
            for (const names of keysByApp.values())
              for (const nm of names) if (plain.get(nm)) found++;
          if (found === 0) throw new Error('nothing found');
          return Promise.resolve(performance.now() - t);
        },
        () => {
          const t = performance.now();
          let found = 0;
          for (let r = 0; r < rounds; r++)
            for (const app of keysByApp.keys()) found += cache.byApp(app).length;
          if (found !== rounds * objs.length) throw new Error(`cache found ${found}`);
          return Promise.resolve(performance.now() - t);
        },
      );
      const calls = cacheClient.requestCount - callsBefore;
      const appsPerSec = (rounds * size.apps) / (median(lookup.candidate) / 1000);
      const floorAppsPerSec = (rounds * size.apps) / (median(lookup.reference) / 1000);
      results.push({
        scenario: 'watch-cache',
        metric: 'noop-refresh-lookups',
        value: appsPerSec,
        unit: 'apps/s',
        reference: floorAppsPerSec,
        ratio: median(lookup.ratios),
        target: '0 API calls, >= 1000 apps/s (ratio = cache time / Map time)',
        pass: calls === 0 && appsPerSec >= 1000,
        details: { apiCalls: calls, appsPerRound: size.apps, rounds },
      });

      // ------------------------------------------------------------ 1. drift detection latency
      const seenByCache = new Map<string, number>();
      cache.onResourceUpdated((key, obj) => {
        if (obj && key.name === 'app0-cm0')
          seenByCache.set(String(obj.metadata.resourceVersion), performance.now());
      });
      const seenByBare = new Map<string, number>();
      const bareAgent = agentFor(conn);
      const list = await rawRequest(
        conn,
        bareAgent,
        'GET',
        `/api/v1/namespaces/${ns}/configmaps?limit=1`,
      );
      const startRv = (JSON.parse(list.text) as { metadata: { resourceVersion: string } }).metadata
        .resourceVersion;
      const url = new URL(conn.server);
      const bare = request({
        host: url.hostname,
        port: url.port,
        path: `/api/v1/namespaces/${ns}/configmaps?watch=1&resourceVersion=${startRv}`,
        agent: bareAgent,
      });
      bare.on('response', (res) => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          buf += c;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const ev = JSON.parse(buf.slice(0, nl)) as { object: KubeObject };
            buf = buf.slice(nl + 1);
            if (ev.object.metadata.name === 'app0-cm0')
              seenByBare.set(String(ev.object.metadata.resourceVersion), performance.now());
          }
        });
      });
      bare.on('error', () => undefined);
      bare.end();
      await new Promise((r) => setTimeout(r, 300));
      const cacheLat: number[] = [];
      const bareLat: number[] = [];
      const writer = new KubeClient(conn, { qps: 0 });
      for (let i = 0; i < size.drift; i++) {
        const t = performance.now();
        const patched = await writer.patch(
          { ...cmRef, name: 'app0-cm0' },
          { data: { drift: String(i) } },
        );
        const rv = String(patched.metadata.resourceVersion);
        const deadline = Date.now() + 10_000;
        while (!(seenByCache.has(rv) && seenByBare.has(rv))) {
          if (Date.now() > deadline) throw new Error(`event ${rv} not seen`);
          await new Promise((r) => setImmediate(r));
        }
        cacheLat.push((seenByCache.get(rv) ?? 0) - t);
        bareLat.push((seenByBare.get(rv) ?? 0) - t);
      }
      bare.destroy();
      bareAgent.destroy();
      const p50 = median(cacheLat);
      results.push({
        scenario: 'watch-cache',
        metric: 'drift-detect-p50',
        value: p50,
        unit: 'ms',
        reference: median(bareLat),
        ratio: p50 / median(bareLat),
        target: 'p50 <= 250 ms (p99 <= 1000 ms)',
        pass: p50 <= 250 && percentile(cacheLat, 99) <= 1000,
        details: {
          p99: round(percentile(cacheLat, 99)),
          bareP99: round(percentile(bareLat, 99)),
          events: size.drift,
        },
      });
      await cache.stop();
      cacheClient.close();
      writer.close();

      // ------------------------------------------------------------ 4. QPS floor (50 / 100)
      const qpsObjs = Array.from({ length: size.qpsN }, (_, i) => configMap(ns, 9999, i));
      const floorSec = (size.qpsN - 100) / 50;
      const limited = new KubeClient(conn, { qps: 50, burst: 100 });
      await limited.apiResources(); // discovery is not part of the measurement
      await new Promise((r) => setTimeout(r, 2100)); // refill the bucket
      const tc = performance.now();
      const res = await new KubeApplier(limited).applyAll(qpsObjs);
      const candSec = (performance.now() - tc) / 1000;
      if (res.some((r) => !r.ok)) throw new Error('qps apply failed');
      const rawLimiter = new RateLimiter({ qps: 50, burst: 100 });
      const rawAgent = agentFor(conn);
      const tr = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          while (next < qpsObjs.length) {
            const o = qpsObjs[next++] as KubeObject;
            await rawLimiter.acquire();
            const r = await rawRequest(
              conn,
              rawAgent,
              'PATCH',
              `/api/v1/namespaces/${ns}/configmaps/${o.metadata.name ?? ''}?fieldManager=argocd-controller&force=true`,
              JSON.stringify(o),
              'application/apply-patch+yaml',
            );
            if (r.status >= 300) throw new Error(`raw apply ${r.status}`);
          }
        }),
      );
      const refSec = (performance.now() - tr) / 1000;
      rawAgent.destroy();
      const s = limited.stats();
      limited.close();
      results.push({
        scenario: 'watch-cache',
        metric: 'qps-floor-fraction',
        value: floorSec / candSec,
        unit: 'fraction of floor',
        reference: floorSec / refSec,
        ratio: floorSec / candSec / (floorSec / refSec),
        target: '>= 0.9 of the QPS 50/burst 100 floor',
        pass: floorSec / candSec >= 0.9,
        details: {
          applies: size.qpsN,
          floorSec,
          candSec: round(candSec),
          refSec: round(refSec),
          throttled: s.throttled,
          throttledMs: s.throttledMs,
        },
      });

      // ------------------------------------------------------------ 5. keep-alive GETs
      const fast = new KubeClient(conn, { qps: 0 });
      const getAgent = agentFor(conn);
      const path = `/api/v1/namespaces/${ns}/configmaps/app0-cm1`;
      const ka = await interleave(
        size.pairs,
        async () => {
          const t = performance.now();
          for (let i = 0; i < size.gets; i++) {
            const r = await rawRequest(conn, getAgent, 'GET', path);
            JSON.parse(r.text);
          }
          return performance.now() - t;
        },
        async () => {
          const t = performance.now();
          for (let i = 0; i < size.gets; i++) await fast.get({ ...cmRef, name: 'app0-cm1' });
          return performance.now() - t;
        },
      );
      getAgent.destroy();
      fast.close();
      const ratio = median(ka.ratios);
      results.push({
        scenario: 'watch-cache',
        metric: 'keepalive-get',
        value: median(ka.candidate) / size.gets,
        unit: 'ms/request',
        reference: median(ka.reference) / size.gets,
        ratio,
        target: '<= 1.3x raw https keep-alive',
        pass: ratio <= 1.3,
      });
    } finally {
      await admin
        .delete({ group: '', version: 'v1', resource: 'namespaces', name: ns })
        .catch(() => undefined);
      admin.close();
      await cluster.env?.stop();
    }
    return results;
  },
};
