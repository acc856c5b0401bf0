/**
 * kube: the adapter to real Kubernetes clusters. A REST client (JSON, server-side apply, dry run,
 * watches, discovery) over kubeconfig or in-cluster credentials; the cluster cache and the engine
 * ports build on it.
 *
 * @example
 * const kube = new KubeClient(loadKubeconfig());
 * const cm = await kube.get({ group: '', version: 'v1', resource: 'configmaps', namespace: 'argocd', name: 'argocd-cm' });
 */
export {
  KubeClient,
  resourcePath,
  splitApiVersion,
  type ResourceRef,
  type RequestParams,
  type WatchEvent,
  type KubeClientOptions,
  type ApiResourceInfo,
} from './client.js';
export {
  loadKubeconfig,
  parseKubeconfig,
  inClusterConnection,
  type KubeConnection,
} from './kubeconfig.js';
export {
  KubeApiError,
  KubeConfigError,
  isNotFound,
  isConflict,
  isAlreadyExists,
  isGone,
  type KubeErrorCode,
} from './errors.js';
