/** DaemonSet health (≈ gitops-engine `health_daemonset.go`). */
import type { KubeObject } from '../../apis/index.js';
import type { HealthStatus } from './types.js';
import { generationOf, num, str } from './util.js';

/** Progressing until every scheduled pod is updated and available; OnDelete is Healthy. */
export function getDaemonSetHealth(obj: KubeObject): HealthStatus {
  const observed = num(obj, 0, 'status', 'observedGeneration');
  if (observed === 0 || generationOf(obj) > observed) {
    return {
      status: 'Progressing',
      message:
        'Waiting for rollout to finish: observed daemon set generation less than desired generation',
    };
  }
  const desired = num(obj, 0, 'status', 'desiredNumberScheduled');
  const updated = num(obj, 0, 'status', 'updatedNumberScheduled');
  const available = num(obj, 0, 'status', 'numberAvailable');
  const name = str(obj, 'metadata', 'name');
  if (str(obj, 'spec', 'updateStrategy', 'type') === 'OnDelete') {
    return {
      status: 'Healthy',
      message: `daemon set ${updated} out of ${desired} new pods have been updated`,
    };
  }
  if (updated < desired) {
    return {
      status: 'Progressing',
      message: `Waiting for daemon set "${name}" rollout to finish: ${updated} out of ${desired} new pods have been updated...`,
    };
  }
  if (available < desired) {
    return {
      status: 'Progressing',
      message: `Waiting for daemon set "${name}" rollout to finish: ${available} of ${desired} updated pods are available...`,
    };
  }
  return { status: 'Healthy' };
}
