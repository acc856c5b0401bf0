/**
 * The one cluster integration tests and benchmarks share. `npm test` starts one control plane for
 * the whole run and passes its kubeconfig in ARGOCD_TS_TEST_KUBECONFIG; a test file run on its own
 * starts one for its process and stops it (by PID) when the process ends. KUBECONFIG pointing at a
 * loopback cluster that answers is used instead when ARGOCD_TS_TEST_USE_KUBECONFIG=1 (docs/testing.md).
 */
import { startKubeEnv, type KubeEnv } from './env.js';

export interface TestCluster {
  readonly kubeconfigPath: string;
  /** present when this process started the cluster itself */
  readonly env?: KubeEnv;
}

let shared: Promise<TestCluster> | undefined;

/** Returns the shared test cluster, starting one for this process if none was provided. */
export function testCluster(): Promise<TestCluster> {
  shared ??= (async (): Promise<TestCluster> => {
    const given = process.env.ARGOCD_TS_TEST_KUBECONFIG;
    if (given) return { kubeconfigPath: given };
    if (process.env.ARGOCD_TS_TEST_USE_KUBECONFIG === '1' && process.env.KUBECONFIG) {
      return { kubeconfigPath: process.env.KUBECONFIG.split(':')[0] ?? process.env.KUBECONFIG };
    }
    const env = await startKubeEnv();
    let stopping = false;
    process.on('beforeExit', () => {
      if (stopping) return;
      stopping = true;
      void env.stop();
    });
    return { kubeconfigPath: env.kubeconfigPath, env };
  })();
  return shared;
}
