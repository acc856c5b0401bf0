/** Pod health (≈ gitops-engine `health_pod.go`). */
import type { KubeObject } from '../../apis/index.js';
import type { HealthStatus } from './types.js';
import { conditionsOf, get, num, records, str } from './util.js';

function withMessage(status: HealthStatus['status'], message: string): HealthStatus {
  return message === '' ? { status } : { status, message };
}

function failMessage(ctr: Record<string, unknown>): string {
  const term = get(ctr, 'state', 'terminated');
  if (term === undefined) return '';
  const msg = str(term, 'message');
  if (msg !== '') return msg;
  if (str(term, 'reason') === 'OOMKilled') return 'OOMKilled';
  const code = num(term, 0, 'exitCode');
  if (code !== 0) return `container "${str(ctr, 'name')}" failed with exit code ${code}`;
  return '';
}

/**
 * With restartPolicy Always, a waiting container whose reason starts with `Err` or ends with
 * `Error`/`BackOff` (CrashLoopBackOff, ImagePullBackOff, ErrImagePull) → Degraded. Then by phase:
 * Pending → Progressing, Succeeded → Healthy, Failed → Degraded (with the pod's or the failed
 * container's message), Running → Healthy when Ready (restartPolicy Always), Degraded when not
 * ready and a container terminated before, else Progressing; Running pods with restartPolicy
 * OnFailure/Never (hooks) stay Progressing until they finish.
 */
export function getPodHealth(obj: KubeObject): HealthStatus {
  const restartPolicy = str(obj, 'spec', 'restartPolicy') || 'Always';
  const statuses = records(obj, 'status', 'containerStatuses');
  const podMessage = str(obj, 'status', 'message');
  if (restartPolicy === 'Always') {
    const messages: string[] = [];
    for (const cs of statuses) {
      const waiting = get(cs, 'state', 'waiting');
      const reason = str(waiting, 'reason');
      if (
        waiting !== undefined &&
        (reason.startsWith('Err') || reason.endsWith('Error') || reason.endsWith('BackOff'))
      ) {
        messages.push(str(waiting, 'message') || reason);
      }
    }
    if (messages.length > 0) return { status: 'Degraded', message: messages.join(', ') };
  }
  switch (str(obj, 'status', 'phase')) {
    case 'Pending':
      return withMessage('Progressing', podMessage);
    case 'Succeeded':
      return withMessage('Healthy', podMessage);
    case 'Failed': {
      if (podMessage !== '') return { status: 'Degraded', message: podMessage };
      for (const cs of [...records(obj, 'status', 'initContainerStatuses'), ...statuses]) {
        const m = failMessage(cs);
        if (m !== '') return { status: 'Degraded', message: m };
      }
      return { status: 'Degraded' };
    }
    case 'Running': {
      if (restartPolicy === 'Always') {
        const ready = conditionsOf(obj).some((c) => c.type === 'Ready' && c.status === 'True');
        if (ready) return withMessage('Healthy', podMessage);
        if (statuses.some((cs) => get(cs, 'lastState', 'terminated') !== undefined)) {
          return withMessage('Degraded', podMessage);
        }
        return withMessage('Progressing', podMessage);
      }
      return withMessage('Progressing', podMessage);
    }
    default:
      return withMessage('Unknown', podMessage);
  }
}
