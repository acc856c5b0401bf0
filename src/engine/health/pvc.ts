/** PersistentVolumeClaim health (≈ gitops-engine `health_pvc.go`). */
import type { KubeObject } from '../../apis/index.js';
import type { HealthStatus } from './types.js';
import { str } from './util.js';

/** Bound → Healthy, Pending → Progressing, Lost → Degraded, anything else Unknown. */
export function getPvcHealth(obj: KubeObject): HealthStatus {
  switch (str(obj, 'status', 'phase')) {
    case 'Bound':
      return { status: 'Healthy' };
    case 'Pending':
      return { status: 'Progressing' };
    case 'Lost':
      return { status: 'Degraded' };
    default:
      return { status: 'Unknown' };
  }
}
