/** Deployment health (≈ gitops-engine `health_deployment.go`). */
import type { KubeObject } from '../../apis/index.js';
import type { HealthStatus } from './types.js';
import { conditionsOf, generationOf, get, num, optNum, str } from './util.js';

/**
 * Paused → Suspended; a `Progressing` condition with reason `ProgressDeadlineExceeded` → Degraded;
 * a rollout in progress (updated, old or unavailable replicas; status not yet observing the
 * current generation) → Progressing; otherwise Healthy.
 */
export function getDeploymentHealth(obj: KubeObject): HealthStatus {
  if (get(obj, 'spec', 'paused') === true) {
    return { status: 'Suspended', message: 'Deployment is paused' };
  }
  const observed = num(obj, 0, 'status', 'observedGeneration');
  if (generationOf(obj) > observed) {
    return {
      status: 'Progressing',
      message:
        'Waiting for rollout to finish: observed deployment generation less than desired generation',
    };
  }
  const progressing = conditionsOf(obj).find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return {
      status: 'Degraded',
      message: `Deployment "${str(obj, 'metadata', 'name')}" exceeded its progress deadline`,
    };
  }
  const replicas = optNum(obj, 'spec', 'replicas');
  const updated = num(obj, 0, 'status', 'updatedReplicas');
  const current = num(obj, 0, 'status', 'replicas');
  const available = num(obj, 0, 'status', 'availableReplicas');
  if (replicas !== undefined && updated < replicas) {
    return {
      status: 'Progressing',
      message: `Waiting for rollout to finish: ${updated} out of ${replicas} new replicas have been updated...`,
    };
  }
  if (current > updated) {
    return {
      status: 'Progressing',
      message: `Waiting for rollout to finish: ${current - updated} old replicas are pending termination...`,
    };
  }
  if (available < updated) {
    return {
      status: 'Progressing',
      message: `Waiting for rollout to finish: ${available} of ${updated} updated replicas are available...`,
    };
  }
  return { status: 'Healthy' };
}
