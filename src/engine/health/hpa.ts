/** HorizontalPodAutoscaler health (≈ gitops-engine `health_hpa.go`), autoscaling v1 and v2. */
import type { KubeObject } from '../../apis/index.js';
import { isRecord } from '../../lib/index.js';
import type { HealthStatus } from './types.js';
import { conditionsOf, str, type Condition } from './util.js';

const degraded: readonly (readonly [string, string])[] = [
  ['AbleToScale', 'FailedGetScale'],
  ['AbleToScale', 'FailedUpdateScale'],
  ['ScalingActive', 'FailedGetResourceMetric'],
  ['ScalingActive', 'InvalidSelector'],
];
const healthy: readonly (readonly [string, string])[] = [
  ['AbleToScale', 'SucceededRescale'],
  ['ScalingLimited', 'DesiredWithinRange'],
  ['ScalingLimited', 'TooFewReplicas'],
  ['ScalingLimited', 'TooManyReplicas'],
];

const V1_CONDITIONS = 'autoscaling.alpha.kubernetes.io/conditions';

function v1Conditions(obj: KubeObject): Condition[] {
  const raw = obj.metadata.annotations?.[V1_CONDITIONS];
  if (raw === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // a broken annotation: no conditions, so the HPA stays Progressing
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.filter(isRecord).map((c) => ({
    type: str(c, 'type'),
    status: str(c, 'status'),
    reason: str(c, 'reason'),
    message: str(c, 'message'),
  }));
}

/**
 * The first condition that is a known failure (FailedGetScale, FailedUpdateScale,
 * FailedGetResourceMetric, InvalidSelector) → Degraded, or a known success (SucceededRescale,
 * DesiredWithinRange, TooFewReplicas, TooManyReplicas) → Healthy; otherwise
 * Progressing "Waiting to Autoscale". autoscaling/v1 keeps conditions in an annotation.
 */
export function getHpaHealth(obj: KubeObject): HealthStatus {
  const conditions = obj.apiVersion === 'autoscaling/v1' ? v1Conditions(obj) : conditionsOf(obj);
  for (const c of conditions) {
    if (degraded.some(([t, r]) => c.type === t && c.reason === r)) {
      return { status: 'Degraded', message: c.message };
    }
    if (healthy.some(([t, r]) => c.type === t && c.reason === r)) {
      return { status: 'Healthy', message: c.message };
    }
  }
  return { status: 'Progressing', message: 'Waiting to Autoscale' };
}
