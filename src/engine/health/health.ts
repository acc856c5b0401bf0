/**
 * Resource health (≈ gitops-engine `pkg/health`): one check per kind, each in its own file with YAML
 * fixtures under testdata/, plus a generic check for custom resources with `status.conditions`.
 */
import { healthOrder, type HealthStatusCode, type KubeObject } from '../../apis/index.js';
import { notImplemented } from '../todo.js';
import type { HealthOptions, HealthStatus } from './types.js';

/**
 * The health of one live object, or undefined for kinds without health (ConfigMap, Service of
 * type ClusterIP, ...). `options.override` is consulted first.
 * @example getResourceHealth(deployment) // { status: 'Progressing', message: 'Waiting for rollout to finish: ...' }
 */
export function getResourceHealth(
  _obj: KubeObject,
  _options: HealthOptions = {},
): HealthStatus | undefined {
  return notImplemented('getResourceHealth');
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
