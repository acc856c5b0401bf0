/**
 * Identity of a live object independent of API version (gitops-engine's `kube.ResourceKey`):
 * group, kind, namespace ('' when cluster-scoped) and name; and Argo CD's tracking id
 * (`argocd.argoproj.io/tracking-id: <app>:<group>/<kind>:<namespace>/<name>`).
 */
import type { KubeObject } from '../apis/index.js';

export interface GroupKind {
  /** '' for the core group */
  readonly group: string;
  readonly kind: string;
}

export interface GroupVersionKind extends GroupKind {
  readonly version: string;
}

export interface ResourceKey extends GroupKind {
  /** '' for cluster-scoped objects */
  readonly namespace: string;
  readonly name: string;
}

/** Group of an apiVersion (`apps/v1` → `apps`, `v1` → ''). */
export function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** The key of an object. */
export function resourceKeyOf(
  obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>,
): ResourceKey {
  return {
    group: groupOf(obj.apiVersion),
    kind: obj.kind,
    namespace: obj.metadata.namespace ?? '',
    name: obj.metadata.name ?? '',
  };
}

/** `group/kind/namespace/name`, unique per key; usable as a Map key. */
export function formatResourceKey(k: ResourceKey): string {
  return `${k.group}/${k.kind}/${k.namespace}/${k.name}`;
}

/** A short human form for messages: `ConfigMap argocd/x` or `ClusterRole admin`. */
export function describeResource(k: ResourceKey): string {
  const kind = k.group === '' ? k.kind : `${k.kind}.${k.group}`;
  return k.namespace === '' ? `${kind} ${k.name}` : `${kind} ${k.namespace}/${k.name}`;
}

export interface TrackingId extends ResourceKey {
  /** the app's instance name (`<name>`, or `<namespace>_<name>` for apps outside the control-plane namespace) */
  readonly appName: string;
}

/** Parses a tracking id; undefined when it is not in Argo CD's format. */
export function parseTrackingId(value: string): TrackingId | undefined {
  const colon = value.indexOf(':');
  if (colon <= 0) return undefined;
  const appName = value.slice(0, colon);
  const rest = value.slice(colon + 1);
  const colon2 = rest.indexOf(':');
  if (colon2 < 0) return undefined;
  const gk = rest.slice(0, colon2);
  const nsName = rest.slice(colon2 + 1);
  const slash = gk.indexOf('/');
  const slash2 = nsName.indexOf('/');
  if (slash < 0 || slash2 < 0) return undefined;
  const kind = gk.slice(slash + 1);
  const name = nsName.slice(slash2 + 1);
  if (kind === '' || name === '') return undefined;
  return {
    appName,
    group: gk.slice(0, slash),
    kind,
    namespace: nsName.slice(0, slash2),
    name,
  };
}

/** Builds a tracking id value for an app and object key. */
export function formatTrackingId(appName: string, k: ResourceKey): string {
  return `${appName}:${k.group}/${k.kind}:${k.namespace}/${k.name}`;
}
