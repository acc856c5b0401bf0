/**
 * Health of custom resources that follow the Kubernetes condition conventions (kstatus):
 * `status.observedGeneration` behind `metadata.generation` → Progressing; `Stalled` True →
 * Degraded; `Reconciling` True → Progressing; then the `Ready` condition (or `Available`, or
 * `Succeeded`): True → Healthy, False → Degraded (Progressing when its reason says it is still
 * progressing), Unknown → Progressing. No such conditions → no health.
 */
import type { KubeObject } from '../../apis/index.js';
import type { HealthStatus } from './types.js';
import { conditionsOf, generationOf, optNum } from './util.js';

const READY_TYPES = ['Ready', 'Available', 'Succeeded'];
const PROGRESSING_REASONS = /progress|reconcil|pending|creating|updating|waiting|initializ/i;

function withMessage(status: HealthStatus['status'], message: string): HealthStatus {
  return message === '' ? { status } : { status, message };
}

/** Health from standard conditions, or undefined when the object has none of them. */
export function getConditionsHealth(obj: KubeObject): HealthStatus | undefined {
  const conditions = conditionsOf(obj);
  if (conditions.length === 0) return undefined;
  const observed = optNum(obj, 'status', 'observedGeneration');
  const stalled = conditions.find((c) => c.type === 'Stalled' && c.status === 'True');
  if (stalled !== undefined) return withMessage('Degraded', stalled.message);
  if (observed !== undefined && generationOf(obj) > observed) {
    return {
      status: 'Progressing',
      message: 'Waiting for the controller to observe the latest generation',
    };
  }
  const reconciling = conditions.find((c) => c.type === 'Reconciling' && c.status === 'True');
  if (reconciling !== undefined) return withMessage('Progressing', reconciling.message);
  for (const type of READY_TYPES) {
    const c = conditions.find((x) => x.type === type);
    if (c === undefined) continue;
    if (c.status === 'True') return withMessage('Healthy', c.message);
    if (c.status === 'False') {
      return PROGRESSING_REASONS.test(c.reason)
        ? withMessage('Progressing', c.message)
        : withMessage('Degraded', c.message);
    }
    return withMessage('Progressing', c.message);
  }
  return undefined;
}
