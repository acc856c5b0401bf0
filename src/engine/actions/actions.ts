/**
 * Built-in resource actions (≈ the actions Argo CD ships for core workload kinds), pure: which
 * actions an object offers, and the JSON merge patch that runs one.
 *
 * - `apps/Deployment`: `restart`, `pause` (disabled while paused), `resume` (disabled unless paused)
 * - `apps/StatefulSet`, `apps/DaemonSet`: `restart`
 *
 * `restart` stamps `kubectl.kubernetes.io/restartedAt` on the pod template, as
 * `kubectl rollout restart` does, so the workload controller rolls every pod. Lua actions of
 * `resource.customizations.actions.*` are not run (see docs/server.md).
 *
 * @example
 * listBuiltinActions(deployment).map((a) => a.name) // ['pause', 'restart', 'resume']
 * planBuiltinAction(deployment, 'restart', new Date()) // { patch: { spec: { template: ... } } }
 */
import type { KubeObject } from '../../apis/index.js';
import { isRecord } from '../../lib/index.js';

/** One action as Argo CD's API lists it (`v1alpha1ResourceAction`). */
export interface BuiltinAction {
  readonly name: string;
  readonly disabled: boolean;
  readonly iconClass: string;
  readonly displayName: string;
}

/** The merge patch that runs an action, or why it cannot run. */
export type ActionPlan = { readonly patch: Record<string, unknown> } | { readonly refused: string };

/** The annotation `kubectl rollout restart` sets on the pod template. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

function isPaused(obj: KubeObject): boolean {
  const spec = (obj as { spec?: unknown }).spec;
  return isRecord(spec) && spec.paused === true;
}

const restart: BuiltinAction = {
  name: 'restart',
  disabled: false,
  iconClass: 'fa fa-fw fa-redo',
  displayName: 'Restart',
};

/** The built-in actions `obj` offers, sorted by name (empty for kinds without any). */
export function listBuiltinActions(obj: KubeObject): BuiltinAction[] {
  if (groupOf(obj.apiVersion) !== 'apps') return [];
  switch (obj.kind) {
    case 'Deployment': {
      const paused = isPaused(obj);
      return [
        {
          name: 'pause',
          disabled: paused,
          iconClass: 'fa fa-fw fa-pause-circle',
          displayName: 'Pause',
        },
        restart,
        {
          name: 'resume',
          disabled: !paused,
          iconClass: 'fa fa-fw fa-play-circle',
          displayName: 'Resume',
        },
      ];
    }
    case 'StatefulSet':
    case 'DaemonSet':
      return [restart];
    default:
      return [];
  }
}

/** RFC 3339 in UTC without fractions, as `kubectl rollout restart` writes it. */
function rfc3339(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The merge patch running `action` on `obj` at `now`: refused when `obj` does not offer it, or
 * offers it disabled (resume of a running Deployment), with a message that says which.
 */
export function planBuiltinAction(obj: KubeObject, action: string, now: Date): ActionPlan {
  const offered = listBuiltinActions(obj);
  const found = offered.find((a) => a.name === action);
  const what = `${obj.kind} ${obj.metadata.name ?? ''}`;
  if (!found)
    return {
      refused:
        offered.length === 0
          ? `${what} has no actions`
          : `${what} has no action "${action}"; it offers ${offered.map((a) => a.name).join(', ')}`,
    };
  if (found.disabled)
    return {
      refused: `action "${action}" is not available for ${what} in its current state (${action === 'pause' ? 'already paused' : 'not paused'})`,
    };
  switch (action) {
    case 'restart':
      return {
        patch: {
          spec: {
            template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: rfc3339(now) } } },
          },
        },
      };
    case 'pause':
      return { patch: { spec: { paused: true } } };
    default:
      // resume: `paused` is omitted when false, so removing it is what a resumed object looks like
      return { patch: { spec: { paused: null } } };
  }
}
