/** APIService health (≈ gitops-engine `health_apiservice.go`). */
import type { KubeObject } from '../../apis/index.js';
import type { HealthStatus } from './types.js';
import { conditionsOf } from './util.js';

/** The `Available` condition: True → Healthy, otherwise Progressing ("<reason>: <message>"). */
export function getApiServiceHealth(obj: KubeObject): HealthStatus {
  for (const c of conditionsOf(obj)) {
    if (c.type !== 'Available') continue;
    const message = `${c.reason}: ${c.message}`;
    return c.status === 'True'
      ? { status: 'Healthy', message }
      : { status: 'Progressing', message };
  }
  return { status: 'Progressing', message: 'Waiting to be processed' };
}
