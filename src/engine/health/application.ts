/** Application health for app-of-apps (Argo CD's documented `argoproj.io/Application` health check). */
import { HealthStatusCodes, type HealthStatusCode, type KubeObject } from '../../apis/index.js';
import type { HealthStatus } from './types.js';
import { str } from './util.js';

const codes = new Set<string>(Object.values(HealthStatusCodes));

/** The child app's own `status.health`; Progressing until it has one. */
export function getApplicationHealth(obj: KubeObject): HealthStatus {
  const status = str(obj, 'status', 'health', 'status');
  const message = str(obj, 'status', 'health', 'message');
  if (!codes.has(status)) return { status: 'Progressing' };
  return message === ''
    ? { status: status as HealthStatusCode }
    : { status: status as HealthStatusCode, message };
}
