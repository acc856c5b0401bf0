/**
 * kubeenv: a real Kubernetes control plane on loopback (etcd + kube-apiserver +
 * kube-controller-manager built from Debian's `kubernetes` source package) for integration tests,
 * benchmarks, `npm run kube:up|down` and `npm start`. See docs/testing.md.
 *
 * @example
 * const env = await startKubeEnv({ log: console.error });
 * // KUBECONFIG=env.kubeconfigPath
 * await env.stop();
 */
export {
  startKubeEnv,
  stopKubeEnvState,
  readState,
  isRunning,
  freePort,
  stopPid,
  type KubeEnv,
  type KubeEnvOptions,
  type KubeEnvState,
} from './env.js';
export {
  ensureKubeBinaries,
  findKubeBinaries,
  kubeBinDir,
  binaryVersion,
  KUBE_SOURCE_VERSION,
  type KubeBinaries,
} from './binaries.js';
export { KubeEnvError, type KubeEnvErrorCode } from './errors.js';
export { testCluster, type TestCluster } from './test-cluster.js';
