/**
 * `npm run kube:up` / `npm run kube:down`: start or stop the local Kubernetes control plane by hand.
 * It lives in .argocd-ts/kube (certificates, etcd data, logs, kubeconfig) and is reused by the next
 * `kube:up` and by `npm start`. `kube:down --purge` also deletes the data.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../lib/index.js';
import { isRunning, readState, startKubeEnv, stopKubeEnvState } from '../kubeenv/index.js';
import { LOCAL_KUBE_DIR } from './paths.js';

async function up(): Promise<number> {
  const state = readState(LOCAL_KUBE_DIR);
  if (state && isRunning(state)) {
    process.stdout.write(`already running: export KUBECONFIG=${state.kubeconfigPath}\n`);
    return 0;
  }
  const t0 = Date.now();
  const env = await startKubeEnv({
    dir: LOCAL_KUBE_DIR,
    detached: true,
    log: (l) => process.stderr.write(`kube: ${l}\n`),
  });
  process.stdout.write(
    [
      `Kubernetes v1.20.2 is up at ${env.server} (${((Date.now() - t0) / 1000).toFixed(1)}s); it listens on 127.0.0.1 only.`,
      `  export KUBECONFIG=${env.kubeconfigPath}`,
      '  kubectl get namespaces',
      `Logs: ${join(env.dir, 'logs')}   Stop: npm run kube:down   (PIDs: etcd ${env.pids.etcd}, kube-apiserver ${env.pids.apiserver}, kube-controller-manager ${env.pids.controllerManager ?? '-'})`,
      '',
    ].join('\n'),
  );
  return 0;
}

async function down(purge: boolean): Promise<number> {
  const state = readState(LOCAL_KUBE_DIR);
  if (state) {
    await stopKubeEnvState(state, true);
    process.stdout.write(
      `stopped (PIDs ${[state.pids.controllerManager, state.pids.apiserver, state.pids.etcd].filter(Boolean).join(', ')})\n`,
    );
  } else {
    process.stdout.write('not running\n');
  }
  if (purge && existsSync(LOCAL_KUBE_DIR)) {
    rmSync(LOCAL_KUBE_DIR, { recursive: true, force: true });
    process.stdout.write(`removed ${LOCAL_KUBE_DIR}\n`);
  }
  return 0;
}

const [verb, ...rest] = process.argv.slice(2);
try {
  if (verb === 'up') process.exitCode = await up();
  else if (verb === 'down') process.exitCode = await down(rest.includes('--purge'));
  else {
    process.stderr.write('usage: kube-env.ts up | down [--purge]\n');
    process.exitCode = 2;
  }
} catch (err) {
  process.stderr.write(`kube:${verb ?? ''} failed: ${errorMessage(err)}\n`);
  process.exitCode = 1;
}
