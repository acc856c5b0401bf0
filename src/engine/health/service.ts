/** Service health (≈ gitops-engine `health_service.go`). */
import type { KubeObject } from '../../apis/index.js';
import type { HealthStatus } from './types.js';
import { records, str } from './util.js';

/** LoadBalancer Services are Progressing until the load balancer has an ingress; others Healthy. */
export function getServiceHealth(obj: KubeObject): HealthStatus {
  if (str(obj, 'spec', 'type') !== 'LoadBalancer') return { status: 'Healthy' };
  return records(obj, 'status', 'loadBalancer', 'ingress').length > 0
    ? { status: 'Healthy' }
    : { status: 'Progressing' };
}
