/**
 * webhook-refresh (performance anchors §7 row 5, the API server's part): a signed GitHub push
 * `POST /api/webhook` → the refresh annotation set on every affected Application, as a watch on
 * the Kubernetes API sees it (the moment the controller would start the refresh).
 *
 * N Applications (1,000 at size M) in 100 repositories of 10 apps each; every round pushes to a
 * repository not used before, so 10 apps are refreshed per push. Candidate: time from the POST to
 * the last of the 10 annotations seen in the watch. Reference: the same 10 annotations written
 * directly with merge patches by an unthrottled client, to another fresh repository's apps, seen
 * in the same watch; interleaved. Ratio = candidate / reference; target p50 ≤ 1 s (absolute).
 */
import { createHmac } from 'node:crypto';
import type { Application, KubeObject } from '../../src/apis/index.js';
import { KubeClient, loadKubeconfig } from '../../src/kube/index.js';
import { testCluster } from '../../src/kubeenv/index.js';
import { startTestApiServer } from '../../test/support/api-server.js';
import { interleave, median, percentile, round, type BenchResult, type Scenario } from '../lib.js';

const SIZES = {
  S: { repos: 20, perRepo: 10, pairs: 5 },
  M: { repos: 100, perRepo: 10, pairs: 15 },
  L: { repos: 200, perRepo: 25, pairs: 25 },
} as const;
const APPS = { group: 'argoproj.io', version: 'v1alpha1', resource: 'applications' } as const;
const REFRESH = 'argocd.argoproj.io/refresh';
const SECRET = 'bench-webhook-secret';

function appObject(repo: number, i: number): KubeObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: `r${repo}-a${i}` },
    spec: {
      project: 'default',
      source: {
        repoURL: `https://github.com/bench/repo-${repo}.git`,
        path: `app-${i}`,
        targetRevision: 'main',
      },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'bench' },
    },
  };
}

function pushPayload(repo: number): string {
  return JSON.stringify({
    ref: 'refs/heads/main',
    repository: {
      html_url: `https://github.com/bench/repo-${repo}`,
      clone_url: `https://github.com/bench/repo-${repo}.git`,
      ssh_url: `git@github.com:bench/repo-${repo}.git`,
      default_branch: 'main',
    },
    commits: [{ added: [], modified: ['app-1/deploy.yaml'], removed: [] }],
  });
}

export const scenario: Scenario = {
  name: 'webhook-refresh',
  description:
    'signed GitHub push → refresh annotation on the affected apps (seen in a watch) vs direct patches',
  async run(ctx): Promise<BenchResult> {
    const { repos, perRepo, pairs } = SIZES[ctx.size];
    if (pairs * 2 > repos) throw new Error('not enough repositories for the rounds');
    const srv = await startTestApiServer({
      namePrefix: 'bench-hook',
      objects: [
        {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'AppProject',
          metadata: { name: 'default' },
          spec: { sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }] },
        },
      ],
    });
    const cluster = await testCluster();
    const client = new KubeClient(loadKubeconfig(cluster.kubeconfigPath), {
      qps: 0,
      maxSockets: 32,
    });
    const stop = new AbortController();
    try {
      await client.patch(
        {
          group: '',
          version: 'v1',
          resource: 'secrets',
          namespace: srv.namespace,
          name: 'argocd-secret',
        },
        { stringData: { 'webhook.github.secret': SECRET } },
        { type: 'merge' },
      );
      const objs: KubeObject[] = [];
      for (let r = 0; r < repos; r++) for (let i = 0; i < perRepo; i++) objs.push(appObject(r, i));
      let next = 0;
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          while (next < objs.length) {
            const o = objs[next++];
            if (o) await client.create({ ...APPS, namespace: srv.namespace }, o);
          }
        }),
      );
      ctx.log(`created ${objs.length} Applications`);
      const admin = await srv.login('admin', srv.adminPassword);
      await srv.waitFor(
        async () => {
          const r = await srv.request('GET', '/api/v1/applications?fields=items.metadata.name', {
            token: admin,
          });
          return (
            r.json<{ items: unknown[] }>().items.length === objs.length &&
            srv.handle.store.secretData()['webhook.github.secret'] === SECRET
          );
        },
        'the server to hold every app and the secret',
        600_000,
      );

      // one watch sees every annotation; waiters resolve when their apps all carry it
      const seen = new Map<string, number>();
      const list = await client.list<Application>(
        { ...APPS, namespace: srv.namespace },
        { limit: 1 },
      );
      void client
        .watch<Application>(
          { ...APPS, namespace: srv.namespace },
          {
            resourceVersion: list.metadata.resourceVersion ?? '0',
            signal: stop.signal,
            timeoutSeconds: 3600,
          },
          (ev) => {
            const name = ev.object.metadata.name ?? '';
            if (ev.object.metadata.annotations?.[REFRESH] !== undefined && !seen.has(name))
              seen.set(name, performance.now());
          },
        )
        .catch(() => undefined);
      const allSeen = async (repo: number): Promise<number> => {
        const names = Array.from({ length: perRepo }, (_, i) => `r${repo}-a${i}`);
        const deadline = performance.now() + 30_000;
        while (!names.every((n) => seen.has(n))) {
          if (performance.now() > deadline)
            throw new Error(`repo ${repo}: annotations not seen in 30 s`);
          await new Promise((r) => setTimeout(r, 2));
        }
        return Math.max(...names.map((n) => seen.get(n) ?? 0));
      };

      let repo = 0;
      const r = await interleave(
        pairs,
        async () => {
          const target = repo++;
          const t0 = performance.now();
          await Promise.all(
            Array.from({ length: perRepo }, (_, i) =>
              client.patch(
                { ...APPS, namespace: srv.namespace, name: `r${target}-a${i}` },
                { metadata: { annotations: { [REFRESH]: 'normal' } } },
                { type: 'merge' },
              ),
            ),
          );
          return (await allSeen(target)) - t0;
        },
        async () => {
          const target = repo++;
          const body = pushPayload(target);
          const sig = createHmac('sha256', SECRET).update(body).digest('hex');
          const t0 = performance.now();
          const res = await srv.request('POST', '/api/webhook', {
            rawBody: body,
            headers: { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${sig}` },
          });
          if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${res.text}`);
          return (await allSeen(target)) - t0;
        },
      );
      const value = median(r.candidate);
      const reference = median(r.reference);
      ctx.log(
        `webhook → ${perRepo} annotations: p50 ${round(value, 1)} ms, p90 ${round(percentile(r.candidate, 90), 1)} ms; direct patches p50 ${round(reference, 1)} ms`,
      );
      return {
        scenario: 'webhook-refresh',
        metric: 'webhook-to-refresh-p50',
        value,
        unit: 'ms',
        reference,
        ratio: value / reference,
        target: 'p50 <= 1000 ms',
        pass: value <= 1000,
        details: {
          apps: objs.length,
          affectedPerPush: perRepo,
          p90: round(percentile(r.candidate, 90), 1),
        },
      };
    } finally {
      stop.abort();
      client.close();
      await srv.close();
    }
  },
};
