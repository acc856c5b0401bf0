/**
 * Shared set-up of the controller benchmarks (reconcile-noop, sync-cold, drift-detect): the real
 * kube-apiserver of `testCluster()`, a control-plane namespace with the CRDs, a git server over
 * HTTPS holding one directory per app, the real `argocd-repo-server` process, and the controller
 * in this process (so its heap and counters can be measured). Everything listens on 127.0.0.1 and
 * is stopped by `close()`.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Application, KubeObject } from '../src/apis/index.js';
import { createRepoServerClient } from '../src/reposerver/client.js';
import type { ApplicationControllerOptions } from '../src/controller/index.js';
import { KubeClient, loadKubeconfig } from '../src/kube/index.js';
import { testCluster } from '../src/kubeenv/index.js';
import {
  APPS,
  applicationManifest,
  setupArgoNamespace,
  startTestController,
  type ArgoNamespace,
  type TestController,
} from '../test/support/controller.js';
import { startGitServer, type GitServer } from '../test/support/git-server.js';
import { tempNamespace } from '../test/support/kube.js';
import { startRepoServerProcess, type RepoServerProcess } from '../test/support/repo-server.js';

setFlagsFromString('--expose-gc');
/** A forced full GC (for heap measurements). */
export const gc = runInNewContext('gc') as () => void;

export interface ControllerBench {
  readonly argo: ArgoNamespace;
  readonly dest: string;
  readonly git: GitServer;
  readonly repoServer: RepoServerProcess;
  /** an admin client without rate limit (set-up and reference runs) */
  readonly admin: KubeClient;
  startController(options?: Partial<ApplicationControllerOptions>): Promise<TestController>;
  /** creates Applications `prefix0..N-1` for directories `<dir>/app<i>` */
  createApps(
    names: readonly string[],
    spec: (name: string) => Partial<Application['spec']>,
    concurrency?: number,
  ): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts everything; `files` are written to the `apps` repository (path → YAML) and committed.
 */
export async function startControllerBench(
  prefix: string,
  files: Readonly<Record<string, string>>,
): Promise<ControllerBench> {
  const cluster = await testCluster();
  const admin = new KubeClient(loadKubeconfig(cluster.kubeconfigPath), { qps: 0 });
  const git = await startGitServer({ username: 'bench', password: 'bench-secret' });
  const repo = await git.createRepo('apps');
  await repo.write(files);
  await repo.commit('bench apps');
  const argo = await setupArgoNamespace(prefix, git);
  const destNs = await tempNamespace(`${prefix}-dest`);
  const repoServer = await startRepoServerProcess({ args: ['--loglevel', 'info'] });
  const controllers: TestController[] = [];
  return {
    argo,
    dest: destNs.name,
    git,
    repoServer,
    admin,
    async startController(options = {}) {
      const c = await startTestController({
        namespace: argo.name,
        repoServer: createRepoServerClient({
          address: `127.0.0.1:${repoServer.port}`,
          tls: { kind: 'tls', caPem: repoServer.caPem ?? '' },
          timeoutMs: 60_000,
        }),
        ...options,
      });
      controllers.push(c);
      return c;
    },
    async createApps(names, spec, concurrency = 16) {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < names.length) {
          const name = names[next++] ?? '';
          const app = applicationManifest(name, argo.name, {
            repoURL: git.url('apps'),
            path: name,
            destNamespace: destNs.name,
            ...spec(name),
          });
          await admin.create({ ...APPS, namespace: argo.name }, app);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
    },
    async close() {
      for (const c of controllers) await c.stop();
      await destNs.cleanup();
      await argo.cleanup();
      await repoServer.stop();
      await git.stop();
      admin.close();
    },
  };
}

/** Polls `cond` every `intervalMs` until true; throws naming `what` after `timeoutMs`. */
export async function waitUntil(
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** YAML documents of a list of objects (one file per app). */
export function toYaml(objs: readonly KubeObject[]): string {
  return objs.map((o) => JSON.stringify(o)).join('\n---\n');
}
