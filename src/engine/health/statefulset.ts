/** StatefulSet health (≈ gitops-engine `health_statefulset.go`). */
import type { KubeObject } from '../../apis/index.js';
import type { HealthStatus } from './types.js';
import { generationOf, get, num, optNum, str } from './util.js';

/**
 * Progressing until the controller observed the current generation, all replicas are ready and a
 * rolling update (or a partitioned one) has reached every pod; OnDelete strategies are Healthy
 * once ready.
 */
export function getStatefulSetHealth(obj: KubeObject): HealthStatus {
  const observed = num(obj, 0, 'status', 'observedGeneration');
  if (observed === 0 || generationOf(obj) > observed) {
    return {
      status: 'Progressing',
      message: 'Waiting for statefulset spec update to be observed...',
    };
  }
  const replicas = optNum(obj, 'spec', 'replicas');
  const ready = num(obj, 0, 'status', 'readyReplicas');
  if (replicas !== undefined && ready < replicas) {
    return {
      status: 'Progressing',
      message: `Waiting for ${replicas - ready} pods to be ready...`,
    };
  }
  const strategy = str(obj, 'spec', 'updateStrategy', 'type');
  const updated = num(obj, 0, 'status', 'updatedReplicas');
  const partition = optNum(obj, 'spec', 'updateStrategy', 'rollingUpdate', 'partition');
  if (
    (strategy === 'RollingUpdate' || strategy === '') &&
    get(obj, 'spec', 'updateStrategy', 'rollingUpdate') !== undefined &&
    replicas !== undefined &&
    partition !== undefined
  ) {
    if (updated < replicas - partition) {
      return {
        status: 'Progressing',
        message: `Waiting for partitioned roll out to finish: ${updated} out of ${replicas - partition} new pods have been updated...`,
      };
    }
    return {
      status: 'Healthy',
      message: `partitioned roll out complete: ${updated} new pods have been updated...`,
    };
  }
  if (strategy === 'OnDelete') {
    return { status: 'Healthy', message: `statefulset has ${ready} ready pods` };
  }
  const updateRevision = str(obj, 'status', 'updateRevision');
  const currentRevision = str(obj, 'status', 'currentRevision');
  if (updateRevision !== currentRevision) {
    return {
      status: 'Progressing',
      message: `waiting for statefulset rolling update to complete ${updated} pods at revision ${updateRevision}...`,
    };
  }
  return {
    status: 'Healthy',
    message: `statefulset rolling update complete ${num(obj, 0, 'status', 'currentReplicas')} pods at revision ${currentRevision}...`,
  };
}
