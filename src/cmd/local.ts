/**
 * `npm start`: the local main job. Uses the cluster in KUBECONFIG when one answers, else starts (or
 * reuses) the project's own Kubernetes control plane in .argocd-ts/kube, installs the argoproj.io
 * CRDs and the `argocd` namespace, prints how to use it and waits; Ctrl-C stops what it started.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../apis/index.js';
import { DEFAULT_NAMESPACE } from '../apis/index.js';
import { KubeClient, isAlreadyExists, loadKubeconfig, type KubeConnection } from '../kube/index.js';
import { isRunning, readState, startKubeEnv, type KubeEnv } from '../kubeenv/index.js';
import { errorMessage } from '../lib/index.js';
import { LOCAL_KUBE_DIR, REPO_ROOT } from './paths.js';

const args = process.argv.slice(2);

if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(`Usage: npm start [-- options]

Brings up argocd-ts locally: a Kubernetes API server (the cluster in KUBECONFIG when it answers,
else the project's own control plane in .argocd-ts/kube, built on first use), the argoproj.io CRDs
and the ${DEFAULT_NAMESPACE} namespace. Ctrl-C stops every process it started.

Options:
  --use-kubeconfig   require the cluster in KUBECONFIG (fail instead of starting a local one)
  -h, --help         show this help
`);
  process.exit(0);
}

const log = (line: string): void => {
  process.stderr.write(`[argocd-ts] ${line}\n`);
};

async function reachable(conn: KubeConnection): Promise<boolean> {
  const k = new KubeClient(conn, { timeoutMs: 3000 });
  try {
    await k.request({ method: 'GET', path: '/version' });
    return true;
  } catch {
    return false;
  } finally {
    k.close();
  }
}

let started: KubeEnv | undefined;
let kubeconfigPath = '';

async function chooseCluster(): Promise<KubeConnection> {
  if (process.env.KUBECONFIG) {
    const conn = loadKubeconfig();
    if (await reachable(conn)) {
      kubeconfigPath = process.env.KUBECONFIG;
      log(`using the cluster in KUBECONFIG (${conn.server})`);
      return conn;
    }
    if (args.includes('--use-kubeconfig'))
      throw new Error(`the cluster in KUBECONFIG (${conn.server}) does not answer`);
    log(
      `the cluster in KUBECONFIG (${conn.server}) does not answer; starting the local one instead`,
    );
  }
  const state = readState(LOCAL_KUBE_DIR);
  if (state && isRunning(state)) {
    kubeconfigPath = state.kubeconfigPath;
    log(`reusing the local control plane started by 'npm run kube:up' (${state.server})`);
    return loadKubeconfig(state.kubeconfigPath);
  }
  const t0 = Date.now();
  started = await startKubeEnv({
    dir: LOCAL_KUBE_DIR,
    log: (l) => {
      log(`kube: ${l}`);
    },
  });
  kubeconfigPath = started.kubeconfigPath;
  log(`local control plane ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return loadKubeconfig(started.kubeconfigPath);
}

async function installBase(k: KubeClient): Promise<void> {
  try {
    await k.create(
      { group: '', version: 'v1', resource: 'namespaces' },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: DEFAULT_NAMESPACE } },
    );
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  const dir = join(REPO_ROOT, 'manifests', 'crds');
  for (const f of readdirSync(dir)
    .filter((n) => n.endsWith('-crd.yaml'))
    .sort()) {
    await k.apply(parseYaml(readFileSync(join(dir, f), 'utf8')) as KubeObject, {
      fieldManager: 'argocd-ts',
      force: true,
    });
  }
  log('installed the argoproj.io CRDs and the argocd namespace');
}

async function stop(): Promise<void> {
  if (started) {
    log('stopping the local control plane');
    await started.stop();
    started = undefined;
  }
}

try {
  const conn = await chooseCluster();
  const k = new KubeClient(conn);
  await installBase(k);
  k.close();
  process.stdout.write(
    [
      '',
      'argocd-ts is up (this version runs the Kubernetes environment; the Argo CD components follow).',
      `  export KUBECONFIG=${kubeconfigPath}`,
      `  kubectl get crds | grep argoproj.io`,
      `  kubectl -n ${DEFAULT_NAMESPACE} get applications`,
      started
        ? 'Press Ctrl-C to stop.'
        : 'The cluster was already running; Ctrl-C leaves it running.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await stop();
} catch (err) {
  log(`failed: ${errorMessage(err)}`);
  await stop();
  process.exitCode = 1;
}
