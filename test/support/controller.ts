/**
 * The application controller for tests and later e2e tests, on the shared real cluster:
 *
 * - `setupArgoNamespace(prefix, git)`: a throw-away control-plane namespace with the CRDs, a
 *   wide-open `default` AppProject, `argocd-cm`, `argocd-tls-certs-cm` trusting the test git
 *   server, and a repository Secret with its credentials.
 * - `startTestController(options)`: the controller in-process (fast; counters and internals
 *   readable); `startControllerProcess(options)`: the real `argocd-application-controller`
 *   binary (stop with SIGTERM, or `kill()` with SIGKILL), both on 127.0.0.1 only.
 * - `applicationManifest`, `waitForApp`, `appEvents`: building and observing Applications.
 *
 * @example
 * const git = await startGitServer({ username: 'u', password: 'p' });
 * const ns = await setupArgoNamespace('ctl', git);
 * const rs = await startTestRepoServer();
 * const ctl = await startTestController({ namespace: ns.name, repoServer: rs.client() });
 * after(async () => { await ctl.stop(); await rs.close(); await ns.cleanup(); await git.stop(); });
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  API_GROUP,
  API_VERSION,
  type Application,
  type ApplicationSpec,
  type KubeObject,
} from '../../src/apis/index.js';
import {
  ApplicationController,
  type ApplicationControllerOptions,
} from '../../src/controller/index.js';
import { KubeClient, loadKubeconfig, type KubeLog } from '../../src/kube/index.js';
import { testCluster } from '../../src/kubeenv/index.js';
import type { RepoServerClient } from '../../src/reposerver/client.js';
import type { GitServer } from './git-server.js';
import { installCrds, kube, tempNamespace } from './kube.js';

export const APPS = { group: API_GROUP, version: API_VERSION, resource: 'applications' } as const;
export const PROJECTS = {
  group: API_GROUP,
  version: API_VERSION,
  resource: 'appprojects',
} as const;
export const IN_CLUSTER = 'https://kubernetes.default.svc';

export interface ArgoNamespace {
  readonly name: string;
  readonly client: KubeClient;
  cleanup(): Promise<void>;
}

/** A control-plane namespace ready for a controller (see the module comment). */
export async function setupArgoNamespace(
  prefix: string,
  git?: GitServer,
  cm: Readonly<Record<string, string>> = {},
): Promise<ArgoNamespace> {
  await installCrds();
  const client = await kube();
  const ns = await tempNamespace(prefix);
  const name = ns.name;
  await client.create(
    { ...PROJECTS, namespace: name },
    {
      apiVersion: `${API_GROUP}/${API_VERSION}`,
      kind: 'AppProject',
      metadata: { name: 'default', namespace: name },
      spec: {
        sourceRepos: ['*'],
        destinations: [{ server: '*', namespace: '*' }],
        clusterResourceWhitelist: [{ group: '*', kind: '*' }],
      },
    },
  );
  const configMap = (n: string, data: Record<string, string>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: n, namespace: name, labels: { 'app.kubernetes.io/part-of': 'argocd' } },
    data,
  });
  await client.create(
    { group: '', version: 'v1', resource: 'configmaps', namespace: name },
    // each test namespace is its own installation on the shared cluster: apps of the same name in
    // tests running side by side must not count each other's objects (argocd-cm installationID)
    configMap('argocd-cm', { installationID: name, ...cm }),
  );
  if (git) {
    await client.create(
      { group: '', version: 'v1', resource: 'configmaps', namespace: name },
      configMap('argocd-tls-certs-cm', { '127.0.0.1': git.caPem }),
    );
    await client.create(
      { group: '', version: 'v1', resource: 'secrets', namespace: name },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: 'repo-test-git',
          namespace: name,
          labels: { 'argocd.argoproj.io/secret-type': 'repository' },
        },
        stringData: {
          type: 'git',
          url: git.url('apps'),
          username: git.username ?? '',
          password: git.password ?? '',
        },
      },
    );
  }
  return { name, client, cleanup: ns.cleanup };
}

/** An Application object for the test git server's `apps` repository. */
export function applicationManifest(
  name: string,
  namespace: string,
  spec: Partial<ApplicationSpec> & { repoURL?: string; path?: string; destNamespace?: string },
  extra: { finalizers?: string[]; annotations?: Record<string, string> } = {},
): Application {
  const { repoURL, path, destNamespace, ...rest } = spec;
  return {
    apiVersion: `${API_GROUP}/${API_VERSION}`,
    kind: 'Application',
    metadata: {
      name,
      namespace,
      ...(extra.finalizers ? { finalizers: extra.finalizers } : {}),
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
    },
    spec: {
      project: 'default',
      source: { repoURL: repoURL ?? '', path: path ?? '.', targetRevision: 'HEAD' },
      destination: { server: IN_CLUSTER, namespace: destNamespace ?? namespace },
      ...rest,
    },
  };
}

/** Reads an Application (undefined when absent). */
export async function getApp(
  client: KubeClient,
  ns: string,
  name: string,
): Promise<Application | undefined> {
  try {
    return await client.get<Application>({ ...APPS, namespace: ns, name });
  } catch (err) {
    if ((err as { status?: number }).status === 404) return undefined;
    throw err;
  }
}

/** Polls an Application every 100 ms until `cond` holds; fails naming `what` and the last status. */
export async function waitForApp(
  client: KubeClient,
  ns: string,
  name: string,
  what: string,
  cond: (app: Application) => boolean,
  timeoutMs = 60_000,
): Promise<Application> {
  const deadline = Date.now() + timeoutMs;
  let last: Application | undefined;
  for (;;) {
    last = await getApp(client, ns, name);
    if (last && cond(last)) return last;
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting until ${what}; last status: ${JSON.stringify(last?.status ?? null).slice(0, 3000)}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sets `operation` on an Application as the API server does for `argocd app sync`. */
export async function requestSync(
  client: KubeClient,
  ns: string,
  name: string,
  sync: Record<string, unknown> = {},
  username = 'admin',
): Promise<void> {
  await client.patch(
    { ...APPS, namespace: ns, name },
    { operation: { sync, initiatedBy: { username } } },
  );
}

/** The Events recorded for an object in a namespace. */
export async function appEvents(
  client: KubeClient,
  ns: string,
  name: string,
): Promise<
  { reason: string; message: string; annotations: Record<string, string>; component: string }[]
> {
  const list = await client.list<
    KubeObject & { reason?: string; message?: string; source?: { component?: string } }
  >(
    { group: '', version: 'v1', resource: 'events', namespace: ns },
    { fieldSelector: `involvedObject.name=${name}` },
  );
  return list.items.map((e) => ({
    reason: e.reason ?? '',
    message: e.message ?? '',
    annotations: e.metadata.annotations ?? {},
    component: e.source?.component ?? '',
  }));
}

/** A log sink keeping every record (assert on what the controller logged). */
export function memoryLog(): {
  log: KubeLog;
  records: { level: string; message: string; fields?: Readonly<Record<string, unknown>> }[];
} {
  const records: { level: string; message: string; fields?: Readonly<Record<string, unknown>> }[] =
    [];
  return {
    records,
    log: (level, message, fields) => {
      records.push({ level, message, ...(fields ? { fields } : {}) });
    },
  };
}

export interface TestController {
  readonly controller: ApplicationController;
  stop(): Promise<void>;
}

/** Starts the controller in this process against the shared cluster (in-cluster = the test kubeconfig). */
export async function startTestController(
  options: {
    namespace: string;
    repoServer: RepoServerClient;
  } & Partial<ApplicationControllerOptions>,
): Promise<TestController> {
  const cluster = await testCluster();
  const connection = loadKubeconfig(cluster.kubeconfigPath);
  const client = new KubeClient(connection, { qps: 0 });
  const controller = new ApplicationController({
    client,
    inClusterConnection: connection,
    clusterClientOptions: { qps: 0 },
    resyncMs: 120_000,
    resyncJitterMs: 60_000,
    ...options,
  });
  await controller.start();
  return {
    controller,
    stop: async () => {
      await controller.stop();
      client.close();
    },
  };
}

export interface ControllerProcess {
  readonly pid: number;
  readonly metricsPort: number;
  /** JSON log records printed so far */
  readonly logs: readonly Record<string, unknown>[];
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code */
  stop(graceMs?: number): Promise<number | null>;
  /** SIGKILL at once (no clean shutdown) */
  kill(): Promise<void>;
}

/**
 * Starts the real `argocd-application-controller` binary on the shared cluster, talking to the
 * repo server at `repoServer` (host:port) verified with `repoServerCaPem`. Resolves once it logs
 * "application controller running".
 */
export async function startControllerProcess(options: {
  namespace: string;
  repoServer: string;
  repoServerCaPem: string;
  args?: readonly string[];
  env?: Readonly<Record<string, string>>;
}): Promise<ControllerProcess> {
  const cluster = await testCluster();
  const bin = fileURLToPath(new URL('../../bin/argocd-application-controller.js', import.meta.url));
  const dir = await mkdtemp(join(tmpdir(), 'argocd-ts-ctl-'));
  await writeFile(join(dir, 'repo-ca.crt'), options.repoServerCaPem);
  const args = [
    '--kubeconfig',
    cluster.kubeconfigPath,
    '--namespace',
    options.namespace,
    '--repo-server',
    options.repoServer,
    '--repo-server-ca-cert-path',
    join(dir, 'repo-ca.crt'),
    '--internal-tls-dir',
    'none',
    '--metrics-address',
    '127.0.0.1',
    '--metrics-port',
    '0',
    '--logformat',
    'json',
    '--k8s-client-qps',
    '0',
    ...(options.args ?? []),
  ];
  const child = spawn(process.execPath, [bin, ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      resolve(code);
    });
  });
  const cleanup = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const metricsPort = await new Promise<number>((resolve, reject) => {
      let port = 0;
      let partial = '';
      const timer = setTimeout(() => {
        reject(new Error(`argocd-application-controller did not start within 60s: ${stderr}`));
      }, 60_000);
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.stdout.on('data', (c: Buffer) => {
        partial += c.toString();
        const lines = partial.split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          if (!line.startsWith('{')) continue;
          const rec = JSON.parse(line) as Record<string, unknown>;
          logs.push(rec);
          if (rec.msg === 'metrics listening') port = Number(rec.port);
          if (rec.msg === 'application controller running') {
            clearTimeout(timer);
            resolve(port);
          }
        }
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`argocd-application-controller exited with ${code}: ${stderr}`));
      });
    });
    return {
      pid: child.pid ?? 0,
      metricsPort,
      logs,
      stop: async (graceMs = 10_000) => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          const code = await exited;
          clearTimeout(timer);
          await cleanup();
          return code;
        }
        await cleanup();
        return child.exitCode;
      },
      kill: async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGKILL');
          await exited;
        }
        await cleanup();
      },
    };
  } catch (err) {
    child.kill('SIGKILL');
    await cleanup();
    throw err;
  }
}
