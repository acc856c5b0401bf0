/**
 * api-list (performance anchors §7 row 8): `GET /api/v1/applications` of the real API server (TLS,
 * authentication, RBAC per app, the watch cache) with N Applications of realistic size (about
 * 2 KB each: five resources in status, sync, health, history) in 20 projects.
 *
 * 1. full-list: the admin's full list, p50 over the runs. Target p50 ≤ 400 ms at 10,000 apps.
 * 2. page-100: `?limit=100` (the server's pagination), p50. Target ≤ 20 ms.
 * 3. team-list: a user allowed one project of twenty (~5 % of the apps), p50. Target ≤ 50 ms.
 *
 * Reference (the floor): the same objects, held in process, filtered by an indexed RBAC-free match
 * and serialised with `JSON.stringify`, for the same answer; measured interleaved with the
 * candidate. Ratio = candidate / floor (the anchor gate is ≤ 2×); pass = the absolute target.
 * The Applications are created in parallel through an unthrottled client (the test cluster is
 * local), then the run waits until the server's watch cache holds them all.
 */
import { Agent, request } from 'node:https';
import type { Application, KubeObject } from '../../src/apis/index.js';
import { KubeClient, loadKubeconfig } from '../../src/kube/index.js';
import { testCluster } from '../../src/kubeenv/index.js';
import { startTestApiServer, type TestApiServer } from '../../test/support/api-server.js';
import { interleave, median, percentile, round, type BenchResult, type Scenario } from '../lib.js';

const SIZES = {
  S: { apps: 1_000, runs: 7 },
  M: { apps: 10_000, runs: 15 },
  L: { apps: 20_000, runs: 15 },
} as const;
const PROJECTS = 20;
const APPS = { group: 'argoproj.io', version: 'v1alpha1', resource: 'applications' } as const;

function appObject(i: number): KubeObject {
  const name = `app-${String(i).padStart(6, '0')}`;
  const project = `proj-${i % PROJECTS}`;
  const ns = `team-${i % PROJECTS}`;
  const res = (kind: string, group: string, n: string): Record<string, unknown> => ({
    group,
    version: 'v1',
    kind,
    namespace: ns,
    name: `${name}-${n}`,
    status: 'Synced',
    health: { status: 'Healthy' },
  });
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, labels: { team: ns, tier: i % 3 === 0 ? 'web' : 'backend' } },
    spec: {
      project,
      source: {
        repoURL: `https://github.com/example/repo-${i % 50}.git`,
        path: `apps/${name}`,
        targetRevision: 'HEAD',
      },
      destination: { server: 'https://kubernetes.default.svc', namespace: ns },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        syncOptions: ['CreateNamespace=true'],
      },
    },
    status: {
      resources: [
        res('Deployment', 'apps', 'web'),
        res('Service', '', 'svc'),
        res('ConfigMap', '', 'config'),
        res('ServiceAccount', '', 'sa'),
        res('Ingress', 'networking.k8s.io', 'ing'),
      ],
      sync: {
        status: 'Synced',
        revision: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
        comparedTo: {
          source: {
            repoURL: `https://github.com/example/repo-${i % 50}.git`,
            path: `apps/${name}`,
            targetRevision: 'HEAD',
          },
          destination: { server: 'https://kubernetes.default.svc', namespace: ns },
        },
      },
      health: { status: 'Healthy' },
      reconciledAt: '2024-01-01T00:00:00Z',
      sourceType: 'Directory',
      summary: { images: ['nginx:1.25'] },
      history: [
        {
          id: 1,
          revision: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
          deployedAt: '2024-01-01T00:00:00Z',
          source: {
            repoURL: `https://github.com/example/repo-${i % 50}.git`,
            path: `apps/${name}`,
          },
        },
      ],
    },
  };
}

function get(
  srv: TestApiServer,
  agent: Agent,
  path: string,
  token: string,
): Promise<{ ms: number; bytes: number; body: string }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, srv.url),
      {
        agent,
        headers: { authorization: `Bearer ${token}` },
        ...(srv.caPem ? { ca: srv.caPem } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200)
            reject(new Error(`GET ${path}: ${String(res.statusCode)} ${body.slice(0, 200)}`));
          else resolve({ ms: performance.now() - t0, bytes: body.length, body });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function createAll(
  client: KubeClient,
  ns: string,
  n: number,
  log: (l: string) => void,
): Promise<void> {
  let next = 0;
  let done = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      await client.create({ ...APPS, namespace: ns }, appObject(i));
      done++;
      if (done % 2000 === 0) log(`created ${done}/${n} Applications`);
    }
  };
  await Promise.all(Array.from({ length: 48 }, worker));
  log(`created ${n} Applications in ${Math.round(performance.now() - t0)} ms`);
}

export const scenario: Scenario = {
  name: 'api-list',
  description:
    'GET /api/v1/applications with N apps (full admin list, a page of 100, a team user) vs an in-process filter+stringify floor',
  async run(ctx): Promise<BenchResult[]> {
    const { apps, runs } = SIZES[ctx.size];
    const srv = await startTestApiServer({
      namePrefix: 'bench-list',
      cm: { 'accounts.team': 'login' },
      rbac: { 'policy.csv': 'p, team, applications, get, proj-3/*, allow' },
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const cluster = await testCluster();
    const loader = new KubeClient(loadKubeconfig(cluster.kubeconfigPath), {
      qps: 0,
      maxSockets: 48,
    });
    try {
      await createAll(loader, srv.namespace, apps, (l) => {
        ctx.log(l);
      });
      const admin = await srv.login('admin', srv.adminPassword);
      const pw = await srv.request('PUT', '/api/v1/account/password', {
        token: admin,
        body: { name: 'team', currentPassword: srv.adminPassword, newPassword: 'team-password-1' },
      });
      if (pw.status !== 200) throw new Error(`setting the team password failed: ${pw.text}`);
      const team = await srv.login('team', 'team-password-1');
      await srv.waitFor(
        async () => {
          const r = await get(srv, agent, '/api/v1/applications?fields=items.metadata.name', admin);
          return (JSON.parse(r.body) as { items: unknown[] }).items.length === apps;
        },
        'the watch cache to hold every app',
        600_000,
      );
      // the floor's objects: what the API server stores, held in process
      const stored = (await loader.list<Application>({ ...APPS, namespace: srv.namespace })).items;
      const floor = (pred: (a: Application) => boolean, limit?: number): number => {
        const t0 = performance.now();
        let items = stored.filter(pred);
        if (limit !== undefined) items = items.slice(0, limit);
        JSON.stringify({ metadata: { resourceVersion: '1' }, items });
        return performance.now() - t0;
      };
      const results: BenchResult[] = [];
      const measure = async (
        metric: string,
        path: string,
        token: string,
        pred: (a: Application) => boolean,
        targetMs: number,
        limit?: number,
      ): Promise<void> => {
        const first = await get(srv, agent, path, token);
        const items = (JSON.parse(first.body) as { items: unknown[] }).items.length;
        const r = await interleave(
          runs,
          () => Promise.resolve(floor(pred, limit)),
          async () => (await get(srv, agent, path, token)).ms,
        );
        const value = median(r.candidate);
        const reference = median(r.reference);
        ctx.log(
          `${metric}: ${items} items, ${Math.round(first.bytes / 1024)} KiB, p50 ${round(value, 1)} ms, p90 ${round(percentile(r.candidate, 90), 1)} ms, floor ${round(reference, 1)} ms`,
        );
        results.push({
          scenario: 'api-list',
          metric,
          value,
          unit: 'ms',
          reference,
          ratio: value / reference,
          target: `p50 <= ${targetMs} ms (floor ratio gate <= 2x)`,
          pass: value <= targetMs,
          details: {
            apps,
            items,
            bytes: first.bytes,
            p90: round(percentile(r.candidate, 90), 1),
            ratioMedian: round(median(r.ratios), 2),
          },
        });
      };
      await measure('full-list-p50', '/api/v1/applications', admin, () => true, 400);
      await measure('page-100-p50', '/api/v1/applications?limit=100', admin, () => true, 20, 100);
      await measure(
        'team-list-p50',
        '/api/v1/applications',
        team,
        (a) => a.spec.project === 'proj-3',
        50,
      );
      return results;
    } finally {
      agent.destroy();
      loader.close();
      await srv.close();
    }
  },
};
