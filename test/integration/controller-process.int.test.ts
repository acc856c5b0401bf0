/**
 * The real `argocd-application-controller` binary: an operation interrupted by SIGKILL finishes
 * after a restart, and two replicas (ARGOCD_CONTROLLER_REPLICAS=2) never reconcile the same
 * cluster. The two clusters are two cluster Secrets naming the same test API server under
 * different URLs (127.0.0.1 and localhost), with the admin client certificate as credentials.
 * There is no kubelet: the PreSync Job hook is completed by the test patching its status.
 */
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../../src/apis/index.js';
import { loadKubeconfig } from '../../src/kube/index.js';
import { testCluster } from '../../src/kubeenv/index.js';
import {
  APPS,
  applicationManifest,
  requestSync,
  setupArgoNamespace,
  startControllerProcess,
  waitForApp,
  type ArgoNamespace,
  type ControllerProcess,
} from '../support/controller.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { kube, tempNamespace } from '../support/kube.js';
import { startTestRepoServer, type TestRepoServer } from '../support/repo-server.js';

const JOBS = { group: 'batch', version: 'v1', resource: 'jobs' } as const;
const CM = { group: '', version: 'v1', resource: 'configmaps' } as const;

const HOOK_JOB = [
  'apiVersion: batch/v1',
  'kind: Job',
  'metadata:',
  '  name: presync-migrate',
  '  annotations:',
  '    argocd.argoproj.io/hook: PreSync',
  'spec:',
  '  backoffLimit: 0',
  '  template:',
  '    spec:',
  '      restartPolicy: Never',
  '      containers:',
  '      - name: migrate',
  '        image: registry.example/migrate:v1',
  '',
].join('\n');

async function getObj(
  ref: { group: string; version: string; resource: string },
  ns: string,
  name: string,
): Promise<KubeObject | undefined> {
  const k = await kube();
  try {
    return await k.get({ ...ref, namespace: ns, name });
  } catch (err) {
    if ((err as { status?: number }).status === 404) return undefined;
    throw err;
  }
}

async function until(
  what: string,
  cond: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function scrape(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        resolve(body);
      });
    }).on('error', reject);
  });
}

/** dest_server labels of `argocd_app_reconcile_count` series with a non-zero count. */
function reconciledServers(metrics: string, namespace: string): Set<string> {
  const out = new Set<string>();
  for (const line of metrics.split('\n')) {
    const m = /^argocd_app_reconcile_count\{(.*)\} (\d+)/.exec(line);
    if (!m || Number(m[2]) === 0) continue;
    const labels = m[1] ?? '';
    if (!labels.includes(`namespace="${namespace}"`)) continue;
    const server = /dest_server="([^"]*)"/.exec(labels)?.[1];
    if (server !== undefined) out.add(server);
  }
  return out;
}

describe('argocd-application-controller (real process)', () => {
  let git: GitServer;
  let rs: TestRepoServer;
  let argo: ArgoNamespace;
  const procs: ControllerProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    git = await startGitServer({ username: 'bob', password: 'another-s3cret' });
    const repo = await git.createRepo('apps');
    await repo.write({
      'hooks/presync.yaml': HOOK_JOB,
      'hooks/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: after-hook\n  annotations:\n    argocd.argoproj.io/sync-wave: "1"\ndata:\n  a: b\n',
      'plain/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  a: b\n',
    });
    await repo.commit('apps');
    rs = await startTestRepoServer();
    argo = await setupArgoNamespace('ctlproc', git);
  });

  after(async () => {
    for (const p of procs) await p.stop();
    for (const c of cleanups.reverse()) await c();
    await argo.cleanup();
    await rs.close();
    await git.stop();
  });

  async function start(env: Record<string, string> = {}): Promise<ControllerProcess> {
    const p = await startControllerProcess({
      namespace: argo.name,
      repoServer: `127.0.0.1:${rs.handle.port}`,
      repoServerCaPem: rs.ca.certPem,
      env,
    });
    procs.push(p);
    return p;
  }

  it('finishes an operation interrupted by SIGKILL after a restart', async () => {
    const dest = await tempNamespace('resume');
    cleanups.push(dest.cleanup);
    const first = await start();
    await argo.client.create(
      { ...APPS, namespace: argo.name },
      applicationManifest('resume', argo.name, {
        repoURL: git.url('apps'),
        path: 'hooks',
        destNamespace: dest.name,
      }),
    );
    await waitForApp(
      argo.client,
      argo.name,
      'resume',
      'compared',
      (a) => a.status?.sync?.status === 'OutOfSync',
    );
    await requestSync(argo.client, argo.name, 'resume', {}, 'carol');
    await until(
      'the PreSync Job exists',
      async () => (await getObj(JOBS, dest.name, 'presync-migrate')) !== undefined,
    );
    await waitForApp(
      argo.client,
      argo.name,
      'resume',
      'Running',
      (a) => a.status?.operationState?.phase === 'Running',
    );
    await first.kill();
    const job = await getObj(JOBS, dest.name, 'presync-migrate');
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    await argo.client.patch(
      { ...JOBS, namespace: dest.name, name: 'presync-migrate', subresource: 'status' },
      {
        status: {
          succeeded: 1,
          startTime: now,
          completionTime: now,
          conditions: [
            { type: 'Complete', status: 'True', lastProbeTime: now, lastTransitionTime: now },
          ],
        },
      },
    );
    await start();
    const done = await waitForApp(
      argo.client,
      argo.name,
      'resume',
      'Succeeded after restart',
      (a) => a.status?.operationState?.phase === 'Succeeded',
    );
    assert.ok(await getObj(CM, dest.name, 'after-hook'), 'the wave after the hook was applied');
    const again = await getObj(JOBS, dest.name, 'presync-migrate');
    assert.equal(again?.metadata.uid, job?.metadata.uid, 'the hook was not run a second time');
    assert.equal(done.status?.operationState?.operation.initiatedBy?.username, 'carol');
  });

  it('two replicas never reconcile the same cluster', async () => {
    for (const p of procs.splice(0)) await p.stop();
    const cluster = await testCluster();
    const conn = loadKubeconfig(cluster.kubeconfigPath);
    const port = new URL(conn.server).port;
    const b64 = (s: string | undefined): string => Buffer.from(s ?? '', 'utf8').toString('base64');
    const config = JSON.stringify({
      tlsClientConfig: {
        caData: b64(conn.caPem),
        certData: b64(conn.certPem),
        keyData: b64(conn.keyPem),
      },
    });
    const servers = { a: `https://127.0.0.1:${port}`, b: `https://localhost:${port}` };
    for (const [id, server, shard] of [
      ['a', servers.a, '0'],
      ['b', servers.b, '1'],
    ] as const)
      await argo.client.create(
        { group: '', version: 'v1', resource: 'secrets', namespace: argo.name },
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: {
            name: `cluster-${id}`,
            namespace: argo.name,
            labels: { 'argocd.argoproj.io/secret-type': 'cluster' },
          },
          stringData: { name: `cluster-${id}`, server, config, shard },
        },
      );
    const r0 = await start({ ARGOCD_CONTROLLER_REPLICAS: '2', ARGOCD_CONTROLLER_SHARD: '0' });
    const r1 = await start({ ARGOCD_CONTROLLER_REPLICAS: '2', ARGOCD_CONTROLLER_SHARD: '1' });
    const destA = await tempNamespace('sharda');
    const destB = await tempNamespace('shardb');
    cleanups.push(destA.cleanup, destB.cleanup);
    const appA = applicationManifest('shard-a', argo.name, {
      repoURL: git.url('apps'),
      path: 'plain',
      destNamespace: destA.name,
    });
    appA.spec.destination = { server: servers.a, namespace: destA.name };
    const appB = applicationManifest('shard-b', argo.name, {
      repoURL: git.url('apps'),
      path: 'plain',
      destNamespace: destB.name,
    });
    appB.spec.destination = { name: 'cluster-b', namespace: destB.name };
    for (const app of [appA, appB])
      await argo.client.create({ ...APPS, namespace: argo.name }, app);
    for (const name of ['shard-a', 'shard-b'])
      await waitForApp(
        argo.client,
        argo.name,
        name,
        'compared',
        (a) => a.status?.sync?.status === 'OutOfSync',
      );
    const seen0 = reconciledServers(await scrape(r0.metricsPort), argo.name);
    const seen1 = reconciledServers(await scrape(r1.metricsPort), argo.name);
    assert.ok(seen0.has(servers.a), `replica 0 reconciled cluster a (${[...seen0].join(',')})`);
    assert.ok(
      !seen0.has('cluster-b') && !seen0.has(servers.b),
      'replica 0 never touched cluster b',
    );
    assert.ok(seen1.has('cluster-b'), `replica 1 reconciled cluster b (${[...seen1].join(',')})`);
    assert.ok(!seen1.has(servers.a), 'replica 1 never touched cluster a');
  });
});
