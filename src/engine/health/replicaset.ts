/** ReplicaSet health (≈ gitops-engine `health_replicaset.go`). */
import type { KubeObject } from '../../apis/index.js';
import type { HealthStatus } from './types.js';
import { conditionsOf, generationOf, num, optNum } from './util.js';

/** A `ReplicaFailure` condition → Degraded; unavailable replicas → Progressing. */
export function getReplicaSetHealth(obj: KubeObject): HealthStatus {
  if (generationOf(obj) > num(obj, 0, 'status', 'observedGeneration')) {
    return {
      status: 'Progressing',
      message:
        'Waiting for rollout to finish: observed replica set generation less than desired generation',
    };
  }
  const failure = conditionsOf(obj).find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  if (failure !== undefined) return { status: 'Degraded', message: failure.message };
  const replicas = optNum(obj, 'spec', 'replicas');
  const available = num(obj, 0, 'status', 'availableReplicas');
  if (replicas !== undefined && available < replicas) {
    return {
      status: 'Progressing',
      message: `Waiting for rollout to finish: ${available} out of ${replicas} new replicas are available...`,
    };
  }
  return { status: 'Healthy' };
}
