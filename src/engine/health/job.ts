/** Job health (≈ gitops-engine `health_job.go`). */
import type { KubeObject } from '../../apis/index.js';
import type { HealthStatus } from './types.js';
import { conditionsOf } from './util.js';

/**
 * By conditions: `Failed` → Degraded, `Suspended` (True) → Suspended, `Complete` → Healthy; no
 * final condition yet → Progressing.
 */
export function getJobHealth(obj: KubeObject): HealthStatus {
  let failed = false;
  let complete = false;
  let suspended = false;
  let failMessage = '';
  let message = '';
  for (const c of conditionsOf(obj)) {
    switch (c.type) {
      case 'Failed':
        failed = true;
        complete = true;
        failMessage = c.message;
        break;
      case 'Complete':
        complete = true;
        message = c.message;
        break;
      case 'Suspended':
        complete = true;
        message = c.message;
        if (c.status === 'True') suspended = true;
        break;
      default:
        break;
    }
  }
  const m = (status: HealthStatus['status'], text: string): HealthStatus =>
    text === '' ? { status } : { status, message: text };
  if (!complete) return m('Progressing', message);
  if (failed) return m('Degraded', failMessage);
  if (suspended) return m('Suspended', message);
  return m('Healthy', message);
}
