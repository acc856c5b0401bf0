/** Ingress health (≈ gitops-engine `health_ingress.go`). */
import type { KubeObject } from '../../apis/index.js';
import type { HealthStatus } from './types.js';
import { records } from './util.js';

/** Healthy once the controller published a load-balancer ingress, Progressing before. */
export function getIngressHealth(obj: KubeObject): HealthStatus {
  return records(obj, 'status', 'loadBalancer', 'ingress').length > 0
    ? { status: 'Healthy' }
    : { status: 'Progressing' };
}
