/**
 * Resource health (≈ gitops-engine `pkg/health`): one check per kind, each in its own file with YAML
 * fixtures under testdata/, plus a generic check for custom resources with `status.conditions`.
 */
import { healthOrder, type HealthStatusCode, type KubeObject } from '../../apis/index.js';
import { getApiServiceHealth } from './apiservice.js';
import { getApplicationHealth } from './application.js';
import { getConditionsHealth } from './conditions.js';
import { getDaemonSetHealth } from './daemonset.js';
import { getDeploymentHealth } from './deployment.js';
import { getHpaHealth } from './hpa.js';
import { getIngressHealth } from './ingress.js';
import { getJobHealth } from './job.js';
import { getPodHealth } from './pod.js';
import { getPvcHealth } from './pvc.js';
import { getReplicaSetHealth } from './replicaset.js';
import { getServiceHealth } from './service.js';
import { getStatefulSetHealth } from './statefulset.js';
import type { HealthCheck, HealthOptions, HealthStatus } from './types.js';

/** Built-in checks by `group/Kind`. */
const checks: ReadonlyMap<string, HealthCheck> = new Map<string, HealthCheck>([
  ['apps/Deployment', getDeploymentHealth],
  ['extensions/Deployment', getDeploymentHealth],
  ['apps/StatefulSet', getStatefulSetHealth],
  ['apps/DaemonSet', getDaemonSetHealth],
  ['extensions/DaemonSet', getDaemonSetHealth],
  ['apps/ReplicaSet', getReplicaSetHealth],
  ['extensions/ReplicaSet', getReplicaSetHealth],
  ['/Pod', getPodHealth],
  ['/Service', getServiceHealth],
  ['/PersistentVolumeClaim', getPvcHealth],
  ['networking.k8s.io/Ingress', getIngressHealth],
  ['extensions/Ingress', getIngressHealth],
  ['batch/Job', getJobHealth],
  ['autoscaling/HorizontalPodAutoscaler', getHpaHealth],
  ['apiregistration.k8s.io/APIService', getApiServiceHealth],
  ['argoproj.io/Application', getApplicationHealth],
]);

/** Groups served by Kubernetes itself: their kinds have no condition-based health. */
function isBuiltInGroup(group: string): boolean {
  return (
    group === '' ||
    group === 'apps' ||
    group === 'batch' ||
    group === 'autoscaling' ||
    group === 'policy' ||
    group === 'extensions' ||
    group.endsWith('.k8s.io')
  );
}

/**
 * The health of one live object, or undefined for kinds without health (ConfigMap, Secret,
 * RBAC, ...). `options.override` is consulted first; an object being deleted is Progressing
 * ("Pending deletion"); then the kind's check (one file per kind); custom resources fall back to
 * their standard `status.conditions` (`conditions.ts`).
 * @example getResourceHealth(deployment) // { status: 'Progressing', message: 'Waiting for rollout to finish: ...' }
 */
export function getResourceHealth(
  obj: KubeObject,
  options: HealthOptions = {},
): HealthStatus | undefined {
  const custom = options.override?.(obj);
  if (custom !== undefined) return custom;
  if (obj.metadata.deletionTimestamp !== undefined) {
    return { status: 'Progressing', message: 'Pending deletion' };
  }
  const i = obj.apiVersion.indexOf('/');
  const group = i < 0 ? '' : obj.apiVersion.slice(0, i);
  const check = checks.get(`${group}/${obj.kind}`);
  if (check !== undefined) return check(obj);
  if (isBuiltInGroup(group)) return undefined;
  return getConditionsHealth(obj);
}

/** Whether health `a` is worse than `b` by `healthOrder` (Healthy best, Unknown worst). */
export function isWorseHealth(a: HealthStatusCode, b: HealthStatusCode): boolean {
  return healthOrder.indexOf(a) > healthOrder.indexOf(b);
}

/**
 * The worst of several health codes (`healthOrder`); `Healthy` when there are none. Undefined
 * entries (objects without health) are skipped.
 */
export function aggregateHealth(codes: Iterable<HealthStatusCode | undefined>): HealthStatusCode {
  let worst: HealthStatusCode = 'Healthy';
  for (const c of codes) if (c !== undefined && isWorseHealth(c, worst)) worst = c;
  return worst;
}
